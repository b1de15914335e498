"""What shape of answer a question wants: a date, a signer, an issuer, a list of duties, what a document is.

Cues are matched on folded syllables, so "ai ký", "ai ky" and "ai kí" read alike. The shape only decides how the
reply is laid out from the retrieved passages (knowledge/answering.py); retrieval and abstention do not use it.
"""
from __future__ import annotations

from dataclasses import dataclass

from nlp.text import folded_syllables

_DATE = (("ngay", "nao"), ("nam", "nao"), ("thang", "may"), ("thang", "nao"), ("khi", "nao"), ("bao", "gio"),
         ("ra", "doi"), ("luc", "nao"), ("hoi", "nao"), ("nam", "bao", "nhieu"), ("ngay", "bao", "nhieu"),
         ("ngay", "ban", "hanh"), ("ngay", "ky"), ("ky", "ngay"), ("ky", "nam"), ("thoi", "gian", "ban", "hanh"),
         ("nam", "may"), ("ngay", "may"))
_SIGNER = (("ai", "ky"), ("nguoi", "ky"), ("ky", "boi"), ("ai", "da", "ky"), ("ky", "ten"), ("chu", "ky"),
           ("ai", "ki"), ("nguoi", "ki"), ("ky", "thay"))
_ISSUER = (("co", "quan", "nao", "ban", "hanh"), ("co", "quan", "nao", "da", "ban", "hanh"), ("ai", "ban", "hanh"),
           ("don", "vi", "nao", "ban", "hanh"), ("cua", "co", "quan", "nao"), ("cua", "ai"), ("ai", "ra"),
           ("noi", "nao", "ban", "hanh"), ("cap", "nao", "ban", "hanh"), ("co", "quan", "ban", "hanh"))
_SUBJECT = (("trich", "yeu"), ("ve", "viec", "gi"), ("v", "v"), ("ve", "viec", "nao"))
_LIST = (("nhung", "nhiem", "vu"), ("nhiem", "vu", "gi"), ("nhung", "noi", "dung"), ("noi", "dung", "gi"),
         ("gom", "nhung"), ("nhung", "gi"), ("nhung", "viec"), ("viec", "gi"), ("may", "diem"),
         ("bao", "nhieu", "diem"), ("bao", "nhieu", "noi", "dung"), ("cac", "diem"), ("nhung", "diem"),
         ("nhung", "yeu", "cau"), ("giao", "cho", "ai"), ("lam", "gi"), ("noi", "gi"), ("tom", "tat"),
         ("yeu", "cau", "gi"), ("trach", "nhiem", "gi"), ("nhiem", "vu", "nao"), ("nhung", "nhiem", "vu", "nao"),
         ("noi", "dung", "chinh"), ("de", "ra", "gi"), ("co", "quan", "nao", "thuc", "hien"), ("giao", "cho"),
         ("gui", "cho"), ("gui", "toi"), ("gui", "den"), ("nhung", "ai"))
_DEFINE = (("la", "gi"), ("noi", "gi"), ("ve", "gi"), ("la", "van", "ban", "gi"), ("noi", "dung", "gi"),
           ("la", "sao"), ("nghia", "la"), ("la", "cai", "gi"), ("ve", "van", "de", "gi"), ("noi", "ve"))


@dataclass(frozen=True)
class Form:
    date: bool = False
    signer: bool = False
    issuer: bool = False
    listing: bool = False
    define: bool = False
    subject: bool = False


def _has(tokens: list[str], cues: tuple[tuple[str, ...], ...]) -> bool:
    for cue in cues:
        n = len(cue)
        if any(tuple(tokens[i:i + n]) == cue for i in range(len(tokens) - n + 1)):
            return True
    return False


def question_form(question: str) -> Form:
    tokens = folded_syllables(question)
    return Form(
        date=_has(tokens, _DATE),
        signer=_has(tokens, _SIGNER) or ("ky" in tokens and "ai" in tokens),
        issuer=_has(tokens, _ISSUER),
        listing=_has(tokens, _LIST),
        define=_has(tokens, _DEFINE),
        subject=_has(tokens, _SUBJECT),
    )
