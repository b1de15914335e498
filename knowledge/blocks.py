"""Fields of a letter's formal blocks — header, addressees, signature — and the scanning noise around them.

A scanned letter's header and signature are where OCR goes wrong ("NC-THONG 60" for a stamp, "JCT." for "KT."), and
these blocks are lists of fields rather than sentences. An answer never quotes such a block as prose: it states the
field asked for (the date, the signer), and drops lines that are none of the block's fields. The passage text stored
in the index keeps every line, noise included, for fidelity.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.paragraphs import (
    PLACE_DATE_RE,
    ROLE_WORDS,
    SIGNATURE_START_RE,
    is_caps,
    is_person_name,
)

# OCR confusions of the authority prefix of a signature ("KT." = ký thay, "TM." = thay mặt, "TL." = thừa lệnh).
_AUTHORITY_RE = re.compile(r"^(?P<prefix>T/M|TM\.|KT\.|JCT\.|TL\.|TUQ\.|Q\.)\s*(?P<rest>.*)$", re.I)
_AUTHORITY_FIX = {"JCT.": "KT.", "T/M": "TM."}
_NUMBER_RE = re.compile(r"^Số\s*:\s*(?P<number>.+)$")
_SUBJECT_RE = re.compile(r"^V/v\s+(?P<subject>.+)$", re.I)
_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ĐẢNG CỘNG SẢN VIỆT NAM")
_BULLET_RE = re.compile(r"^[-–—•+*]\s*")


@dataclass(frozen=True)
class Signature:
    """"KT. CHỦ TỊCH / PHÓ CHỦ TỊCH / Nguyễn Thanh Ngọc" as fields; `noise` holds the lines that are none of them."""

    authority: str = ""  # "KT. CHỦ TỊCH" (on whose behalf), "" when the signer signs in their own name
    position: str = ""  # "PHÓ CHỦ TỊCH"
    name: str = ""  # "Nguyễn Thanh Ngọc"
    noise: tuple[str, ...] = ()

    def clean_text(self) -> str:
        return "\n".join(p for p in (self.authority, self.position, self.name) if p)


@dataclass(frozen=True)
class Header:
    """The header of an administrative document as fields."""

    issuer: str = ""  # "ỦY BAN NHÂN DÂN TỈNH TÂY NINH"
    number: str = ""  # "608 /UBND-NCPC" as written
    subject: str = ""  # the V/v line
    place_date: str = ""  # "Tây Ninh, ngày 02 tháng 4 năm 2019"
    noise: tuple[str, ...] = field(default_factory=tuple)

    def clean_text(self) -> str:
        parts = [self.issuer, f"Số: {self.number}" if self.number else "",
                 f"V/v {self.subject}" if self.subject else "", self.place_date]
        return "\n".join(p for p in parts if p)


def _capitalised(text: str) -> str:
    """"PHÓ CHỦ TỊCH" → "Phó Chủ tịch" (Vietnamese writes offices with the first word capitalised)."""
    words = text.lower().split()
    if not words:
        return ""
    out = [words[0].capitalize()]
    # the head noun of an office keeps its capital: "Phó Chủ tịch", "Chủ tịch", "Bí thư", "Giám đốc"
    for prev, word in zip(words, words[1:], strict=False):
        out.append(word.capitalize() if prev == "phó" else word)
    return " ".join(out)


def office(text: str) -> str:
    """Office words in running text: "PHÓ CHỦ TỊCH" → "Phó Chủ tịch", "KT. CHỦ TỊCH" → "KT. Chủ tịch"."""
    match = _AUTHORITY_RE.match(text)
    if match:
        return f"{match['prefix'].upper()} {_capitalised(match['rest'])}".strip()
    return _capitalised(text)


def parse_signature(text: str) -> Signature:
    """Split a signature block's lines into authority, position and name; anything else is noise."""
    authority = position = name = ""
    noise: list[str] = []
    for line in (ln.strip() for ln in text.split("\n")):
        if not line or line.lower() in ("(đã ký)", "(ký)", "(đã ký và đóng dấu)"):
            continue
        match = _AUTHORITY_RE.match(line)
        if match and not authority:
            prefix = _AUTHORITY_FIX.get(match["prefix"].upper(), match["prefix"].upper())
            rest = match["rest"]
            # "KT. CHỦ TỊCH PHÓ CHỦ TỊCH" on one line: the authority's office, then the signer's
            roles = [r for r in ROLE_WORDS if r in rest]
            split_at = _second_role(rest, roles)
            if split_at:
                authority, position = f"{prefix} {rest[:split_at].strip()}", rest[split_at:].strip()
            else:
                authority = f"{prefix} {rest}".strip()
        elif is_caps(line) and any(role in line for role in ROLE_WORDS) and not position:
            position = line
        elif is_person_name(line) and not name:
            name = line
        else:
            noise.append(line)
    if authority and not position:  # "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH" or a lone "CHỦ TỊCH"
        position = ""
    return Signature(authority, position, name, tuple(noise))


def _second_role(rest: str, roles: list[str]) -> int:
    """Where the signer's own office starts in "CHỦ TỊCH PHÓ CHỦ TỊCH" (0 when there is only one office)."""
    for marker in ("PHÓ ", "GIÁM ĐỐC", "TRƯỞNG BAN", "BỘ TRƯỞNG", "THỨ TRƯỞNG"):
        at = rest.find(marker, 1)
        if at > 0 and roles:
            return at
    return 0


def parse_header(text: str) -> Header:
    """Issuer, number, subject and place-and-date of a header block; the national motto is neither field nor noise."""
    issuer: list[str] = []
    number = subject = place_date = ""
    noise: list[str] = []
    for line in (ln.strip() for ln in text.split("\n")):
        if not line:
            continue
        if any(m.casefold() == line.casefold() for m in _MOTTO):
            continue
        if match := _NUMBER_RE.match(line):
            number = match["number"].strip()
        elif match := _SUBJECT_RE.match(line):
            subject = match["subject"].strip()
        elif PLACE_DATE_RE.search(line):
            place_date = PLACE_DATE_RE.search(line).group(0).strip()  # type: ignore[union-attr]
        elif is_caps(line) and not number and not subject:
            issuer.append(line)
        else:
            noise.append(line)
    return Header(" ".join(issuer), number, subject, place_date, tuple(noise))


def parse_addressees(text: str) -> list[str]:
    """"Kính gửi: - Các sở, ban, ngành tỉnh; - UBND các huyện, thành phố." → the two addressees."""
    body = re.sub(r"^(?:Kính gửi|KÍNH GỬI)\s*:?\s*", "", text.strip())
    items = [_BULLET_RE.sub("", ln).strip().rstrip(";.,") for ln in body.split("\n")]
    return [i for i in items if i]


def is_noise_line(line: str) -> bool:
    """A line of a signature block that is no field of it (a stamp or scan artefact such as "NC-THONG 60")."""
    line = line.strip()
    return bool(line) and not (SIGNATURE_START_RE.match(line) or is_person_name(line)
                               or (is_caps(line) and any(r in line for r in ROLE_WORDS)))
