"""The petition queue: filters read from the query string and the operator's agency scope. The store sorts and
cuts the pages in SQL (`petitions.store.queue_order`: due date first), so any queue length costs one page's work.

The scope is applied here, in the one function that turns a request's filters into a store filter, so the queue,
the counts, the charts and the CSV export cannot disagree about what an operator may see.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from console.accounts import Account
from petitions.models import KIND_LABELS, OPEN_STATUSES, STATUS_LABELS
from petitions.store import PetitionFilter, PetitionRecord, vn_today

PAGE_SIZE = 50
OPEN = "mo"
ALL = "tat-ca"
STATUS_CHOICES = {OPEN: "Đang mở (chưa trả lời)", ALL: "Tất cả", **STATUS_LABELS}
MAX_SEARCH = 200


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class QueueQuery:
    """What the filter form asked for, already checked (unknown values fall back to "no filter")."""

    status: str = OPEN
    agency: str = ""
    commune: str = ""
    kind: str = ""
    overdue: bool = False
    triage: bool = False
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> QueueQuery:
        status = params.get("status") or OPEN
        if status not in STATUS_CHOICES:
            status = OPEN
        kind = params.get("kind") or ""
        if kind not in KIND_LABELS:
            kind = ""
        try:
            page = max(1, min(int(params.get("page") or 1), 10000))
        except ValueError:
            page = 1
        return cls(
            status=status,
            agency=(params.get("agency") or "").strip()[:64],
            commune=(params.get("commune") or "").strip()[:200],
            kind=kind,
            overdue=params.get("overdue") in ("1", "on", "true"),
            triage=params.get("triage") in ("1", "on", "true"),
            date_from=_date(params.get("from")),
            date_to=_date(params.get("to")),
            q=(params.get("q") or "").strip()[:MAX_SEARCH],
            page=page,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The query-string form of these filters (defaults left out), with `changes` applied."""
        query = replace(self, **changes) if changes else self
        out = {
            "status": query.status if query.status != OPEN else "",
            "agency": query.agency,
            "commune": query.commune,
            "kind": query.kind,
            "overdue": "1" if query.overdue else "",
            "triage": "1" if query.triage else "",
            "from": query.date_from.isoformat() if query.date_from else "",
            "to": query.date_to.isoformat() if query.date_to else "",
            "q": query.q,
            "page": str(query.page) if query.page > 1 else "",
        }
        return {k: v for k, v in out.items() if v}

    def query_string(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))

    def to_filter(self, account: Account, *, with_status: bool = True, today: date | None = None) -> PetitionFilter:
        """The store filter, always narrowed to the operator's own agency whatever the query string says."""
        status: str | tuple[str, ...] | None = None
        if with_status:
            status = OPEN_STATUSES if self.status == OPEN else None if self.status == ALL else self.status
        agency = self.agency or None
        commune = self.commune or None
        if not account.is_admin:
            agency = account.agency
            commune = account.commune or commune
        return PetitionFilter(
            status=status, agency=agency, commune=commune, kind=self.kind or None,
            overdue=True if self.overdue else None, triage=True if self.triage else None,
            created_from=self.date_from, created_to=self.date_to,
            text=self.q or None, today=today,
        )


def scope_filter(account: Account, **fields: Any) -> PetitionFilter:
    """A store filter limited to what the account may see (used by the overview)."""
    if not account.is_admin:
        fields["agency"] = account.agency
        if account.commune:
            fields["commune"] = account.commune
    return PetitionFilter(**fields)


@dataclass(frozen=True)
class Urgency:
    css: str  # "overdue" | "near-due" | ""
    text: str  # what the row says, so colour is never the only signal


def urgency(record: PetitionRecord, today: date, near_days: int) -> Urgency:
    if not record.is_open or record.due_date is None:
        return Urgency("", "")
    days = (record.due_date - today).days
    if days < 0:
        return Urgency("overdue", f"Quá hạn {-days} ngày")
    if days == 0:
        return Urgency("near-due", "Đến hạn hôm nay")
    if days <= near_days:
        return Urgency("near-due", f"Còn {days} ngày")
    return Urgency("", f"Còn {days} ngày")


def today() -> date:
    return vn_today()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
