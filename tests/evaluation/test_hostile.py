"""Hostile input gets a 4xx and a sentence, never a 500, and leaves nothing behind: a catalogue."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.cases.models import Case
from evaluation.extensions import db
from tests.conftest import make_user
from tests.factories import case_payload

HOSTILE_CASES = [
    # (what, overrides, the field named, its code, words of the Chinese sentence)
    ("NUL in a text", {"request_text": "a\x00b"}, "request_text", "nul_character", "NUL"),
    ("NUL in an identifier", {"external_id": "CD\x001"}, "external_id", "nul_character", "NUL"),
    ("year 1", {"received_at": "0001-01-01T00:00:00+08:00"}, "received_at", "datetime_out_of_range", "1990"),
    (
        "year 9999",
        {"received_at": "9999-12-31T23:59:59-08:00"},
        "received_at",
        "datetime_out_of_range",
        "2100",
    ),
    ("a date as a number", {"received_at": 1700000000}, "received_at", "datetime_type", "带时区"),
    (
        "a time without offset",
        {"received_at": "2026-11-01T09:30:00"},
        "received_at",
        "timezone_aware",
        "带时区",
    ),
    ("due before receipt", {"due_at": "2026-10-01T00:00:00+08:00"}, "due_at", "due_before_receipt", "早于"),
    ("spaces around an id", {"external_id": " CD-1 "}, "external_id", "code_characters", "空格"),
    ("a full-width space", {"external_id": "CD\u30001"}, "external_id", "code_characters", "全角"),
    ("full-width letters", {"lead_department": "ＣＤ-ZJ"}, "lead_department", "code_characters", "全角"),
    ("full-width digits", {"region_code": "５１０１０７"}, "region_code", "string_pattern_mismatch", "格式"),
    ("a huge text", {"request_text": "长" * 20001}, "request_text", "string_too_long", "20000"),
]


@pytest.mark.parametrize(("what", "overrides", "field", "code", "words"), HOSTILE_CASES)
def test_each_hostile_case_is_refused_by_field_in_words_and_stores_nothing(
    api,
    what,
    overrides,
    field,
    code,
    words,
) -> None:
    response = api.post("/api/v1/cases", case_payload(1, **overrides))
    assert response.status_code == 422, what
    errors = {e["field"]: e for e in response.get_json()["errors"]}
    assert errors[field]["code"] == code and words in errors[field]["message"], (what, errors)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_one_hostile_item_never_sinks_the_others(api) -> None:
    items = [case_payload(1), case_payload(2, request_text="a\x00b"), case_payload(3, external_id=" 3 ")]
    response = api.post("/api/v1/cases", {"cases": items})
    assert response.status_code == 200
    results = [r["result"] for r in response.get_json()["results"]]
    assert results == ["created", "rejected", "rejected"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def test_json_nested_a_thousand_deep_is_a_400(api, client) -> None:
    deep = "[" * 1000 + "]" * 1000
    response = client.post(
        "/api/v1/cases", data=deep, headers={**api.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "too_deep"


def test_a_method_not_allowed_says_which_are(client, api) -> None:
    page = client.put("/login")
    assert page.status_code == 405 and {"GET", "POST"} <= set(
        page.headers["Allow"].replace(" ", "").split(",")
    )
    answer = client.delete("/api/v1/cases", headers=api.headers)
    assert answer.status_code == 405 and "POST" in answer.headers["Allow"]


@pytest.mark.parametrize(
    "url",
    [
        "/cases/?page=99999999999999999999",
        "/cases/?page=-3&status=bogus&channel=nowhere&type=x&received_from=2026-99-99",
        "/cases/?q=%00",
        "/batches/?page=abc",
        "/panels/members?page=0&account=maybe&role=alien",
        "/admin/users?page=100000000&q=%27%3B--",
    ],
)
def test_lists_take_unknown_filters_and_absurd_pages_without_a_500(client, auth, url) -> None:
    make_user("root", Role.ADMIN, Role.ORGANIZER)
    auth.login("root")
    response = client.get(url)
    assert response.status_code in (200, 302, 400), (url, response.status_code)
    if "%00" in url:
        assert response.status_code == 400 and "请求有误" in response.get_data(as_text=True)


def test_a_form_with_a_nul_character_is_a_400_before_anything_reads_it(client) -> None:
    response = client.post("/login", data={"username": "li\x00wen", "password": "whatever password"})
    assert response.status_code == 400 and "请求有误" in response.get_data(as_text=True)


def test_a_database_error_is_logged_without_the_values(app_ctx, caplog) -> None:
    """SQLAlchemy's error leaves out the bound values; PostgreSQL's DETAIL repeats them, and is cut from logs."""
    from sqlalchemy.exc import IntegrityError

    from evaluation.org.models import Department
    from tests.conftest import make_department

    make_department("CD-ZJ", "成都市住房和城乡建设局")
    db.session.commit()
    db.session.add(Department(code="CD-ZJ", name="张三丰 13812345678"))
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    assert "INSERT INTO departments" in str(caught.value) and "parameters hidden" in str(caught.value)
    app_ctx.logger.error("could not save: %s", caught.value, exc_info=caught.value)
    import logging

    logging.getLogger("evaluation.web").error("database: %s", caught.value)
    assert "INSERT INTO departments" in caplog.text and "database:" in caplog.text
    assert "13812345678" not in caplog.text and "张三丰" not in caplog.text
