"""Which answers a bare "ok cảm ơn" may rate (actions/rating.py): only those given since the citizen last wrote,
and recently. Read from a real rasa-sdk Tracker holding the conversation's events with their times."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rasa_sdk import Tracker

from actions.rating import _answered_just_before
from actions.understanding import load_lexicon

NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Answered:
    """What the action reads of an answered petition (petitions.service.StatusView's fields used here)."""

    code: str
    answered_at: datetime | None
    delivered_at: datetime | None = None


def _user(text: str, at: datetime, intent: str = "thanks") -> dict[str, Any]:
    return {"event": "user", "text": text, "timestamp": at.timestamp(),
            "parse_data": {"intent": {"name": intent, "confidence": 1.0}}}


def _tracker(*events: dict[str, Any]) -> Tracker:
    return Tracker("citizen", {}, events[-1]["parse_data"], list(events), False, None, {}, "action_listen")


def test_an_answer_given_after_the_citizen_last_wrote_may_be_rated_by_a_thanks() -> None:
    tracker = _tracker(_user("xác nhận", NOW - timedelta(minutes=30), "affirm"), _user("ok cảm ơn", NOW))
    answer = Answered("TN-AAAA-BBBB", NOW - timedelta(minutes=5))
    assert _answered_just_before([answer], tracker) == [answer]


def test_a_thanks_after_talking_about_something_else_rates_nothing() -> None:
    tracker = _tracker(_user("xác nhận", NOW - timedelta(hours=2), "affirm"),
                       _user("dân vận khéo là gì", NOW - timedelta(minutes=2), "ask_policy"),
                       _user("cảm ơn ad nhiều", NOW))
    assert _answered_just_before([Answered("TN-AAAA-BBBB", NOW - timedelta(hours=1))], tracker) == []


def test_a_session_restart_is_no_message_of_the_citizen() -> None:
    tracker = _tracker(_user("xác nhận", NOW - timedelta(hours=2), "affirm"),
                       _user("/session_start", NOW - timedelta(minutes=1), "session_start"), _user("oke", NOW))
    answer = Answered("TN-AAAA-BBBB", NOW - timedelta(hours=1))
    assert _answered_just_before([answer], tracker) == [answer]


def test_an_answer_older_than_the_window_is_not_rated_by_a_bare_reply() -> None:
    hours = load_lexicon().number("rating_bare_window_hours")
    tracker = _tracker(_user("ok", NOW))  # nothing written since long before the answer
    old = Answered("TN-AAAA-BBBB", NOW - timedelta(hours=hours + 1))
    recent = Answered("TN-CCCC-DDDD", NOW - timedelta(hours=hours - 1))
    assert _answered_just_before([old, recent], tracker) == [recent]


def test_the_time_the_answer_reached_the_citizen_counts_not_the_time_it_was_given() -> None:
    """An answer given before the citizen's last message but delivered after it (a retried notice) may still be
    rated by the first "cảm ơn" that follows the delivery."""
    tracker = _tracker(_user("đường ấp 3 vẫn ngập", NOW - timedelta(hours=3), "complain"), _user("ok cảm ơn", NOW))
    late = Answered("TN-AAAA-BBBB", answered_at=NOW - timedelta(hours=5), delivered_at=NOW - timedelta(hours=1))
    assert _answered_just_before([late], tracker) == [late]
