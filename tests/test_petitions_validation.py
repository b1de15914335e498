"""What citizens type: each bad input gets a Vietnamese message, nothing broken gets through."""
from __future__ import annotations

import pytest

from nlp.text import has_diacritics
from petitions.consent import parse_consent
from petitions.phone import display_phone, mask_phone, normalize_phone
from petitions.validation import InputError, clean_matter, clean_phone, strip_html, wants_no_phone


def _error(value) -> InputError:
    with pytest.raises(InputError) as info:
        clean_matter(value)
    assert has_diacritics(info.value.message)  # a Vietnamese message, written properly
    return info.value


def test_a_normal_matter_is_kept_with_tidy_whitespace() -> None:
    typed = "  Đường   ấp 3 bị hư nặng,\r\n\r\n\r\n xin sửa sớm  "
    assert clean_matter(typed) == "Đường ấp 3 bị hư nặng,\n\nxin sửa sớm"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("    \n\t ", "empty"),
        (None, "empty"),
        ("đường hư", "too-short"),
        ("x" * 5001, "too-long"),
        ("á" * 100_000, "too-long"),
        ("😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", "no-words"),
        ("!!!!!!!!!!!!!!!!!!!!!!!!!", "no-words"),
        ("🙏🙏 ok 🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏", "no-words"),
        (b"\xff\xfe\xfa broken bytes from the channel", "broken-utf8"),
        ("đường hư \ufffd\ufffd nặng lắm rồi", "broken-utf8"),
        ("đường hư nặng lắm rồi\x00\x01", "control-characters"),
    ],
)
def test_bad_matters_are_refused_with_a_vietnamese_message(value, reason: str) -> None:
    assert _error(value).reason == reason


def test_html_is_reduced_to_its_text() -> None:
    text = clean_matter('<p>Đường <b>ấp 3</b> bị hư</p><script>alert("x")</script> xin sửa &lt;gấp&gt;')
    assert text == "Đường ấp 3 bị hư xin sửa"
    assert "script" not in strip_html("&lt;script&gt;alert(1)&lt;/script&gt; xin sửa")


def test_character_references_cannot_smuggle_control_characters() -> None:
    assert clean_matter("đường hư nặng lắm rồi &#1;&#2;") == "đường hư nặng lắm rồi"
    assert _error("đường hư nặng lắm rồi &#x0;").reason == "broken-utf8"  # decodes to U+FFFD


def test_sql_looking_text_is_just_text() -> None:
    text = "'; DROP TABLE petition; -- đường ấp 3 hư rồi"
    assert clean_matter(text) == text


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("(+84) 912-345-678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("+84 0912345678", "+84912345678"),
        ("０９１２３４５６７８", "+84912345678"),
        ("0276 3812 345", "+842763812345"),
    ],
)
def test_vietnamese_phone_formats_are_normalised(typed: str, e164: str) -> None:
    assert normalize_phone(typed) == e164
    assert clean_phone(typed) == e164


@pytest.mark.parametrize("typed", ["12345", "0123456789", "+1 415 555 0100", "09123456789", "abc", "0912-345-67x"])
def test_non_vietnamese_phones_are_refused(typed: str) -> None:
    assert normalize_phone(typed) is None
    with pytest.raises(InputError) as info:
        clean_phone(typed)
    assert "Số điện thoại" in info.value.message


def test_phone_display_and_mask() -> None:
    assert display_phone("+84912345678") == "0912 345 678"
    assert "345" not in mask_phone("+84912345678") and mask_phone("+84912345678").endswith("678")


def test_declining_to_give_a_phone_is_understood() -> None:
    for reply in ("không", "Không ạ", "khong", "ẩn danh", "bỏ qua"):
        assert wants_no_phone(reply), reply
    assert not wants_no_phone("0912345678")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Đồng ý", True),
        ("dong y", True),
        ("Tôi đồng ý ạ", True),
        ("có", True),
        ("Không", False),
        ("không đồng ý", False),
        ("Không, cảm ơn", False),
        ("ừm để xem", None),
        ("", None),
        ("không biết nữa", None),
        ("đồng ý nhưng không cho số điện thoại", None),
    ],
)
def test_consent_needs_an_explicit_answer(reply: str, expected: bool | None) -> None:
    assert parse_consent(reply) is expected
