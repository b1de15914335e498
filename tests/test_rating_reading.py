"""How a reply to "did this answer resolve your matter?" is read (actions/understanding.py `read_rating`).

Fast checks of the phrase lists in actions/data/understanding.yml; tests/test_dialogue_rating.py plays the same
replies through the real Rasa and action servers. The rule that matters most: a refusal is never "resolved", since
"not resolved" reopens the petition and "resolved" closes the citizen's say on it.
"""
from __future__ import annotations

import pytest

from actions.understanding import read_rating

RESOLVED = [
    "đã giải quyết",
    "Đã giải quyết rồi",
    "da giai quyet",
    "DA GIAI QUYET ROI",
    "rồi, xong rồi",
    "xong rồi nha ad",
    "ok cảm ơn",
    "ok cam on",
    "dạ rồi ạ",
    "ổn rồi",
    "ổn áp",  # southern / teen: "fine"
    "dc r",  # teen code: "được rồi"
    "oke xong r nha",
    "tks ad",
    "cảm ơn cán bộ nhiều",
    "hài lòng",
    "giải quyết xong rồi, cảm ơn nhé",
    "ổn",  # was a YAML boolean in the list ("on"), so a bare "ổn" matched nothing
    "yes",
]


@pytest.mark.parametrize("text", RESOLVED)
def test_a_resolved_reply_is_read_as_resolved(text: str) -> None:
    reading = read_rating(text)
    assert reading is not None and reading.verdict == "resolved", reading


REFUSALS = [
    "không",
    "ko",
    "hong",
    "chưa",
    "chx",  # teen code: "chưa"
    "chưa xong",
    "chưa giải quyết",
    "chua giai quyet",
    "không ổn",
    "ko hài lòng",
    "vẫn chưa ổn lắm",
    "hông có giải quyết gì hết",
    "không, cảm ơn",
    "chưa đâu",
    "cảm ơn nhưng chưa xong",
    "ok nhưng vẫn còn ngập",
    "xong gì mà xong",
    "giải quyết cái gì mà giải quyết",
    "đã giải quyết chưa?",  # a question about the status, not a verdict
    "ok chưa?",
    "rồi sao nữa",
]


@pytest.mark.parametrize("text", REFUSALS)
def test_a_refusal_is_never_read_as_resolved(text: str) -> None:
    reading = read_rating(text)
    assert reading is None or reading.verdict != "resolved", reading


@pytest.mark.parametrize(("text", "reason"), [
    ("chưa giải quyết, vì đường vẫn ngập", "đường vẫn ngập"),
    ("chưa, đường vẫn ngập", "đường vẫn ngập"),
    ("chua giai quyet vi duong van ngap", "duong van ngap"),
    ("ko hài lòng vì trả lời chung chung", "trả lời chung chung"),
    ("không. cán bộ chưa xuống kiểm tra", "cán bộ chưa xuống kiểm tra"),
    ("chưa giải quyết: nước vẫn tràn vào nhà", "nước vẫn tràn vào nhà"),
    ("hổng có giải quyết gì hết trơn á, nước vẫn ngập tới gối", "nước vẫn ngập tới gối"),
])
def test_not_resolved_with_a_reason_keeps_the_citizens_own_words(text: str, reason: str) -> None:
    reading = read_rating(text)
    assert reading is not None and reading.verdict == "unresolved" and reading.reason == reason, reading
    assert not reading.needs_reason


@pytest.mark.parametrize("text", ["chưa giải quyết", "chưa", "không", "chưa xong ạ", "khong hai long", "chx"])
def test_not_resolved_without_a_reason_asks_for_one(text: str) -> None:
    reading = read_rating(text)
    assert reading is not None and reading.verdict == "unresolved" and reading.needs_reason, reading


@pytest.mark.parametrize(("text", "score", "verdict"), [
    ("5", 5, "resolved"),
    ("5 sao", 5, "resolved"),
    ("chấm 4 điểm", 4, "resolved"),
    ("4/5", 4, "resolved"),
    ("3", 3, "neutral"),
    ("2", 2, "unresolved"),
    ("cho 2đ", 2, "unresolved"),
    ("1", 1, "unresolved"),
    ("1 điểm thôi", 1, "unresolved"),
])
def test_a_score_from_one_to_five(text: str, score: int, verdict: str) -> None:
    reading = read_rating(text)
    assert reading is not None and (reading.score, reading.verdict) == (score, verdict), reading
    assert not reading.needs_reason  # a low score reopens without asking why


@pytest.mark.parametrize("text", [
    "0", "10", "6 sao", "0912345678", "TN-7K4Q-MX29",
    "dân vận khéo là gì", "hồ sơ của tôi", "tôi muốn gửi phản ánh mới", "/affirm",
    "ok để tôi hỏi thêm về kết luận 43",
    "không có nước sạch ở ấp 3 mấy tuần nay",  # a new matter that happens to open with "không"
    "chưa đường vẫn ngập",  # ambiguous without the comma: left to the usual reading
])
def test_anything_else_is_no_rating(text: str) -> None:
    assert read_rating(text) is None


@pytest.mark.parametrize(("text", "verdict"), [
    ("ok cảm ơn", "resolved"),
    ("cảm ơn ad nhiều", "resolved"),
    ("oke", "resolved"),
    ("dạ rồi ạ", "resolved"),
    ("tks ad", "resolved"),
    ("ok cảm ơn, tạm biệt", "resolved"),
    ("không", "unresolved"),
    ("ko", "unresolved"),
    ("không, cảm ơn", "unresolved"),
])
def test_a_bare_ok_thanks_or_no_rates_only_as_the_reply_to_the_notice(text: str, verdict: str) -> None:
    reading = read_rating(text)
    assert reading is not None and (reading.verdict, reading.bare) == (verdict, True), reading


@pytest.mark.parametrize("text", [
    "đã giải quyết", "xong rồi nha ad", "ổn rồi", "hài lòng", "giải quyết xong rồi, cảm ơn nhé",
    "chưa", "chưa giải quyết", "chưa, đường vẫn ngập", "không ổn", "5", "2", "3",
])
def test_an_explicit_verdict_or_a_score_rates_at_any_time(text: str) -> None:
    reading = read_rating(text)
    assert reading is not None and not reading.bare, reading
