"""The unified social credit code (GB 32100-2015): valid codes pass; every single-character change of a valid code
is rejected, with the sentence that names what is wrong."""

from __future__ import annotations

import pytest

from procurement.credit_code import ALPHABET, check_character, is_valid, problem, reason

PREFIXES = [
    "91510100MA61R8KX5",  # an enterprise registered in Chengdu
    "52510107MJ6CX3Q2K",  # a 民办非企业单位 in 武侯区
    "12100000400000398",  # a 事业单位 registered centrally
    "92510104MA6CW7Y1X",  # an individual business in 锦江区
    "Y1510100000000001",  # another authority's
]
VALID = [prefix + check_character(prefix) for prefix in PREFIXES]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code: str) -> None:
    assert is_valid(code) and problem(code) is None and reason(code) is None
    assert is_valid(code.lower()) and is_valid(f" {code} ")


def test_every_single_character_change_is_rejected_with_the_right_sentence() -> None:
    code = VALID[1]
    for position in range(18):
        for ch in ALPHABET:
            if ch == code[position]:
                continue
            changed = code[:position] + ch + code[position + 1 :]
            found = reason(changed)
            assert found is not None, changed
            message, params = found
            if position == 17:
                assert message.startswith("The check character should be") and params["char"] == ch
            elif position == 0 and ch not in "123456789ANY":
                assert message.startswith("Character 1,")
            elif position in range(2, 8) and not ch.isdigit():
                assert message.startswith("Characters 3 to 8,")
            elif position >= 8 or (position in range(2, 8) and ch.isdigit()):
                assert message.startswith("The check character should be")
                assert params["expected"] == check_character(changed[:17])


def test_each_fault_is_named() -> None:
    assert problem("1234") == "The code has 4 characters; a unified social credit code has 18."
    assert problem("52510107MJ6CX3Q2IO") == (
        "Character 17, I, is not used in these codes (I, O, Z, S and V never are)."
    )
    assert problem("B2510107MJ6CX3Q2K0").startswith("Character 1, B, is not a registering authority")
    assert problem("5A510107MJ6CX3Q2K0").startswith("Character 2, A, is not a kind of organization")
    assert problem("5251010XMJ6CX3Q2K0").startswith("Characters 3 to 8, 51010X,")
    good = VALID[1]
    wrong = "0" if good[17] != "0" else "1"
    assert problem(good[:17] + wrong) == f"The check character should be {good[17]}, not {wrong}."
