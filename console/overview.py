"""Figures of the overview page, always within the account's scope: per agency, per commune, per week, overdue
petitions, the median time to answer, and how citizens rated the answers (satisfaction and reopen rates)."""
from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from console.accounts import Account
from console.queue import scope_filter, week_start
from console.templating import VN_TZ
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
    total = store.count(scope_filter(account))
    open_count = store.count(scope_filter(account, status=OPEN_STATUSES))
    overdue = store.count(scope_filter(account, overdue=True, today=today))
    per_agency = sorted(store.counts_by("agency", scope_filter(account)).items(), key=lambda kv: (-kv[1], kv[0]))
    per_commune = commune_counts(store.counts_by("commune_code", scope_filter(account)), commune_label)
    first_week = week_start(today) - timedelta(weeks=weeks - 1)
    times = store.created_and_answered(scope_filter(account, created_from=first_week))
    buckets = {first_week + timedelta(weeks=i): 0 for i in range(weeks)}
    durations = []
    for created_at, answered_at in times:
        monday = week_start(created_at.astimezone(VN_TZ).date())
        if monday in buckets:
            buckets[monday] += 1
        if answered_at is not None:
            durations.append((answered_at - created_at).total_seconds() / 86400)
    median = statistics.median(durations) if durations else None
    ratings = sorted(store.rating_rates(scope_filter(account)).items(), key=lambda kv: (-kv[1].rated, kv[0]))
    return Overview(total, open_count, overdue, median, len(durations), per_agency,
                    per_commune[:TOP_COMMUNES], sorted(buckets.items()), ratings)
