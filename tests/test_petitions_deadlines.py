"""Due dates in working days, over the holiday calendar of the data file."""
from __future__ import annotations

from datetime import date

import pytest

from petitions.deadlines import DeadlinePolicy, KindRule


def test_complaint_due_date_skips_weekends_and_tet(deadlines: DeadlinePolicy) -> None:
    # Received Friday 13/2/2026, just before the Tết Bính Ngọ days off (16–20/2): 10 + 30 working days.
    received = date(2026, 2, 13)
    due = deadlines.due_date("khieu-nai", received)
    assert due == deadlines.add_working_days(received, 40)
    assert deadlines.working_days_between(received, due) == 40
    assert due == date(2026, 4, 17)  # the Tết week counts nothing, then eight full working weeks


def test_holidays_are_not_working_days(deadlines: DeadlinePolicy) -> None:
    assert not deadlines.is_working_day(date(2026, 2, 17))  # mùng 1 Tết
    assert not deadlines.is_working_day(date(2026, 4, 30))
    assert not deadlines.is_working_day(date(2026, 9, 2))
    assert not deadlines.is_working_day(date(2026, 11, 28))  # Saturday
    assert deadlines.is_working_day(date(2026, 11, 25))
    assert deadlines.is_working_day(date(2025, 4, 26))  # a Saturday worked to make up for 2/5/2025


def test_denunciation_can_be_extended(deadlines: DeadlinePolicy) -> None:
    received = date(2026, 6, 1)
    plain = deadlines.due_date("to-cao", received)
    extended = deadlines.due_date("to-cao", received, extensions=1)
    assert deadlines.working_days_between(plain, extended) == 30
    with pytest.raises(ValueError):
        deadlines.due_date("to-cao", received, extensions=3)


def test_complex_and_remote_complaints_get_longer(deadlines: DeadlinePolicy) -> None:
    received = date(2026, 6, 1)
    normal = deadlines.due_date("khieu-nai", received)
    complex_case = deadlines.due_date("khieu-nai", received, complex_case=True)
    remote_complex = deadlines.due_date("khieu-nai", received, complex_case=True, remote=True)
    assert normal < complex_case < remote_complex
    assert deadlines.working_days_between(received, remote_complex) == 10 + 60


def test_every_kind_has_a_rule(deadlines: DeadlinePolicy) -> None:
    for kind in ("khieu-nai", "to-cao", "phan-anh-kien-nghi"):
        assert deadlines.due_date(kind, date(2026, 3, 2)) > date(2026, 3, 2)


def test_calendar_day_rules_end_on_a_working_day() -> None:
    rule = KindRule("phan-anh-kien-nghi", "x", "calendar_days", accept_days=0, settle_days=5)
    policy = DeadlinePolicy(
        {"phan-anh-kien-nghi": rule, "khieu-nai": rule, "to-cao": rule}, holidays=[date(2026, 4, 30), date(2026, 5, 1)]
    )
    assert policy.due_date("to-cao", date(2026, 4, 25)) == date(2026, 5, 4)  # 30/4 holiday, 1/5, then weekend


def test_missing_kind_is_refused_at_load(tmp_path) -> None:
    path = tmp_path / "d.yml"
    path.write_text("kinds:\n  khieu-nai: {settle_days: 30}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="to-cao"):
        DeadlinePolicy.load(path)
