"""Notices as an outbox: queued with the status change, claimed once, backed off, ended with a reason.

The store tests run on SQLite and PostgreSQL; the concurrency test runs two workers on PostgreSQL; sends go over
real HTTP to the Telegram stand-in through the project's TelegramSender.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect

from bot.delivery import TelegramDeliveryConfig, build_deliverer
from console.agencies import AgencyDirectory
from console.answering import NoticeService, NoticeTexts
from petitions.outbox import Outbox, OutboxPolicy
from petitions.store import InvalidTransition, NewPetition, PetitionStore
from tests.fixtures_petitions import DATA_DIR, _postgres_schema_url
from tests.standins.telegram_api import TelegramStandin

CONSENT = "Bạn có đồng ý cho xử lý dữ liệu cá nhân để giải quyết phản ánh không?"
FAST = OutboxPolicy(backoff_base_s=0.05, backoff_max_s=0.4, max_attempts=50, lease_s=60, batch=5)
RATING = "Câu trả lời này đã giải quyết được vấn đề của bạn chưa?"


def _new(key: str, sender: str = "telegram:42", **changes) -> NewPetition:
    base = NewPetition(
        channel=sender.split(":", 1)[0], sender_id=sender,
        text="Đường liên ấp 3 xã Hảo Đước hư nặng, ổ gà khắp nơi, xin sửa sớm.",
        agency="so-xay-dung", kind="phan-anh-kien-nghi", idempotency_key=key, consent_given=True,
        consent_text=CONSENT, consent_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC), contact_phone="0912 345 678",
        commune_name="Hảo Đước", commune_matched=True, commune_code="xa-hao-duoc", topic="đường hư hỏng",
        confidence=0.91, due_date=date(2026, 12, 18),
    )
    return replace(base, **changes)


def _anonymous(key: str) -> NewPetition:
    return _new(key, consent_given=False, consent_text=None, consent_at=None, contact_phone=None)


@pytest.fixture
def outbox(store: PetitionStore) -> Outbox:
    return Outbox(store.engine, FAST)


@pytest.fixture
def telegram() -> Iterator[TelegramStandin]:
    with TelegramStandin() as api:
        yield api


def _service(engine, telegram: TelegramStandin, policy: OutboxPolicy = FAST):
    deliverer = build_deliverer(telegram=TelegramDeliveryConfig(token=telegram.token, base_url=telegram.base_url))
    agencies = AgencyDirectory.load(DATA_DIR / "agencies.yml")
    return NoticeService(Outbox(engine, policy), deliverer, agencies.name, NoticeTexts.load())


async def _drain(service: NoticeService, done, timeout_s: float = 30.0) -> None:
    """Run worker passes until `done()` holds (the positive signal), or fail at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"outbox not drained: {service.outbox.counts()}"
        if not await service.run_once():
            await asyncio.sleep(0.02)


# -- queued with the change ------------------------------------------------------------------------------------

def test_each_status_change_queues_its_notice(store: PetitionStore, outbox: Outbox) -> None:
    code = store.create(_new("k1")).record.code
    store.transition(code, "dang-xu-ly", "canbo")
    store.reassign(code, "ubnd-cap-xa", "canbo", "Việc của xã")
    store.set_answer(code, "Đã vá mặt đường ấp 3.", "canbo")
    store.transition(code, "da-dong", "canbo", "Đã kiểm tra")
    other = store.create(_new("k2", sender="telegram:43")).record.code
    store.transition(other, "khong-xu-ly", "canbo", "Tranh chấp dân sự, thuộc thẩm quyền tòa án")
    claims = outbox.claim(limit=20)
    assert [(c.code, c.event, c.agency, c.status, c.detail) for c in claims] == [
        (code, "accepted", "so-xay-dung", "dang-xu-ly", None),
        (code, "reassigned", "ubnd-cap-xa", "dang-xu-ly", None),
        (code, "answered", "ubnd-cap-xa", "da-tra-loi", "Đã vá mặt đường ấp 3."),
        (code, "closed", "ubnd-cap-xa", "da-dong", "Đã kiểm tra"),
        (other, "rejected", "so-xay-dung", "khong-xu-ly", "Tranh chấp dân sự, thuộc thẩm quyền tòa án"),
    ]
    assert {c.recipient for c in claims} == {"telegram:42", "telegram:43"}
    assert outbox.claim() == []  # all held by this worker's lease


def test_a_refused_change_queues_nothing(store: PetitionStore, outbox: Outbox) -> None:
    code = store.create(_new("k1")).record.code
    store.transition(code, "da-dong", "canbo")
    with pytest.raises(InvalidTransition):
        store.transition(code, "da-tra-loi", "canbo")
    assert [c.event for c in outbox.claim()] == ["closed"]


def test_an_anonymous_petition_gets_no_notice(store: PetitionStore, outbox: Outbox) -> None:
    code = store.create(_anonymous("k1")).record.code
    store.transition(code, "dang-xu-ly", "canbo")
    record = store.set_answer(code, "Đã xử lý.", "canbo")
    assert outbox.counts() == {}
    assert record.delivery_state == "not-deliverable"


def test_a_newer_answer_replaces_one_still_waiting(store: PetitionStore, outbox: Outbox) -> None:
    code = store.create(_new("k1")).record.code
    store.set_answer(code, "Bản nháp", "canbo")
    store.set_answer(code, "Bản chính thức", "canbo")
    assert [(c.event, c.detail) for c in outbox.claim()] == [("answered", "Bản chính thức")]
    assert outbox.counts() == {"superseded": 1, "sending": 1}


# -- claims, leases, backoff -----------------------------------------------------------------------------------

def test_a_crashed_workers_notice_goes_to_another_after_the_lease(store: PetitionStore, outbox: Outbox) -> None:
    store.set_answer(store.create(_new("k1")).record.code, "Đã xử lý.", "canbo")
    now = datetime.now(UTC)
    first = outbox.claim(now=now)
    assert outbox.claim(now=now + timedelta(seconds=FAST.lease_s - 1)) == []
    second = outbox.claim(now=now + timedelta(seconds=FAST.lease_s + 1))
    assert [c.id for c in second] == [first[0].id] and second[0].attempts == 2
    assert outbox.mark_sent(first[0]) is False  # the late first worker cannot overwrite the second's claim
    assert outbox.mark_sent(second[0]) is True
    assert outbox.counts() == {"sent": 1}


def test_failures_back_off_exponentially_and_a_permanent_one_ends_at_once(store: PetitionStore,
                                                                          outbox: Outbox) -> None:
    store.set_answer(store.create(_new("k1")).record.code, "Đã xử lý.", "canbo")
    now = datetime.now(UTC)
    claim = outbox.claim(now=now)[0]
    assert outbox.mark_failed(claim, "NetworkError: Bad Gateway", retryable=True) == "pending"
    assert outbox.claim(now=now) == []  # not due before its next attempt time
    [notice] = outbox.for_petition(claim.petition_id)
    first_delay = (notice.next_attempt_at - now).total_seconds()
    assert FAST.backoff_base_s * 0.9 <= first_delay < FAST.backoff_base_s * 2
    claim = outbox.claim(now=now + timedelta(seconds=1))[0]
    assert claim.attempts == 2
    assert outbox.mark_failed(claim, "NetworkError: Bad Gateway", retryable=True) == "pending"
    [notice] = outbox.for_petition(claim.petition_id)
    assert (notice.next_attempt_at - now).total_seconds() >= 2 * FAST.backoff_base_s
    claim = outbox.claim(now=now + timedelta(seconds=2))[0]
    assert outbox.mark_failed(claim, "Forbidden: bot was blocked by the user", retryable=False) == "undeliverable"
    assert outbox.claim(now=now + timedelta(days=30)) == []
    [notice] = outbox.for_petition(claim.petition_id)
    assert (notice.state, notice.attempts, notice.last_error) == (
        "undeliverable", 3, "Forbidden: bot was blocked by the user")


def test_retrying_stops_after_the_last_attempt(store: PetitionStore) -> None:
    outbox = Outbox(store.engine, replace(FAST, max_attempts=2))
    store.set_answer(store.create(_new("k1")).record.code, "Đã xử lý.", "canbo")
    later = datetime.now(UTC)
    for _ in range(2):
        later += timedelta(minutes=1)
        state = outbox.mark_failed(outbox.claim(now=later)[0], "timeout", retryable=True)
    assert state == "undeliverable"
    assert outbox.counts() == {"undeliverable": 1}


def test_outbox_defaults_are_the_settings_defaults() -> None:
    from danvan.settings import Settings

    fields = Settings.model_fields
    assert OutboxPolicy() == OutboxPolicy(
        backoff_base_s=fields["outbox_backoff_base_s"].default, backoff_max_s=fields["outbox_backoff_max_s"].default,
        max_attempts=fields["outbox_max_attempts"].default, lease_s=fields["outbox_lease_s"].default,
        batch=fields["outbox_batch"].default)


def test_notice_table_matches_the_models(store: PetitionStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from petitions.migrations import VERSION_TABLE
    from petitions.models import Base

    with store.engine.connect() as conn:
        assert "notice" in set(inspect(conn).get_table_names())
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        diff = [d for d in compare_metadata(context, Base.metadata)
                if d[0] != "remove_table" and "notice" in repr(d)]
        assert diff == []


# -- workers sending over HTTP ---------------------------------------------------------------------------------

async def test_channel_down_then_back_delivers_every_notice_once(store: PetitionStore,
                                                                telegram: TelegramStandin) -> None:
    chats = list(range(5001, 5021))
    for chat in chats:
        code = store.create(_new(f"k{chat}", sender=f"telegram:{chat}")).record.code
        store.set_answer(code, "Đã vá mặt đường ấp 3.", "canbo")
    service = _service(store.engine, telegram)
    telegram.down = True
    try:
        def retried_twice() -> bool:
            notices = [n for p in store.list(limit=100) for n in service.outbox.for_petition(p.id)]
            return all(n.state == "pending" and n.attempts >= 2 for n in notices)

        await _drain(service, retried_twice)
        assert telegram.texts() == []
        assert service.outbox.counts() == {"pending": 20}  # nothing lost, nothing given up
        telegram.down = False
        await _drain(service, lambda: service.outbox.counts() == {"sent": 20})
    finally:
        await service.deliverer.aclose()
    assert all(len(telegram.chat_log(chat)) == 1 for chat in chats)
    assert all(store.get_by_code(p.code).delivery_state == "sent" for p in store.list(limit=100))


async def test_a_permanent_failure_is_undeliverable_at_once(store: PetitionStore, telegram: TelegramStandin) -> None:
    telegram.blocked_chats.add(6001)
    blocked = store.create(_new("k1", sender="telegram:6001")).record.code
    web = store.create(_new("k2", sender="web:abc123")).record.code
    for code in (blocked, web):
        store.set_answer(code, "Đã xử lý.", "canbo")
    service = _service(store.engine, telegram)
    try:
        assert await service.run_once() == {"undeliverable": 2}
    finally:
        await service.deliverer.aclose()
    assert service.outbox.counts() == {"undeliverable": 2}
    record = store.get_by_code(blocked)
    assert record.delivery_state == "failed" and "blocked" in record.delivery_error
    [notice] = service.outbox.for_petition(store.get_by_code(web).id)
    assert (notice.attempts, notice.last_error) == (1, "no sender configured for this channel")


@pytest.fixture
def pg_store() -> Iterator[PetitionStore]:
    urls = _postgres_schema_url()
    url = next(urls)
    store = PetitionStore(url)
    store.migrate()
    try:
        yield store
    finally:
        store.close()
        urls.close()  # drops the test's private schema


def test_two_workers_on_postgresql_send_200_notices_exactly_once(pg_store: PetitionStore,
                                                                  telegram: TelegramStandin) -> None:
    chats = list(range(7001, 7201))
    for chat in chats:
        code = pg_store.create(_new(f"k{chat}", sender=f"telegram:{chat}")).record.code
        pg_store.set_answer(code, "Đã vá mặt đường ấp 3.", "canbo")
    per_worker: list[Counter[str]] = [Counter(), Counter()]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        own = PetitionStore(pg_store.url)  # its own engine and connections, as a second process would have
        service = _service(own.engine, telegram)

        async def run() -> None:
            try:
                while True:
                    counts = await service.run_once()
                    per_worker[index].update(counts)
                    if not counts:
                        if not service.outbox.counts().keys() & {"pending", "sending"}:
                            return
                        await asyncio.sleep(0.02)  # the rest is held by the other worker
            finally:
                await service.deliverer.aclose()

        try:
            asyncio.run(run())
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    assert [len(telegram.chat_log(chat)) for chat in chats] == [1] * 200  # each exactly once
    assert per_worker[0]["sent"] + per_worker[1]["sent"] == 200
    assert per_worker[0]["sent"] > 0 and per_worker[1]["sent"] > 0  # both really worked side by side
    assert Outbox(pg_store.engine, FAST).counts() == {"sent": 200}
    print(f"worker split: {per_worker[0]['sent']} + {per_worker[1]['sent']}")
