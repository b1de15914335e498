"""Ratings, reopening and the triage queue in the petitions store (SQLite and PostgreSQL) and the service.

What the chat and the console rely on: only the chat that filed a petition rates its answer, once per answer; "not
resolved" reopens it to the same agency with the reason in its history; the overview's rates are counted in SQL per
agency; a triaged petition waits until an operator confirms its agency through the reassignment path, and is never
put back by a redelivered message.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from petitions.store import InvalidTransition, NewPetition, PetitionFilter, PetitionNotFound, PetitionStore

OWNER = "telegram:42"
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _new(key: str, agency: str = "so-xay-dung", sender: str = OWNER) -> NewPetition:
    return NewPetition(
        channel="telegram", sender_id=sender, agency=agency, kind="phan-anh-kien-nghi", idempotency_key=key,
        text="Đường vào ấp 3 ngập sâu mỗi khi mưa vì cống bị nghẹt, đề nghị nạo vét.", consent_given=True,
        consent_text="Tôi đồng ý.", consent_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC), confidence=0.9,
    )


def _answered(store: PetitionStore, key: str, agency: str = "so-xay-dung", sender: str = OWNER) -> str:
    code = store.create(_new(key, agency, sender)).record.code
    store.set_answer(code, "Đã nạo vét cống ngày 02/12.", "op")
    return code


def test_resolved_is_recorded_once_and_only_by_the_owner(store: PetitionStore) -> None:
    code = _answered(store, "k1")
    assert [r.code for r in store.awaiting_rating(OWNER, since=LONG_AGO)] == [code]
    with pytest.raises(PetitionNotFound):
        store.rate(code, "telegram:99", verdict="resolved")  # a stranger learns nothing, rates nothing
    record = store.rate(code, OWNER, verdict="resolved", score=5)
    assert record.status == "da-tra-loi"
    assert store.awaiting_rating(OWNER, since=LONG_AGO) == []
    with pytest.raises(InvalidTransition):
        store.rate(code, OWNER, verdict="unresolved", reason="đổi ý")
    assert [(r.verdict, r.score, r.reopened) for r in store.ratings_of(code)] == [("resolved", 5, False)]


def test_unresolved_reopens_to_the_same_agency_and_a_new_answer_is_rated_again(store: PetitionStore) -> None:
    code = _answered(store, "k2")
    record = store.rate(code, OWNER, verdict="unresolved", reason="đường vẫn ngập")
    assert (record.status, record.agency) == ("dang-xu-ly", "so-xay-dung")
    assert record.history[-1].actor == "nguoi-dan" and "đường vẫn ngập" in record.history[-1].note
    assert store.awaiting_rating(OWNER, since=LONG_AGO) == []  # reopened: nothing to rate until answered again
    store.set_answer(code, "Đã nạo vét lại và thông cống ngày 09/12.", "op")
    assert [r.code for r in store.awaiting_rating(OWNER, since=LONG_AGO)] == [code]
    store.rate(code, OWNER, verdict="resolved")
    assert [r.verdict for r in store.ratings_of(code)] == ["unresolved", "resolved"]


def test_an_old_answer_is_not_awaiting_a_rating(store: PetitionStore) -> None:
    _answered(store, "k3")
    assert store.awaiting_rating(OWNER, since=datetime.now(UTC) + timedelta(minutes=1)) == []


def test_satisfaction_and_reopen_rates_per_agency(store: PetitionStore) -> None:
    for i, verdict in enumerate(["resolved", "resolved", "unresolved", "neutral"]):
        store.rate(_answered(store, f"x{i}"), OWNER, verdict=verdict)
    store.rate(_answered(store, "y0", agency="so-y-te"), OWNER, verdict="unresolved")
    _answered(store, "y1", agency="so-y-te")  # answered, not rated: not counted
    rates = store.rating_rates()
    assert (rates["so-xay-dung"].rated, rates["so-xay-dung"].resolved, rates["so-xay-dung"].reopened) == (4, 2, 1)
    assert rates["so-xay-dung"].satisfaction == 0.5 and rates["so-xay-dung"].reopen_rate == 0.25
    assert (rates["so-y-te"].rated, rates["so-y-te"].satisfaction, rates["so-y-te"].reopen_rate) == (1, 0.0, 1.0)
    assert set(store.rating_rates(PetitionFilter(agency="so-y-te"))) == {"so-y-te"}


def test_a_triaged_petition_waits_until_an_operator_confirms_its_agency(store: PetitionStore) -> None:
    code = store.create(replace(_new("t1", agency="ban-dan-van"), confidence=0.2)).record.code
    assert store.mark_for_triage(code) is True
    assert store.awaiting_triage([code, "TN-0000-0000"]) == {code}
    record = store.confirm_agency(code, "so-xay-dung", "op", "Việc của ngành xây dựng")
    assert record.agency == "so-xay-dung" and "ban-dan-van" in record.history[-1].note
    assert store.awaiting_triage([code]) == set()
    assert store.mark_for_triage(code) is False  # a redelivered message never puts it back in the queue
