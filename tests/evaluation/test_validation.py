"""Pydantic's refusals reach people as our sentences, in their language, with pydantic's type as the code."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from pydantic import ValidationError

from evaluation.cases.schemas import CaseIn
from evaluation.validation import MESSAGES, field_errors, message
from tests.factories import case_payload


def _errors(payload: dict) -> dict[str, dict[str, str]]:
    with pytest.raises(ValidationError) as caught:
        CaseIn.model_validate(payload)
    return {e["field"]: e for e in field_errors(caught.value, "cases[2]")}


def test_each_refused_field_gets_a_translated_sentence_and_keeps_its_code(app_ctx) -> None:
    payload = case_payload(1)
    payload.update(received_at="yesterday", external_id="", channel="fax", confidential="maybe")
    payload["steps"] = "not a list"
    with app_ctx.test_request_context("/"):
        errors = _errors(payload)
        assert errors["cases[2].received_at"]["code"].startswith("datetime")
        assert errors["cases[2].received_at"]["message"].startswith("请填写带时区的日期时间")
        assert errors["cases[2].external_id"]["message"] == "请至少填写 1 个字符。"
        assert errors["cases[2].channel"]["message"] == "该值不在可选范围内。"
        assert errors["cases[2].confidential"]["message"] == "请填写“是”或“否”。"
        assert errors["cases[2].steps"]["message"] == "请填写列表。"
        with force_locale("en"):
            english = _errors(payload)
        assert english["cases[2].external_id"]["message"] == "Enter at least 1 characters."
        assert english["cases[2].channel"]["code"] == errors["cases[2].channel"]["code"]


def test_an_unknown_type_or_a_missing_limit_falls_back_to_a_plain_sentence(app_ctx) -> None:
    with app_ctx.test_request_context("/"):
        assert message("some_new_pydantic_type") == "该值无效。"
        assert message("string_too_long", {}) == "该值无效。"
        assert message("string_too_long", {"max_length": 5}) == "最多填写 5 个字符。"
    assert "missing" in MESSAGES
