"""Consent to process personal data (Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15, Nghị định 356/2025).

Consent must be explicit and specific: only a clear "yes" to the exact text shown counts, never silence, never a
vague reply. The record keeps that text and the time, so an operator can show what the citizen agreed to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from nlp.text import fold

CONSENT_TEXT_VI = (
    "Để tiếp nhận phản ánh và chuyển đến cơ quan có thẩm quyền giải quyết, hệ thống cần xử lý dữ liệu cá nhân "
    "của bạn: định danh tài khoản trò chuyện, nội dung phản ánh, xã/phường và số điện thoại nếu bạn cung cấp. "
    "Dữ liệu chỉ dùng để giải quyết, trả lời phản ánh của bạn và được bảo vệ theo Luật Bảo vệ dữ liệu cá nhân "
    "số 91/2025/QH15. Bạn có đồng ý không? Trả lời \"Đồng ý\" để đồng ý, hoặc \"Không\" để gửi ẩn danh "
    "(không kèm thông tin liên lạc, cơ quan sẽ không thể liên hệ lại với bạn)."
)

_FILLERS = {"a", "ah", "nhe", "nha", "nhen", "roi", "toi", "minh", "em", "chau", "con", "anh", "chi", "thi",
            "la", "voi", "ban", "cung", "duoc"}
_YES = {"dong y", "co", "co dong y", "dong y het", "hoan toan dong y", "chap nhan", "yes", "ok", "oke", "okay",
        "vang", "da", "da vang", "vang dong y", "da dong y", "da co", "u dong y", "dong y xu ly"}
_NO = {"khong", "ko", "k", "khg", "kg", "no", "khong dong y", "ko dong y", "k dong y", "tu choi", "khong chap nhan",
       "thoi", "khong can", "an danh", "gui an danh", "khong muon"}


@dataclass(frozen=True)
class ConsentRecord:
    """What the citizen answered, to which text, and when."""

    given: bool
    text_shown: str
    at: datetime

    @classmethod
    def now(cls, given: bool, text_shown: str = CONSENT_TEXT_VI) -> ConsentRecord:
        return cls(given=given, text_shown=text_shown, at=datetime.now(UTC))


def parse_consent(reply: str | None) -> bool | None:
    """True for an explicit yes, False for an explicit no, None when the reply is neither (ask again)."""
    words = re.sub(r"[^\w\s]", " ", fold(reply or "")).split()
    if len(words) > 12:
        return None
    core = " ".join(w for w in words if w not in _FILLERS).replace("cam on", " ")
    core = " ".join(core.split())
    if core in _NO:
        return False
    if core in _YES:
        return True
    return None
