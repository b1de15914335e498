"""Vietnamese normalisation: the same words, however typed, compare equal."""
from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.text import fold, folded_syllables, has_diacritics, normalize, restore_diacritics, syllables


def test_nfc_and_nfd_inputs_normalise_identically() -> None:
    text = "Dân vận khéo"
    assert normalize(unicodedata.normalize("NFD", text)) == normalize(text) == "dân vận khéo"


def test_one_tone_mark_placement() -> None:
    assert normalize("hoà") == normalize("hòa") == "hòa"
    assert normalize("thuý") == normalize("thúy")
    assert normalize("khoẻ") == normalize("khỏe")
    # Closed syllables and "qu" keep their only correct placement.
    assert normalize("hoàn") == "hoàn"
    assert normalize("quý") == "quý"


def test_case_and_whitespace() -> None:
    assert normalize("  CÔNG   VĂN\t608 ") == "công văn 608"


def test_fold_removes_every_diacritic_including_d_bar() -> None:
    assert fold("Đảng lãnh đạo, Nhà nước quản lý") == "dang lanh dao, nha nuoc quan ly"
    assert fold("dan van kheo") == fold("Dân vận khéo")


def test_syllables_keep_document_numbers() -> None:
    assert syllables("Kết luận 43-KL/TW") == ["kết", "luận", "43", "kl", "tw"]
    assert folded_syllables("Kết luận") == ["ket", "luan"]


def test_has_diacritics() -> None:
    assert has_diacritics("dân") and has_diacritics("đi")
    assert not has_diacritics("dan van kheo la gi")


def test_restore_diacritics_guesses_accents_only_when_missing() -> None:
    restored = restore_diacritics("dan van kheo la gi")
    assert has_diacritics(restored)
    assert fold(restored) == "dan van kheo la gi"
    assert restore_diacritics("Dân vận khéo") == "Dân vận khéo"
    assert restore_diacritics("") == ""


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalisation_never_crashes_and_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    folded = fold(text)
    assert fold(folded) == folded
    assert not has_diacritics(folded) or any(ord(c) > 0x24F for c in folded)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="aăâeêioôơuưyđAĂÂEÊIOÔƠUƯYĐbcghklmnpqrstvx"
                        "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ ",
               max_size=40))
def test_folded_vietnamese_is_plain_ascii(text: str) -> None:
    folded = fold(text)
    assert folded.isascii()
    assert not has_diacritics(folded)
    assert len(folded_syllables(text)) == len(syllables(text))
