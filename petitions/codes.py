"""Tracking codes citizens read aloud, type on a phone keypad and copy from a chat: "TN-7K4Q-MX29".

Seven random symbols from a 32-letter alphabet without the look-alikes 0/O and 1/I give 2**35 (~34 billion) codes,
drawn with `secrets` so that no code can be guessed from another one. The eighth symbol is a Luhn mod 32 check
character: every single mistyped symbol and most swapped neighbours are caught before the database is asked.
"""
from __future__ import annotations

import re
import secrets
import unicodedata

PREFIX = "TN"
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0, O, 1, I
_BASE = len(ALPHABET)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_RANDOM_LEN = 7
_BODY_LEN = _RANDOM_LEN + 1
_SEPARATORS = re.compile(r"[\s\-_.·/–—]+")

# An agency's code (routing table, petitions, operator accounts, settings): lower-case ASCII words joined by hyphens,
# safe in URLs, file names and the store's CHECK constraints alike.
AGENCY_CODE = r"[a-z][a-z0-9-]{1,63}"
AGENCY_RE = re.compile(rf"^{AGENCY_CODE}$")


def _check_symbol(payload: str) -> str:
    """Luhn mod N check symbol of `payload` (symbols of ALPHABET)."""
    total = 0
    factor = 2
    for ch in reversed(payload):
        addend = factor * _VALUE[ch]
        total += addend // _BASE + addend % _BASE
        factor = 1 if factor == 2 else 2
    return ALPHABET[(_BASE - total % _BASE) % _BASE]


def _format(body: str) -> str:
    return f"{PREFIX}-{body[:4]}-{body[4:]}"


def new_code() -> str:
    """A fresh random tracking code, e.g. "TN-7K4Q-MX29"."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(_RANDOM_LEN))
    return _format(payload + _check_symbol(payload))


def normalize_code(text: str) -> str | None:
    """Canonical form of what a person typed ("tn 7k4q mx29", "7K4QMX29", "TN7K4Q-MX29"), or None if it cannot be one.

    Only the shape is checked here; `validate` also checks the check symbol.
    """
    if not isinstance(text, str):
        return None
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if compact.startswith(PREFIX) and len(compact) == len(PREFIX) + _BODY_LEN:
        compact = compact[len(PREFIX) :]
    if len(compact) != _BODY_LEN or any(ch not in _VALUE for ch in compact):
        return None
    return _format(compact)


def validate(text: str) -> bool:
    """True when `text` normalises to a code whose check symbol is right (a typo is caught without a lookup)."""
    code = normalize_code(text)
    if code is None:
        return False
    body = code[len(PREFIX) + 1 :].replace("-", "")
    return _check_symbol(body[:-1]) == body[-1]


_CODE_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:TN[\s\-_.]*)?[0-9A-Za-z]{4}[\s\-_.]*[0-9A-Za-z]{4}(?![0-9A-Za-z])", re.IGNORECASE
)


def find_code(text: str) -> str | None:
    """The first valid tracking code inside a sentence ("mã của tôi là tn-7k4q-mx29 ạ"), normalised; else None."""
    for match in _CODE_IN_TEXT.finditer(text or ""):
        code = normalize_code(match.group(0))
        if code is not None and validate(code):
            return code
    return None
