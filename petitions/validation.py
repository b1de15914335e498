"""Checks on what citizens type, each failing with a short Vietnamese message the chat can show as it is.

The chat passes raw text through; nothing here trusts it. Broken encodings and control characters are refused (they
would corrupt the store or a PostgreSQL text column), HTML is reduced to its text (the console escapes on output as
well), and sizes are bounded before any heavier work.
"""
from __future__ import annotations

import html
import re
import unicodedata

from nlp.text import fold
from petitions.phone import normalize_phone

MIN_MATTER = 15
MAX_MATTER = 5000
_MIN_LETTERS = 6

MSG_EMPTY = "Bạn chưa nhập nội dung phản ánh. Xin mô tả sự việc bạn muốn phản ánh, kiến nghị."
MSG_TOO_SHORT = (
    f"Nội dung còn ngắn quá (cần ít nhất {MIN_MATTER} ký tự). "
    "Xin mô tả rõ hơn: việc gì, ở đâu, từ khi nào."
)
MSG_TOO_LONG = (
    "Nội dung dài quá (tối đa 5.000 ký tự). Xin tóm tắt những ý chính; "
    "giấy tờ kèm theo bạn có thể nộp khi cơ quan liên hệ."
)
MSG_NO_WORDS = "Nội dung chỉ có biểu tượng hoặc ký hiệu. Xin mô tả sự việc bằng chữ."
MSG_BROKEN = (
    "Tin nhắn có ký tự không đọc được (lỗi mã hóa). "
    "Xin gõ lại nội dung bằng tiếng Việt, có dấu hoặc không dấu đều được."
)
MSG_BAD_PHONE = (
    "Số điện thoại chưa đúng. Xin nhập số điện thoại Việt Nam, ví dụ 0912 345 678, "
    "hoặc trả lời \"không\" để gửi mà không để lại số điện thoại."
)
MSG_BAD_COMMUNE = "Xin cho biết tên xã hoặc phường nơi xảy ra sự việc, ví dụ: xã Hảo Đước, phường Tân Ninh."

_SCRIPT_STYLE = re.compile(r"<\s*(script|style)\b[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^<>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


class InputError(ValueError):
    """Citizen input that cannot be accepted; `message` is Vietnamese and ready to show, `reason` is for code."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


def _decode(raw: str | bytes | None) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(MSG_BROKEN, "broken-utf8") from exc
    if not isinstance(raw, str):
        raise InputError(MSG_EMPTY, "not-text")
    return raw


def _check_encoding(text: str) -> None:
    if "\ufffd" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise InputError(MSG_BROKEN, "broken-utf8")
    if _CONTROL.search(text):
        raise InputError(MSG_BROKEN, "control-characters")


def strip_html(text: str) -> str:
    """Plain text of a message that may carry HTML (tags removed, entities decoded, scripts dropped entirely)."""
    for _ in range(3):  # "&lt;b&gt;" decodes into a tag, which the next round removes
        stripped = _TAG.sub(" ", _SCRIPT_STYLE.sub(" ", text))
        decoded = html.unescape(stripped)
        if decoded == text:
            break
        text = decoded
    return text


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_matter(raw: str | bytes | None) -> str:
    """The petition text, cleaned and checked: 15..5000 characters of real words, no broken characters."""
    text = _decode(raw)
    if len(text) > MAX_MATTER * 4:  # refuse 100 kB before doing any work on it
        raise InputError(MSG_TOO_LONG, "too-long")
    _check_encoding(text)
    text = unicodedata.normalize("NFC", text)
    text = _tidy(strip_html(text))
    _check_encoding(text)  # entities such as &#0; decode into control characters
    if not text:
        raise InputError(MSG_EMPTY, "empty")
    letters = sum(1 for ch in text if unicodedata.category(ch).startswith("L"))
    if letters == 0 or (letters < _MIN_LETTERS and len(text) >= MIN_MATTER):
        raise InputError(MSG_NO_WORDS, "no-words")
    if len(text) < MIN_MATTER:
        raise InputError(MSG_TOO_SHORT, "too-short")
    if len(text) > MAX_MATTER:
        raise InputError(MSG_TOO_LONG, "too-long")
    return text


_ANONYMOUS = {
    "khong", "ko", "k", "khg", "kg", "khong co", "khong can", "khong muon", "an danh", "gui an danh", "bo qua",
    "khong de lai", "khong cho", "thoi", "no", "skip",
}


def wants_no_phone(raw: str | None) -> bool:
    """True when the answer to "your phone number?" means "none / anonymous"."""
    words = re.sub(r"[^\w\s]", " ", fold(raw or "")).split()
    words = [w for w in words if w not in ("a", "nhe", "nha", "ah", "toi", "minh", "em", "so", "dien", "thoai")]
    return " ".join(words) in _ANONYMOUS


def clean_phone(raw: str | None) -> str:
    """The phone number in E.164 form (+84…), or an InputError with the Vietnamese explanation."""
    text = _decode(raw).strip()
    _check_encoding(text)
    phone = normalize_phone(text)
    if phone is None:
        raise InputError(MSG_BAD_PHONE, "bad-phone")
    return phone


def clean_commune(raw: str | bytes | None) -> str:
    """A commune name as typed, trimmed and safe to store (matching happens in CommuneDirectory)."""
    text = _decode(raw)
    if len(text) > 1000:
        raise InputError(MSG_BAD_COMMUNE, "too-long")
    _check_encoding(text)
    text = _tidy(strip_html(unicodedata.normalize("NFC", text))).replace("\n", " ")
    if not any(unicodedata.category(ch).startswith("L") for ch in text):
        raise InputError(MSG_BAD_COMMUNE, "empty")
    if len(text) > 200:
        raise InputError(MSG_BAD_COMMUNE, "too-long")
    return text
