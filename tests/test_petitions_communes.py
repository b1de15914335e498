"""Commune matching: tolerant of missing diacritics, case, prefixes, old names and typos; never blocking."""
from __future__ import annotations

import pytest

from petitions.communes import CommuneDirectory


def test_directory_has_the_96_units_of_todays_province(communes: CommuneDirectory) -> None:
    kinds = [c.kind for c in communes.communes]
    assert len(communes) == 96
    assert kinds.count("xa") == 82 and kinds.count("phuong") == 14


@pytest.mark.parametrize(
    ("typed", "name", "kind"),
    [
        ("Hảo Đước", "Hảo Đước", "xa"),
        ("xã Hảo Đước", "Hảo Đước", "xa"),
        ("xa hao duoc", "Hảo Đước", "xa"),
        ("XÃ HẢO ĐƯỚC", "Hảo Đước", "xa"),
        ("P. Tân Ninh", "Tân Ninh", "phuong"),
        ("phuong tan ninh", "Tân Ninh", "phuong"),
        ("phường Long Hoa, tỉnh Tây Ninh", "Long Hoa", "phuong"),
        ("hau nghia", "Hậu Nghĩa", "xa"),
        ("tôi ở ấp 3 xã Mỹ Lệ, gần chợ", "Mỹ Lệ", "xa"),
        ("Nhơn Hòa Lập", "Nhơn Hòa Lập", "xa"),
        ("nhon hoa lap", "Nhơn Hòa Lập", "xa"),
        ("Thị xã Trảng Bàng", "Trảng Bàng", "phuong"),
        ("hao duc", "Hảo Đước", "xa"),  # a typo within spelling distance
    ],
)
def test_typed_names_match(communes: CommuneDirectory, typed: str, name: str, kind: str) -> None:
    match = communes.match(typed)
    assert match.matched, typed
    assert (match.name, match.kind) == (name, kind)
    assert match.code


def test_former_names_lead_to_the_new_unit(communes: CommuneDirectory) -> None:
    match = communes.match("xã Hiệp Ninh")  # merged into phường Tân Ninh in 2025
    assert match.matched and match.name == "Tân Ninh" and match.via_former_name


def test_unknown_name_is_kept_as_typed_and_flagged(communes: CommuneDirectory) -> None:
    match = communes.match("  ấp Cây Xoài Ba Nhánh  ")
    assert not match.matched
    assert match.name == "ấp Cây Xoài Ba Nhánh"
    assert match.code is None


def test_names_equal_without_diacritics_are_told_apart(communes: CommuneDirectory) -> None:
    assert communes.match("Tân Thành").name == "Tân Thành"
    assert communes.match("xã Tân Thạnh").name == "Tân Thạnh"
    ambiguous = communes.match("tan thanh")
    assert not ambiguous.matched
    assert set(ambiguous.candidates) == {"xã Tân Thành", "xã Tân Thạnh"}


def test_odd_input_never_raises(communes: CommuneDirectory) -> None:
    for typed in ("", "   ", "😀", "x" * 5000, "<b>xã</b>", "'; DROP TABLE petition; --"):
        assert communes.match(typed).matched is False
