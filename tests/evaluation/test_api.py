"""The main system's API: departments, cases, tokens, errors, OpenAPI."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from evaluation.accounts.operations import create_client
from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.models import Case, CaseStatus, HandlingStep
from evaluation.extensions import db
from evaluation.org.models import Department
from rubrics.operations import import_version, load_template
from tests.factories import CASE
from tests.factories import case_payload as case


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- tokens and scopes ---------------------------------------------------------------------------------------


def test_a_missing_or_wrong_token_is_401_json(client) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.post("/api/v1/cases", json=CASE, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_missing_scope_is_403_json(client) -> None:
    _, token, _ = create_client("reader", ["assessments:read"], None)
    db.session.commit()
    response = client.post("/api/v1/cases", json=CASE, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.get_json()["error"] == {
        "status": 403,
        "code": "insufficient_scope",
        "message": "this client lacks the scope cases:write",
        "scope": "cases:write",
    }


def test_a_revoked_token_is_refused(client, runner) -> None:
    _, token, _ = create_client("old", ["cases:write"], None)
    db.session.commit()
    assert runner.invoke(args=["clients", "revoke", "old"]).exit_code == 0
    response = client.get("/api/v1/departments", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


# --- departments ---------------------------------------------------------------------------------------------


def test_put_and_get_departments(api) -> None:
    response = api.put(
        "/api/v1/departments/T-510107-01",
        {"name": "玉林街道办事处", "kind": "township", "parent": "D-510107", "region_code": "510107005"},
    )
    assert response.status_code == 201
    assert response.get_json() == {
        "result": "created",
        "department": {
            "code": "T-510107-01",
            "name": "玉林街道办事处",
            "kind": "township",
            "parent": "D-510107",
            "region_code": "510107005",
        },
    }
    again = api.put(
        "/api/v1/departments/T-510107-01",
        {"name": "玉林街道办事处", "kind": "township", "parent": "D-510107", "region_code": "510107005"},
    )
    assert (again.status_code, again.get_json()["result"]) == (200, "unchanged")
    renamed = api.put(
        "/api/v1/departments/T-510107-01", {"name": "玉林街道", "kind": "township", "parent": "D-510107"}
    )
    assert renamed.get_json()["result"] == "updated"
    listing = api.get("/api/v1/departments").get_json()["departments"]
    assert {d["code"] for d in listing} == {"CD-ZJ", "D-510107", "T-510107-01"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "kind": "ministry"}, "kind"),
        ({"kind": "district"}, "name"),
        ({"name": "x", "kind": "district", "parent": "NOPE"}, "parent"),
        ({"name": "x", "kind": "district", "region_code": "5101"}, "region_code"),
    ],
)
def test_department_errors_name_the_field(api, body, field) -> None:
    response = api.put("/api/v1/departments/NEW", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["error"]["errors"]] == [field]
    assert db.session.scalar(sa.select(Department).where(Department.code == "NEW")) is None


def test_a_department_cannot_become_its_own_ancestor(api) -> None:
    api.put("/api/v1/departments/T1", {"name": "街道", "kind": "township", "parent": "D-510107"})
    response = api.put("/api/v1/departments/D-510107", {"name": "区", "kind": "district", "parent": "T1"})
    assert response.status_code == 422
    assert response.get_json()["error"]["errors"][0]["code"] == "cycle"


# --- cases ---------------------------------------------------------------------------------------------------


def test_one_case_created_then_unchanged_then_updated(api) -> None:
    created = api.post("/api/v1/cases", case())
    assert created.status_code == 201
    assert created.get_json() == {
        "source": "cd12345",
        "external_id": "CD-2026-000001",
        "result": "created",
        "status": "received",
    }
    assert created.headers["Location"].endswith("/api/v1/cases/cd12345/CD-2026-000001")
    same = api.post("/api/v1/cases", case())
    assert (same.status_code, same.get_json()["result"]) == (200, "unchanged")
    # The same instants in another offset are the same payload.
    shifted = case(received_at="2026-11-01T01:30:00+00:00")
    assert api.post("/api/v1/cases", shifted).get_json()["result"] == "unchanged"
    changed = api.post("/api/v1/cases", case(reply_text="电梯已修复。"))
    assert (changed.status_code, changed.get_json()["result"]) == (200, "updated")
    stored = db.session.scalar(sa.select(Case))
    assert stored.reply_text == "电梯已修复。" and len(stored.steps) == 3
    assert [d.code for d in stored.assisting_departments] == ["D-510107"]
    status = api.get("/api/v1/cases/cd12345/CD-2026-000001").get_json()
    assert status["status"] == "received" and status["received_at"] == "2026-11-01T01:30:00+00:00"


def test_a_batch_of_1000_twice_then_one_change(api) -> None:
    batch = {"cases": [case(n) for n in range(1, 1001)]}
    first = api.post("/api/v1/cases", batch).get_json()
    assert first["summary"] == {"created": 1000, "updated": 0, "unchanged": 0, "rejected": 0}
    assert first["results"][999] == {
        "index": 999,
        "source": "cd12345",
        "external_id": "CD-2026-001000",
        "result": "created",
        "status": "received",
    }
    second = api.post("/api/v1/cases", batch).get_json()
    assert second["summary"] == {"created": 0, "updated": 0, "unchanged": 1000, "rejected": 0}
    batch["cases"][500]["title"] = "电梯故障（补充材料）"
    third = api.post("/api/v1/cases", batch).get_json()
    assert third["summary"] == {"created": 0, "updated": 1, "unchanged": 999, "rejected": 0}
    assert third["results"][500]["result"] == "updated"
    assert count(Case) == 1000 and count(HandlingStep) == 3000


def test_a_case_in_a_batch_is_refused_with_409(api) -> None:
    api.post("/api/v1/cases", case())
    stored = db.session.scalar(sa.select(Case))
    version = import_version(load_template(), publish=True)
    batch = Batch(name="第1批", rubric_version=version)
    db.session.add(BatchItem(batch=batch, case=stored))
    stored.status = CaseStatus.IN_REVIEW
    db.session.commit()
    response = api.post("/api/v1/cases", case(reply_text="改了"))
    assert response.status_code == 409
    error = response.get_json()["errors"][0]
    assert error["code"] == "in_review" and "in_review" in error["message"]
    assert api.post("/api/v1/cases", case()).get_json()["result"] == "unchanged"  # the same payload is fine
    listed = api.post("/api/v1/cases", {"cases": [case(reply_text="改了"), case(2)]}).get_json()
    assert [r["result"] for r in listed["results"]] == ["rejected", "created"]
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(Case).where(Case.external_id == "CD-2026-000001")).reply_text
        == "已督促物业维修。"
    )


@pytest.mark.parametrize(
    "mutate, field, code",
    [
        (lambda c: c.pop("source"), "source", "missing"),
        (lambda c: c.update(type="praise"), "type", "literal_error"),
        (lambda c: c.update(received_at="2026-11-01T09:30:00"), "received_at", "timezone_aware"),
        (lambda c: c.update(callback={"rating": "satisfied"}), "callback.rating", "not_unsatisfied"),
        (lambda c: c.update(callback={"rating": "meh"}), "callback.rating", "literal_error"),
        (lambda c: c.update(lead_department="NOPE"), "lead_department", "unknown_department"),
        (
            lambda c: c.update(assisting_departments=["CD-ZJ", "NOPE"]),
            "assisting_departments[1]",
            "unknown_department",
        ),
        (lambda c: c["steps"][1].update(at="yesterday"), "steps[1].at", "datetime_from_date_parsing"),
        (lambda c: c["steps"][2].update(department="NOPE"), "steps[2].department", "unknown_department"),
        (lambda c: c.update(region_code="51-01"), "region_code", "string_pattern_mismatch"),
        (
            lambda c: c["attachments"][0].update(url="ftp://x"),
            "attachments[0].url",
            "string_pattern_mismatch",
        ),
        (lambda c: c.update(request_text=""), "request_text", "string_too_short"),
    ],
)
def test_every_malformed_case_names_its_field(api, mutate, field, code) -> None:
    bad = case()
    mutate(bad)
    single = api.post("/api/v1/cases", bad)
    assert single.status_code == 422
    body = single.get_json()
    assert body["result"] == "rejected"
    assert (field, code) in [(e["field"], e["code"]) for e in body["errors"]]
    listed = api.post("/api/v1/cases", {"cases": [case(7), bad]}).get_json()
    assert listed["summary"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert (f"cases[1].{field}", code) in [(e["field"], e["code"]) for e in listed["results"][1]["errors"]]
    assert count(Case) == 1 and count(HandlingStep) == 3  # only the good case, nothing of the bad one


def test_body_level_errors_are_json_and_store_nothing(api, client) -> None:
    malformed = client.post(
        "/api/v1/cases", data='{"source": ', headers={**api.headers, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.get_json()["error"]["code"] == "malformed_json"
    wrong_type = client.post(
        "/api/v1/cases", data=json.dumps(CASE), headers={**api.headers, "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415 and "application/json" in wrong_type.get_json()["error"]["message"]
    too_many = api.post("/api/v1/cases", {"cases": [case(n) for n in range(1001)]})
    assert too_many.status_code == 413 and too_many.get_json()["error"]["code"] == "too_many_cases"
    not_a_list = api.post("/api/v1/cases", {"cases": "all of them"})
    assert not_a_list.status_code == 422 and not_a_list.get_json()["error"]["errors"][0]["field"] == "cases"
    an_array = api.post("/api/v1/cases", [CASE])
    assert an_array.status_code == 422
    assert count(Case) == 0


def test_an_oversized_body_is_413_json(app_ctx, api, monkeypatch) -> None:
    monkeypatch.setitem(app_ctx.config, "EVALUATION_API_MAX_BYTES", 2000)
    response = api.post("/api/v1/cases", {"cases": [case(n) for n in range(5)]})
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413
    assert count(Case) == 0


def test_unknown_case_is_404_json(api) -> None:
    response = api.get("/api/v1/cases/cd12345/none")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_a_report_is_confidential_whatever_the_sender_says(api) -> None:
    api.post("/api/v1/cases", case(type="report", confidential=False))
    assert db.session.scalar(sa.select(Case.confidential)) is True


def test_no_plaintext_pii_in_the_database_row(api) -> None:
    api.post("/api/v1/cases", case())
    row = db.session.execute(sa.text("SELECT * FROM cases")).mappings().one()
    stored = b"".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row.values()
    )
    for secret in ("张三丰", "13812345678", "51010719800101123X", "玉林北路12号"):
        encoded = secret.encode()
        without_request = stored.replace("电梯坏了三个月，请回电13812345678。".encode(), b"")
        assert encoded not in without_request, secret
    case_obj = db.session.scalar(sa.select(Case))
    assert case_obj.citizen_name == "张三丰"  # decrypted on the way out, for the organizer


# --- OpenAPI and CLI ------------------------------------------------------------------------------------------


def test_the_openapi_document_is_valid_and_describes_the_api(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert set(document["paths"]) == {
        "/api/v1/cases",
        "/api/v1/cases/{source}/{external_id}",
        "/api/v1/departments",
        "/api/v1/departments/{code}",
        "/api/v1/assessments",
        "/api/v1/assessments/{assessment_id}",
    }
    case_schema = document["components"]["schemas"]["CaseIn"]
    assert {
        "source",
        "external_id",
        "type",
        "received_at",
        "lead_department",
        "request_text",
        "callback",
    } <= set(case_schema["required"])
    assert document["paths"]["/api/v1/cases"]["post"]["security"] == [{"bearer": []}]


def test_clients_cli(runner) -> None:
    result = runner.invoke(
        args=[
            "clients",
            "create",
            "main",
            "--scopes",
            "cases:write,assessments:read",
            "--webhook",
            "https://main.example.gov/hooks/evaluation",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["token"].startswith("evk_") and printed["webhook_secret"].startswith("whsec_")
    raw = db.session.execute(sa.text("SELECT token_hash, webhook_secret FROM api_clients")).one()
    assert printed["token"] not in str(raw[0]) and printed["webhook_secret"].encode() not in bytes(raw[1])
    listed = json.loads(runner.invoke(args=["clients", "list", "--json"]).output)
    assert listed[0]["name"] == "main" and listed[0]["scopes"] == ["cases:write", "assessments:read"]
    plain = runner.invoke(args=["clients", "create", "bare", "--scopes", "cases:write", "--json"])
    assert json.loads(plain.output)["webhook_secret"] is None
    for args, reason in (
        (["clients", "create", "x", "--scopes", "cases:delete"], "unknown scope 'cases:delete'"),
        (["clients", "create", "main", "--scopes", "cases:write"], "already exists"),
        (["clients", "create", "y", "--scopes", "cases:write", "--webhook", "ftp://x"], "http"),
        (["clients", "revoke", "nobody"], "no client named 'nobody'"),
    ):
        failed = runner.invoke(args=args)
        assert failed.exit_code != 0 and reason in failed.output, args
    assert runner.invoke(args=["clients", "revoke", "main"]).exit_code == 0
    assert "already revoked" in runner.invoke(args=["clients", "revoke", "main"]).output


def test_raw_pii_reaches_neither_logs_nor_error_messages(api, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    bad = case(
        citizen={
            "name": "张三丰",
            "phone": "13812345678" * 5,
            "id_number": "51010719800101123X",
            "address": "成都市武侯区玉林街道玉林北路12号",
        }
    )
    response = api.post("/api/v1/cases", bad)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "citizen.phone"
    good = api.post("/api/v1/cases", case(2))
    assert good.status_code == 201
    text = response.get_data(as_text=True) + "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("张三丰", "13812345678", "51010719800101123X", "玉林北路12号"):
        assert secret not in text
