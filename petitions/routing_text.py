"""The part of a petition that says what happened, for routing: without "tui muốn tố cáo…" in front.

People open a petition with who they are and what they are doing ("Tui muốn tố cáo mấy cái lò than…", "Kính gửi
quý cơ quan. Tôi xin phản ánh việc…"). Those words say nothing about which agency handles the matter, yet "tố cáo"
and "khiếu nại" pull the router towards the police and the inspectorate. The stored text keeps every word; only the
router reads the text without its opening request.
"""
from __future__ import annotations

import re

from nlp.text import fold

# On folded text: an optional greeting, the speaker, a wish, the kind of request, and a linking word.
_OPENING = re.compile(
    r"^\s*(?:(?:kinh gui|kinh thua|thua|chao|xin chao|ad oi|ad|admin oi)[^.!?\n]{0,60}?[.,!:\n]\s*)?"
    r"(?:(?:toi|tui|em|e|minh|chau|con|chung toi|ba con)\s+)?"
    r"(?:(?:muon|mun|xin|can|dinh|xin duoc|muon duoc|co y kien|co chuyen)\s+)?"
    r"(?:gui\s+)?(?:to cao|khieu nai|phan anh|kien nghi|de nghi|trinh bao|bao cao|bao|gop y)\s+"
    r"(?:(?:ve|viec|vu|chuyen|ve viec|ve vu|ve chuyen|la|rang)\s+)*"
)
_MIN_LEFT_WORDS = 4


def routing_text(matter: str) -> str:
    """`matter` without its opening request, when enough words are left to route on; otherwise `matter`."""
    words = matter.split()
    match = _OPENING.match(fold(matter))
    if not match or len(fold(matter)) != len(matter):
        return matter
    dropped = len(match.group(0).split())
    if len(words) - dropped < _MIN_LEFT_WORDS:
        return matter
    return " ".join(words[dropped:])
