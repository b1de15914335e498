"""Tracking codes: readable, typo-catching, not guessable."""
from __future__ import annotations

import re

from petitions import codes


def test_new_codes_have_the_readable_shape_and_no_lookalikes() -> None:
    for _ in range(200):
        code = codes.new_code()
        assert re.fullmatch(r"TN-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code)
        assert codes.validate(code)


def test_codes_are_random_not_sequential() -> None:
    drawn = {codes.new_code() for _ in range(2000)}
    assert len(drawn) == 2000  # 2**35 possibilities: a collision here would mean a broken generator


def test_every_single_typo_is_caught() -> None:
    code = codes.new_code()
    body = code.replace("TN-", "").replace("-", "")
    for i, original in enumerate(body):
        for replacement in codes.ALPHABET:
            if replacement == original:
                continue
            typo = body[:i] + replacement + body[i + 1 :]
            assert not codes.validate(typo), typo


def test_most_swapped_neighbours_are_caught() -> None:
    caught = total = 0
    for _ in range(300):
        body = codes.new_code().replace("TN-", "").replace("-", "")
        for i in range(len(body) - 1):
            if body[i] == body[i + 1]:
                continue
            swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
            total += 1
            caught += not codes.validate(swapped)
    assert caught / total > 0.9


def test_loose_user_input_is_normalised() -> None:
    code = codes.new_code()
    body = code.replace("TN-", "").replace("-", "")
    for typed in (code.lower(), f"tn {body[:4]} {body[4:]}", body, f"TN{body}", f" tn-{body[:4]}{body[4:]}. "):
        assert codes.normalize_code(typed) == code
        assert codes.validate(typed)


def test_invalid_shapes_are_rejected() -> None:
    for typed in ("", "TN-0000-0000", "TN-ABCD-EFG", "hello world", "TN-IIII-OOOO", "12345678901"):
        assert not codes.validate(typed)


def test_code_is_found_inside_a_sentence() -> None:
    code = codes.new_code()
    assert codes.find_code(f"cho tôi hỏi mã {code.lower()} giải quyết tới đâu rồi ạ") == code
    assert codes.find_code("mã của tôi là TN-1234-5678 (sai)") is None
