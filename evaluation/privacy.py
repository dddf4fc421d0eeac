"""Masking of citizens' personal information (PIPL), for everyone who is not the organizer.

Pure functions, no Flask. Panel members and evaluated departments only ever see what these return:
a name as its surname and ``**`` (张** / 欧阳**), a mobile as ``138****1234``, a landline as
``028-****1234``, an 18-digit ID number as its first 6 and last 4 characters, an address cut to the street
(township) level, and free text with phone and ID numbers masked inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import StrEnum
from typing import Any

# 复姓: the compound surnames common enough to matter; anything else keeps one character.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 令狐 公孙 慕容 尉迟 长孙 宇文 夏侯 司徒 司空 澹台 端木 西门 南宫 独孤 "
    "轩辕 呼延 百里 东郭 万俟 钟离 闻人 赫连 申屠 濮阳 太史 公冶 仲孙 单于 第五 左丘 拓跋".split()
)

MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
# Area codes: 3 digits for 010 and 02x (Beijing, Shanghai, Chengdu 028, …), 4 digits elsewhere.
LANDLINE_RE = re.compile(r"(?<!\d)(0[12]\d|0[3-9]\d{2})[- ]?(\d{3,4})(\d{4})(?!\d)")
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8}|\d{5})(\d{3}[0-9Xx]|\d)(?![0-9A-Za-z])")
EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
# Bank cards: 16 to 19 digits, written together or in groups of four (银行卡号).
BANK_CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){15,18}(?![\d-])")
HONORIFICS = "先生|女士|小姐|同志|师傅|阿姨|大爷|大妈|老师|老人|某某|某"
SEPARATORS = r"[\s·•.．、，,_-]*"
STREET_LEVEL_RE = re.compile(r"^.*?(?:街道|镇|乡)")
DISTRICT_LEVEL_RE = re.compile(r"^.*?(?:区|县)")
CITY_LEVEL_RE = re.compile(r"^.*?市")


def mask_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return surname + "**"


def mask_phone(phone: str | None) -> str:
    phone = (phone or "").strip()
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    landline = LANDLINE_RE.fullmatch(phone.replace(" ", ""))
    if landline:
        return f"{landline.group(1)}-****{landline.group(3)}"
    return "*" * max(0, len(digits) - 4) + digits[-4:] if len(digits) > 4 else "****"


def mask_id_number(id_number: str | None) -> str:
    value = (id_number or "").strip()
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_address(address: str | None) -> str:
    """Cut an address to the street (township) level; without one, to the district, with the rest hidden."""
    address = (address or "").strip()
    if not address:
        return ""
    street = STREET_LEVEL_RE.match(address)
    if street:
        return street.group(0)
    for pattern in (DISTRICT_LEVEL_RE, CITY_LEVEL_RE):
        prefix = pattern.match(address)
        if prefix and prefix.group(0) != address:
            return prefix.group(0) + "***"
    return "***"


def _mask_card(found: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", found.group(0))
    return f"{digits[:4]} **** **** {digits[-4:]}"


def name_pattern(name: str | None) -> re.Pattern[str] | None:
    """The ways a citizen's name is written in a text: in full, with spaces or dots between its characters,
    the given name alone (two characters or more), and the surname with an honorific (张先生, 欧阳女士, 王某)."""
    name = re.sub(r"\s+", "", name or "")
    if len(name) < 2:
        return None
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    given = name[len(surname) :]
    ways = [SEPARATORS.join(re.escape(ch) for ch in name), re.escape(surname) + f"(?:{HONORIFICS})"]
    if len(given) >= 2:
        ways.append(re.escape(given))
    return re.compile("|".join(f"(?:{way})" for way in ways))


def mask_text(text: str | None, *, remove: bool = False, name: str | None = None) -> str:
    """Personal data inside free text (a title, the request, the reply, a reason, a note, a file name) masked:
    the citizen's ``name`` in the ways it is written, phone, ID and bank-card numbers and e-mail addresses. With
    ``remove`` (a confidential report shown to the evaluated department) they are taken out entirely, not even
    four digits or a surname left."""
    if not text:
        return text or ""
    written = name_pattern(name)
    if written is not None:
        text = written.sub("***" if remove else mask_name(name), text)
    if remove:
        for pattern in (ID_NUMBER_RE, BANK_CARD_RE, MOBILE_RE, LANDLINE_RE, EMAIL_RE):
            text = pattern.sub("***", text)
        return text
    text = ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    text = BANK_CARD_RE.sub(_mask_card, text)
    text = MOBILE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = LANDLINE_RE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)
    return EMAIL_RE.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


def pseudonym(case_id: int, secret: str) -> str:
    """A stable stand-in for the citizen of one case, the same on every page, revealing nothing."""
    digest = hmac.new(secret.encode(), f"citizen:{case_id}".encode(), hashlib.sha256).hexdigest()
    return f"诉求人{digest[:4].upper()}"


class Visibility(StrEnum):
    FULL = "full"  # the organizer: the citizen's identity in clear
    MASKED = "masked"  # panel members, departments, agencies: masked identity and text
    HIDDEN_CITIZEN = (
        "hidden_citizen"  # the evaluated department of a confidential case (举报): no citizen at all
    )


def present(case: Any, visibility: Visibility, secret: str) -> dict[str, Any]:
    """The case as a viewer with ``visibility`` may see it: identity in clear, masked, or absent. ``case`` is
    anything with a case's attributes (the model, or a plain object in a notebook); ``secret`` keys the
    pseudonym."""
    remove = visibility == Visibility.HIDDEN_CITIZEN
    citizen: dict[str, str] | None
    if visibility == Visibility.FULL:
        citizen = {
            "name": case.citizen_name,
            "phone": case.citizen_phone,
            "id_number": case.citizen_id_number,
            "address": case.citizen_address,
        }
        texts = {"request": case.request_text, "reply": case.reply_text, "reason": case.callback_reason}
    else:
        citizen = (
            None
            if remove
            else {
                "name": f"{pseudonym(case.id, secret)}（{mask_name(case.citizen_name)}）"
                if case.citizen_name
                else pseudonym(case.id, secret),
                "phone": mask_phone(case.citizen_phone),
                "id_number": mask_id_number(case.citizen_id_number),
                "address": mask_address(case.citizen_address),
            }
        )
        texts = {
            "request": mask_text(case.request_text, remove=remove, name=case.citizen_name),
            "reply": mask_text(case.reply_text, remove=remove, name=case.citizen_name),
            "reason": mask_text(case.callback_reason, remove=remove, name=case.citizen_name),
        }

    def masked(text: str | None) -> str:
        if visibility == Visibility.FULL:
            return text or ""
        return mask_text(text, remove=remove, name=case.citizen_name)

    return {
        "citizen": citizen,
        "title": masked(case.title),
        "texts": texts,
        "steps": [
            {
                "action": s.action,
                "department": s.department.name if s.department else "",
                "at": s.at_dt,
                "note": masked(s.note),
            }
            for s in case.steps
        ],
        "attachments": _attachments(case, visibility, masked),
        "calls": [
            {"at": c.called_dt, "reached": c.reached, "account": masked(c.account)}
            for c in getattr(case, "verification_calls", [])
        ],
    }


def _attachments(case: Any, visibility: Visibility, masked: Any) -> list[dict[str, str | None]]:
    """Attachment names masked like any text; a link only where its address gives nothing away either. The
    department of a confidential report sees that there are attachments, never their names or addresses."""
    out: list[dict[str, str | None]] = []
    for number, attachment in enumerate(getattr(case, "attachments", []), start=1):
        if visibility == Visibility.HIDDEN_CITIZEN:
            out.append({"name": f"#{number}", "url": None})
            continue
        url = attachment.url
        out.append({"name": masked(attachment.name), "url": url if masked(url) == url else None})
    return out
