"""Masking as a property of the data: every text a non-organizer reads about a case, in every field, and a
confidential report that shows its department nothing of the reporter."""

from __future__ import annotations

import pytest

from evaluation.privacy import mask_text, name_pattern

REPORTER = "欧阳明远"
IDENTIFIERS = [
    "欧阳明远",
    "欧阳 明远",
    "欧阳·明远",
    "欧阳先生",
    "明远",
    "13812345678",
    "138 1234 5678",
    "+86 138-1234-5678",
    "028-85551234",
    "51010719800101123X",
    "ouyang.mingyuan@example.com",
    "6222021234567890123",
    "6222 0212 3456 7890",
]


@pytest.mark.parametrize("written", IDENTIFIERS)
def test_a_confidential_report_keeps_nothing_of_any_identifier(written: str) -> None:
    shown = mask_text(f"举报人{written}反映问题", remove=True, name=REPORTER)
    assert shown == "举报人***反映问题"


def test_masked_text_keeps_a_hint_but_never_the_whole() -> None:
    text = (
        "欧阳明远（欧阳先生，电话13812345678，邮箱 ouyang.mingyuan@example.com，"
        "卡号6222 0212 3456 7890 123，身份证51010719800101123X）"
    )
    shown = mask_text(text, name=REPORTER)
    assert shown == (
        "欧阳**（欧阳**，电话138****5678，邮箱 o***@example.com，"
        "卡号6222 **** **** 0123，身份证510107********123X）"
    )


def test_case_numbers_dates_and_other_people_are_left_alone() -> None:
    text = "工单CD12345-2026-000195于2026-11-03交办，承办人王建国已回复。"
    assert mask_text(text, name=REPORTER) == text


def test_a_one_character_name_is_not_searched_for() -> None:
    assert name_pattern("张") is None and name_pattern("") is None
