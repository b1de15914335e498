"""Vietnamese phone numbers: the many ways people type them, one stored form (+84…), one display form (0…).

Mobile numbers have 9 digits after the country code and start with 3, 5, 7, 8 or 9 (since the 2018 renumbering);
landlines have 10 digits after it and start with 2 (area code, e.g. 276 for the former Tây Ninh, 272 for Long An).
"""
from __future__ import annotations

import re
import unicodedata

_ALLOWED = re.compile(r"^[\d\s.\-()+/]+$")
_MOBILE = re.compile(r"^[35789]\d{8}$")
_LANDLINE = re.compile(r"^2\d{9}$")


def normalize_phone(raw: str | None) -> str | None:
    """E.164 form ("+84912345678") of a Vietnamese number, or None when it is not one.

    Accepts "0912 345 678", "0912.345.678", "+84 912 345 678", "(+84) 912-345-678", "84912345678",
    "0084912345678" and full-width digits.
    """
    if not raw or not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) > 32 or not _ALLOWED.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.lstrip("(").startswith("+"):
        if not digits.startswith("84"):
            return None
        national = digits[2:]
    elif digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    if national.startswith("0"):  # "+84 0912…": a leading trunk zero typed after the country code
        national = national[1:]
    if _MOBILE.match(national) or _LANDLINE.match(national):
        return "+84" + national
    return None


def display_phone(e164: str) -> str:
    """The national form people recognise: "+84912345678" → "0912 345 678"."""
    national = "0" + e164[3:] if e164.startswith("+84") else e164
    if len(national) == 11:  # landline: "0276 3812 345"
        return f"{national[:4]} {national[4:8]} {national[8:]}"
    return f"{national[:4]} {national[4:7]} {national[7:]}"


def mask_phone(e164: str | None) -> str:
    """A phone with its middle hidden ("0912 *** 678") for screens and logs that must not show it whole."""
    if not e164:
        return ""
    shown = display_phone(e164)
    return shown[:5] + "*** " + shown[-3:]
