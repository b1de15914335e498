"""Figures of the overview page, always within the account's scope: per agency, per commune, per week, overdue
petitions, the median time to answer, and how citizens rated the answers (satisfaction and reopen rates)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from console.accounts import Account
from console.queue import scope_filter, week_start
from petitions.models import OPEN_STATUSES

WEEKS = 12
TOP_COMMUNES = 15
UNMATCHED = "Chưa xác định"  # communes typed by citizens that match no commune of the directory


@dataclass(frozen=True)
class Overview:
    total: int
    open: int
    overdue: int
    median_answer_days: float | None
    answered_in_window: int
    per_agency: list[tuple[str, int]]  # (agency code, count), largest first
    per_commune: list[tuple[str, int]]
    per_week: list[tuple[date, int]]  # Monday of the week, oldest first
    # Citizens' ratings of answers per agency (satisfaction = rated resolved / rated; reopen rate = reopened / rated),
    # most rated first: RatingRates from the store.
    ratings: list[tuple[str, Any]] = field(default_factory=list)


def commune_counts(by_code: dict[str, int], label: Callable[[str], str | None]) -> list[tuple[str, int]]:
    """Petitions per commune of the directory, by its code (so "Long Hoa", "P. Long Hoa" and "long hoa" are one
    commune); those whose commune was never matched to the directory share one bucket, "Chưa xác định"."""
    counts: dict[str, int] = defaultdict(int)
    for code, n in by_code.items():
        counts[(label(code) if code else None) or UNMATCHED] += n
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def compute(store: Any, account: Account, today: date, weeks: int = WEEKS,
            commune_label: Callable[[str], str | None] = lambda code: None) -> Overview:
    """The figures, each counted by the database within the account's scope: a handful of counts and groupings read
    from indexes (migration 0007), never one Python object per petition."""
    by_agency: dict[str, int] = defaultdict(int)
    by_commune: dict[str, int] = defaultdict(int)
    for (agency, commune_code), n in store.counts_by_agency_and_commune(scope_filter(account)).items():
        by_agency[agency] += n
        by_commune[commune_code] += n
    per_agency = sorted(by_agency.items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(by_agency.values())  # every petition has exactly one agency
    open_count = store.count(scope_filter(account, status=OPEN_STATUSES))
    overdue = store.count(scope_filter(account, overdue=True, today=today))
    per_commune = commune_counts(by_commune, commune_label)
    # Weeks run Monday to Monday in Vietnam's time; the median covers what arrived from the first of them on.
    mondays = [week_start(today) - timedelta(weeks=weeks - 1 - i) for i in range(weeks + 1)]
    per_week = store.counts_created_between(mondays, scope_filter(account))
    answered, median = store.answer_days(scope_filter(account, created_from=mondays[0]))
    ratings = sorted(store.rating_rates(scope_filter(account)).items(), key=lambda kv: (-kv[1].rated, kv[0]))
    return Overview(total, open_count, overdue, median, answered, per_agency,
                    per_commune[:TOP_COMMUNES], list(zip(mondays[:-1], per_week, strict=True)), ratings)
