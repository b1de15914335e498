"""Hotspots: similar petitions from one commune within a window become one cluster for operators."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from petitions.hotspots import find_hotspots, recent_hotspots
from petitions.store import NewPetition, PetitionRecord, PetitionStore

pytestmark = pytest.mark.slow

ROAD = [
    "Đường liên ấp Bàu Sen bị hư nặng, ổ gà khắp nơi, xin sửa chữa gấp.",
    "duong lien ap bau sen hu hong qua, o ga nhieu, xe di rat nguy hiem",
    "Con đường ấp Bàu Sen xuống cấp trầm trọng, mưa là ngập, học sinh té ngã liên tục.",
    "Xin sửa đường ấp Bàu Sen, đường toàn ổ gà, ổ voi.",
]
OTHER = [
    ("Nhà máy mì xả nước thải ra kênh, cá chết hàng loạt.", "so-nong-nghiep-moi-truong"),
    ("Xin hỏi thủ tục đăng ký khai sinh cho con.", "ubnd-cap-xa"),
    ("Công ty nợ lương công nhân hai tháng.", "so-noi-vu"),
]


def _record(i: int, text: str, at: datetime, commune: str = "xa-hao-duoc", agency: str = "so-xay-dung"):
    return PetitionRecord(
        id=i, code=f"TN-TEST-{i:04d}", channel="test", sender_id=None, consent_given=False, consent_at=None,
        consent_text=None, contact_phone=None, text=text, commune_name=commune, commune_matched=True,
        commune_code=commune, agency=agency, topic="đường hư hỏng, xuống cấp", confidence=0.9,
        kind="phan-anh-kien-nghi", status="moi", created_at=at, updated_at=at, due_date=None, answer=None,
        answered_at=None, answered_by=None, delivery_state="not-deliverable", delivery_attempts=0,
        delivery_error=None, delivered_at=None,
    )


def test_similar_petitions_from_one_commune_form_a_cluster(encoder) -> None:
    start = datetime(2026, 11, 1, 8, tzinfo=UTC)
    petitions = [_record(i, t, start + timedelta(hours=10 * i)) for i, t in enumerate(ROAD)]
    petitions += [_record(10 + i, t, start + timedelta(hours=i), agency=a) for i, (t, a) in enumerate(OTHER)]
    hotspots = find_hotspots(petitions, encoder)
    assert len(hotspots) == 1
    spot = hotspots[0]
    assert set(spot.codes) == {f"TN-TEST-{i:04d}" for i in range(4)}
    assert spot.commune_code == "xa-hao-duoc" and spot.agency == "so-xay-dung"
    assert spot.first_at == start and spot.size == 4
    assert spot.mean_similarity >= 0.9


def test_same_issue_in_other_communes_or_weeks_apart_is_not_a_cluster(encoder) -> None:
    start = datetime(2026, 11, 1, 8, tzinfo=UTC)
    spread_out = [_record(i, t, start + timedelta(days=10 * i)) for i, t in enumerate(ROAD)]
    assert find_hotspots(spread_out, encoder, window=timedelta(days=7)) == []
    other_communes = [_record(i, t, start, commune=f"xa-{i}") for i, t in enumerate(ROAD)]
    assert find_hotspots(other_communes, encoder) == []
    assert find_hotspots(spread_out[:2], encoder, min_size=3) == []


def test_recent_hotspots_read_the_store(encoder, tmp_path) -> None:
    store = PetitionStore(f"sqlite:///{tmp_path / 'h.db'}")
    store.migrate()
    base = NewPetition(channel="test", sender_id="s", text="", agency="so-xay-dung", kind="phan-anh-kien-nghi",
                       idempotency_key="", consent_given=False, commune_name="Hảo Đước", commune_matched=True,
                       commune_code="xa-hao-duoc")
    for i, text in enumerate(ROAD):
        store.create(replace(base, text=text, idempotency_key=f"k{i}", sender_id=f"s{i}"))
    spots = recent_hotspots(store, encoder, now=datetime.now(UTC) + timedelta(minutes=1))
    assert len(spots) == 1 and spots[0].size == 4
    store.close()
