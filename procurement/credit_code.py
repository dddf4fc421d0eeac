"""统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters.

1: the registering authority (登记管理部门); 2: the kind of organization it registers; 3–8: the administrative
division of the registering office; 9–17: the organization's own code (主体标识码); 18: a check character,
``31 − (Σ value × weight mod 31)`` over the first 17. The letters I, O, Z, S and V are never used. Pure: no Flask.
"""

from __future__ import annotations

from typing import Any

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registering authorities and the kinds of organization each registers (GB 32100-2015, table 1).
AUTHORITIES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 编办直管群团, 其他
    "2": "19",  # 外交
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "129",  # 工会
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业
    "Y": "1",  # 其他
}

Reason = tuple[str, dict[str, Any]]


def N_(message: str) -> str:  # noqa: N802 - marks a message id for extraction, as evaluation.text.N_ (kept pure)
    return message


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def reason(code: str) -> Reason | None:
    """What is wrong with ``code`` as a message id and its parameters, or None when it is a valid code. The first
    fault found, in the order a reader checks: length, characters, authority, kind, division, check character."""
    code = code.strip().upper()
    if len(code) != 18:
        return N_("The code has %(n)d characters; a unified social credit code has 18."), {"n": len(code)}
    for position, ch in enumerate(code, start=1):
        if ch not in ALPHABET:
            return (
                N_(
                    "Character %(position)d, %(char)s, is not used in these codes (I, O, Z, S and V never are)."
                ),
                {"position": position, "char": ch},
            )
    kinds = AUTHORITIES.get(code[0])
    if kinds is None:
        return N_("Character 1, %(char)s, is not a registering authority's code."), {"char": code[0]}
    if code[1] not in kinds:
        return (
            N_("Character 2, %(char)s, is not a kind of organization that authority registers (%(kinds)s)."),
            {"char": code[1], "kinds": "、".join(kinds)},
        )
    if not code[2:8].isdigit():
        return N_("Characters 3 to 8, %(chars)s, must be the digits of an administrative division."), {
            "chars": code[2:8]
        }
    expected = check_character(code[:17])
    if code[17] != expected:
        return N_("The check character should be %(expected)s, not %(char)s."), {
            "expected": expected,
            "char": code[17],
        }
    return None


def problem(code: str) -> str | None:
    """The sentence naming what is wrong with ``code`` (in English; pages translate ``reason``), or None."""
    found = reason(code)
    return None if found is None else found[0] % found[1]


def is_valid(code: str) -> bool:
    return reason(code) is None
