"""Figures of the overview page, always within the account's scope: per agency, per commune, per week, overdue
petitions and the median time to answer."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from console.accounts import Account
from console.queue import scope_filter, week_start
from console.templating import VN_TZ
from petitions.models import OPEN_STATUSES

WEEKS = 12
TOP_COMMUNES = 15


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


def compute(store: Any, account: Account, today: date, weeks: int = WEEKS) -> Overview:
    total = store.count(scope_filter(account))
    open_count = store.count(scope_filter(account, status=OPEN_STATUSES))
    overdue = store.count(scope_filter(account, overdue=True, today=today))
    per_agency = sorted(store.counts_by("agency", scope_filter(account)).items(), key=lambda kv: (-kv[1], kv[0]))
    communes = store.counts_by("commune", scope_filter(account))
    per_commune = sorted(((name or "(chưa rõ)", n) for name, n in communes.items()), key=lambda kv: (-kv[1], kv[0]))
    first_week = week_start(today) - timedelta(weeks=weeks - 1)
    since = datetime(first_week.year, first_week.month, first_week.day, tzinfo=VN_TZ).astimezone(UTC)
    recent = [r for r in store.recent(since) if account.sees_record(r)]
    buckets = {first_week + timedelta(weeks=i): 0 for i in range(weeks)}
    durations = []
    for r in recent:
        monday = week_start(r.created_at.astimezone(VN_TZ).date())
        if monday in buckets:
            buckets[monday] += 1
        if r.answered_at is not None:
            durations.append((r.answered_at - r.created_at).total_seconds() / 86400)
    median = statistics.median(durations) if durations else None
    return Overview(total, open_count, overdue, median, len(durations), per_agency,
                    per_commune[:TOP_COMMUNES], sorted(buckets.items()))
