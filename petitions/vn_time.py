"""Time as the province reads it, and times as the databases hand them back; one definition for every package.

Everything is stored in UTC. Citizens and operators read dates in Vietnam's time (UTC+7 all year: no daylight saving,
so a fixed offset is exact and needs no tz database), and SQLite returns the stored UTC values without their zone.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")


def vn_today() -> date:
    """Today's date in Tây Ninh (deadlines and "filed today" count in it, not in UTC)."""
    return datetime.now(VN_TZ).date()


def aware(value: datetime | None) -> datetime | None:
    """A stored time with its zone: SQLite hands back naive datetimes, and everything stored is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def vn_date(value: date | datetime | None, missing: str = "") -> str:
    """dd/mm/yyyy as read in Vietnam; a time is first moved to Vietnam's date. `missing` stands for no date."""
    if value is None:
        return missing
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return value.strftime("%d/%m/%Y")


def vn_datetime(value: datetime | None, missing: str = "") -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time. `missing` stands for no time."""
    if value is None:
        return missing
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
