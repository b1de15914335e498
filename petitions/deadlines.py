"""Legal deadlines of petitions, counted in working days over a configurable holiday calendar.

The numbers (Luật Khiếu nại 2011, Luật Tố cáo 2018, the province's own deadline for phản ánh/kiến nghị) and the
holidays live in petitions/data/deadlines.yml, so that a new year's Tết or a changed rule is a data edit.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

KINDS = ("khieu-nai", "to-cao", "phan-anh-kien-nghi")
DEFAULT_KIND = "phan-anh-kien-nghi"
_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}


@dataclass(frozen=True)
class KindRule:
    """Deadline numbers of one kind of petition."""

    kind: str
    label: str
    unit: str  # "working_days" or "calendar_days"
    accept_days: int
    settle_days: int
    settle_days_complex: int | None = None
    settle_days_remote: int | None = None
    settle_days_remote_complex: int | None = None
    extension_days: int = 0
    max_extensions: int = 0

    def settle(self, *, complex_case: bool, remote: bool) -> int:
        if remote and complex_case and self.settle_days_remote_complex:
            return self.settle_days_remote_complex
        if remote and self.settle_days_remote:
            return self.settle_days_remote
        if complex_case and self.settle_days_complex:
            return self.settle_days_complex
        return self.settle_days


class DeadlinePolicy:
    """Working-day arithmetic plus the per-kind rules."""

    def __init__(
        self,
        rules: dict[str, KindRule],
        holidays: Iterable[date] = (),
        weekend: Iterable[int] = (5, 6),
        working_weekend_days: Iterable[date] = (),
    ) -> None:
        missing = [k for k in KINDS if k not in rules]
        if missing:
            raise ValueError(f"deadline rules missing for kinds: {', '.join(missing)}")
        self.rules = dict(rules)
        self.holidays = frozenset(holidays)
        self.weekend = frozenset(weekend)
        self.working_weekend_days = frozenset(working_weekend_days)

    @classmethod
    def load(cls, path: Path) -> DeadlinePolicy:
        """Read deadlines.yml; a malformed file fails here, at start-up, not at the first petition."""
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        rules = {kind: _rule(kind, spec) for kind, spec in (data.get("kinds") or {}).items()}
        weekend = [_WEEKDAYS[str(day).lower()] for day in data.get("weekend", ["saturday", "sunday"])]
        return cls(
            rules,
            holidays=[_as_date(d) for d in data.get("holidays") or []],
            weekend=weekend,
            working_weekend_days=[_as_date(d) for d in data.get("working_weekend_days") or []],
        )

    def label(self, kind: str) -> str:
        return self.rules[kind].label

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekend_days:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (the start day itself does not count)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=i)))

    def _add(self, rule: KindRule, start: date, days: int) -> date:
        if rule.unit == "calendar_days":
            end = start + timedelta(days=days)
            while not self.is_working_day(end):  # a period ending on a day off ends on the next working day
                end += timedelta(days=1)
            return end
        return self.add_working_days(start, days)

    def acceptance_due(self, kind: str, received: date | datetime) -> date:
        rule = self.rules[kind]
        return self._add(rule, _as_date(received), rule.accept_days)

    def due_date(
        self,
        kind: str,
        received: date | datetime,
        *,
        complex_case: bool = False,
        remote: bool = False,
        extensions: int = 0,
    ) -> date:
        """Last day to settle a petition received on `received`: acceptance time, then settlement time."""
        rule = self.rules[kind]
        if extensions > rule.max_extensions:
            raise ValueError(f"{kind} allows at most {rule.max_extensions} extension(s)")
        days = rule.accept_days + rule.settle(complex_case=complex_case, remote=remote)
        days += extensions * rule.extension_days
        return self._add(rule, _as_date(received), days)


def _rule(kind: str, spec: dict[str, Any]) -> KindRule:
    unit = spec.get("unit", "working_days")
    if unit not in ("working_days", "calendar_days"):
        raise ValueError(f"{kind}: unit must be working_days or calendar_days, not {unit!r}")
    return KindRule(
        kind=kind,
        label=str(spec.get("label", kind)),
        unit=unit,
        accept_days=int(spec.get("accept_days", 0)),
        settle_days=int(spec["settle_days"]),
        settle_days_complex=_opt_int(spec.get("settle_days_complex")),
        settle_days_remote=_opt_int(spec.get("settle_days_remote")),
        settle_days_remote_complex=_opt_int(spec.get("settle_days_remote_complex")),
        extension_days=int(spec.get("extension_days", 0)),
        max_extensions=int(spec.get("max_extensions", 0)),
    )


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
