"""The petitions store, run against SQLite and PostgreSQL alike."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, text

from petitions import codes
from petitions.store import (
    InvalidTransition,
    NewPetition,
    PetitionFilter,
    PetitionInvalid,
    PetitionNotFound,
    PetitionStore,
)

CONSENT = "Bạn có đồng ý cho xử lý dữ liệu cá nhân để giải quyết phản ánh không?"


def _new(key: str = "telegram:42:1001", **changes) -> NewPetition:
    base = NewPetition(
        channel="telegram",
        sender_id="telegram:42",
        text="Đường liên ấp 3 xã Hảo Đước hư nặng, ổ gà khắp nơi, xin sửa sớm.",
        agency="so-xay-dung",
        kind="phan-anh-kien-nghi",
        idempotency_key=key,
        consent_given=True,
        consent_text=CONSENT,
        consent_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        contact_phone="0912 345 678",
        commune_name="Hảo Đước",
        commune_matched=True,
        commune_code="xa-hao-duoc",
        topic="đường hư hỏng, xuống cấp",
        confidence=0.91,
        due_date=date(2026, 12, 18),
    )
    return replace(base, **changes)


def test_created_petition_reads_back_whole(store: PetitionStore) -> None:
    result = store.create(_new())
    assert result.created
    record = store.get_by_code(result.record.code)
    assert record is not None
    assert codes.validate(record.code)
    assert record.text.startswith("Đường liên ấp 3")
    assert record.contact_phone == "+84912345678"
    assert record.consent_given and record.consent_text == CONSENT
    assert record.consent_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert (record.commune_name, record.commune_matched, record.commune_code) == ("Hảo Đước", True, "xa-hao-duoc")
    assert (record.agency, record.kind, record.status) == ("so-xay-dung", "phan-anh-kien-nghi", "moi")
    assert record.due_date == date(2026, 12, 18)
    assert record.created_at.tzinfo is not None
    assert [(h.from_status, h.to_status) for h in record.history] == [(None, "moi")]


def test_redelivered_message_never_makes_a_second_petition(store: PetitionStore) -> None:
    first = store.create(_new())
    again = store.create(_new(text="Đường liên ấp 3 hư nặng (tin nhắn gửi lại)"))
    assert first.created and not again.created
    assert again.record.code == first.record.code
    assert store.count() == 1
    other = store.create(_new(key="telegram:42:1002"))
    assert other.created and other.record.code != first.record.code
    assert store.count() == 2


def test_concurrent_duplicates_store_one_petition(store: PetitionStore) -> None:
    results = []
    errors = []

    def submit() -> None:
        try:
            results.append(store.create(_new(key="zalo:7:abc")))
        except Exception as exc:  # the test reports any failure below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.record.code for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert store.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"text": "có ký tự hỏng \x00 ở đây"}, "text"),
        ({"text": "chuỗi hỏng \udcff ở đây"}, "text"),
        ({"kind": "khac"}, "kind"),
        ({"agency": "Sở Xây dựng"}, "agency"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"consent_given": False, "consent_text": None, "consent_at": None}, "contact_phone"),
        ({"consent_at": None}, "consent_at"),
        ({"confidence": 1.5}, "confidence"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"commune_code": None}, "commune_code"),
    ],
)
def test_broken_records_are_refused_before_writing(store: PetitionStore, changes: dict, field: str) -> None:
    with pytest.raises(PetitionInvalid) as info:
        store.create(_new(**changes))
    assert info.value.field == field
    assert store.count() == 0


def test_anonymous_petition_keeps_no_contact_data(store: PetitionStore) -> None:
    record = store.create(
        _new(consent_given=False, consent_text=None, consent_at=None, contact_phone=None)
    ).record
    assert record.sender_id is None and record.contact_phone is None
    assert record.delivery_state == "not-deliverable"
    # the same chat can still follow it up by code
    assert store.lookup_for_citizen(record.code, "telegram:42") is not None
    assert store.lookup_for_citizen(record.code, "telegram:43") is None


def test_status_lookup_only_for_owner_or_filing_phone(store: PetitionStore) -> None:
    code = store.create(_new()).record.code
    typed = code.lower().replace("-", " ")
    assert store.lookup_for_citizen(typed, "telegram:42") is not None
    assert store.lookup_for_citizen(code, "telegram:999") is None
    assert store.lookup_for_citizen(code, "telegram:999", phone="+84 912 345 678") is not None
    assert store.lookup_for_citizen(code, "telegram:999", phone="0912000000") is None
    assert store.lookup_for_citizen(code, None, phone=None) is None
    assert store.lookup_for_citizen("TN-2222-2222", "telegram:42") is None


def test_status_changes_are_recorded_with_who_and_why(store: PetitionStore) -> None:
    code = store.create(_new()).record.code
    store.transition(code, "dang-xu-ly", "canbo.xaydung", "Đã giao phòng quản lý đô thị")
    answered = store.set_answer(code, "Đã sửa xong đoạn đường, cảm ơn bà con.", "canbo.xaydung")
    assert answered.status == "da-tra-loi" and answered.delivery_state == "pending"
    closed = store.transition(code, "da-dong", "canbo.xaydung")
    assert [(h.from_status, h.to_status, h.actor) for h in closed.history] == [
        (None, "moi", "he-thong"),
        ("moi", "dang-xu-ly", "canbo.xaydung"),
        ("dang-xu-ly", "da-tra-loi", "canbo.xaydung"),
        ("da-tra-loi", "da-dong", "canbo.xaydung"),
    ]
    assert closed.history[1].note == "Đã giao phòng quản lý đô thị"
    with pytest.raises(InvalidTransition):
        store.transition(code, "moi", "canbo.xaydung")
    with pytest.raises(PetitionNotFound):
        store.transition("TN-2222-2223", "dang-xu-ly", "x")


def test_reassign_and_commune_fix_are_kept_in_history(store: PetitionStore) -> None:
    code = store.create(_new(agency="chua-phan-loai", commune_matched=False, commune_code=None,
                             commune_name="ấp Cây Xoài")).record.code
    store.reassign(code, "ubnd-cap-xa", "dieu.phoi", "Việc hòa giải ở xã")
    record = store.set_commune(code, "Hảo Đước", "xa-hao-duoc", "dieu.phoi")
    assert record.agency == "ubnd-cap-xa" and record.commune_matched
    assert "chua-phan-loai" in record.history[1].note and "ubnd-cap-xa" in record.history[1].note


def test_an_answer_is_queued_for_delivery_with_the_answer(store: PetitionStore) -> None:
    from petitions.outbox import Outbox, OutboxPolicy

    code = store.create(_new()).record.code
    record = store.set_answer(code, "Đã xử lý.", "canbo")
    assert record.delivery_state == "pending"
    [notice] = Outbox(store.engine, OutboxPolicy()).claim()
    assert (notice.code, notice.event, notice.detail, notice.recipient) == (code, "answered", "Đã xử lý.",
                                                                            "telegram:42")


def test_queue_filters(store: PetitionStore) -> None:
    a = store.create(_new(key="k1")).record
    b = store.create(_new(key="k2", agency="cong-an-tinh", kind="to-cao", text="Tố cáo nhóm cờ bạc ở ấp Bàu Sen",
                          commune_name="Phước Chỉ", commune_code="xa-phuoc-chi", due_date=date(2026, 11, 1))).record
    c = store.create(_new(key="k3", text="Trường thu tiền quá nhiều khoản đầu năm học", agency="so-giao-duc-dao-tao",
                          commune_name="Tân Ninh", commune_code="phuong-tan-ninh", due_date=None)).record
    store.transition(c.code, "da-dong", "x")
    today = date(2026, 11, 25)
    codes_of = lambda f: {p.code for p in store.list(f)}  # noqa: E731
    assert codes_of(PetitionFilter(agency="cong-an-tinh")) == {b.code}
    assert codes_of(PetitionFilter(kind="to-cao")) == {b.code}
    assert codes_of(PetitionFilter(status="da-dong")) == {c.code}
    assert codes_of(PetitionFilter(status=["moi", "dang-xu-ly"])) == {a.code, b.code}
    assert codes_of(PetitionFilter(commune="xa-hao-duoc")) == {a.code}
    assert codes_of(PetitionFilter(commune="phuoc chi")) == {b.code}
    assert codes_of(PetitionFilter(overdue=True, today=today)) == {b.code}
    assert codes_of(PetitionFilter(overdue=False, today=today)) == {a.code, c.code}
    assert codes_of(PetitionFilter(text="co bac")) == {b.code}  # no diacritics typed
    assert codes_of(PetitionFilter(text="TRƯỜNG THU")) == {c.code}
    assert codes_of(PetitionFilter(text="100%_")) == set()
    now_vn = datetime.now(UTC) + timedelta(hours=7)
    assert codes_of(PetitionFilter(created_from=now_vn.date(), created_to=now_vn.date())) == {a.code, b.code, c.code}
    assert codes_of(PetitionFilter(created_to=now_vn.date() - timedelta(days=1))) == set()
    assert store.count(PetitionFilter(agency="so-xay-dung")) == 1
    assert store.counts_by("agency") == {"so-xay-dung": 1, "cong-an-tinh": 1, "so-giao-duc-dao-tao": 1}
    assert [p.code for p in store.list(limit=2)] == [c.code, b.code]


def test_injection_text_is_stored_verbatim(store: PetitionStore) -> None:
    nasty = "Robert'); DROP TABLE petition;-- <script>alert(1)</script> xin sửa đường"
    code = store.create(_new(text=nasty)).record.code
    assert store.get_by_code(code).text == nasty
    assert store.list(PetitionFilter(text="drop table"))[0].code == code
    assert store.count() == 1


def test_migration_is_idempotent_and_matches_the_models(store: PetitionStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import MetaData

    from console.tables import ConsoleBase
    from petitions.chat_log import Base as ChatBase
    from petitions.migrations import VERSION_TABLE
    from petitions.models import Base
    from petitions.open311_keys import PartnerRow

    # Every table the migrations own, whichever module declares its model: one database, one drift check.
    everything = MetaData()
    for metadata in (Base.metadata, ConsoleBase.metadata, ChatBase.metadata, PartnerRow.metadata):
        for table in metadata.tables.values():
            if table.name not in everything.tables:
                table.to_metadata(everything)
    store.migrate()  # second run: nothing to do
    with store.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert {"petition", "petition_status_history", VERSION_TABLE} <= tables
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, everything) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    s = PetitionStore(f"sqlite:///{tmp_path / 'wal.db'}")
    s.migrate()
    with s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    s.close()
