"""What changes who may see what, or what counts, leaves an audit event naming who did it: logins (failed ones
too, though the answer is a 401), intake by file and by API, screening, departments (re-parenting above all),
members, policies, rubrics and API clients. The chain stays verifiable through all of them."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.audit.models import AuditEvent
from evaluation.audit.operations import verify
from evaluation.cases.importer import COLUMNS
from evaluation.cases.models import Case
from evaluation.extensions import db
from panels.models import MemberRole
from panels.pool import save_member, save_policy
from rubrics.operations import retire
from tests import factories
from tests.conftest import TEST_PASSWORD, make_user


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def test_logins_are_audited_and_a_failure_stands_though_it_answers_401(client) -> None:
    user = make_user("li.wen", Role.ORGANIZER)
    db.session.commit()
    assert client.post("/login", data={"username": "li.wen", "password": "wrong password"}).status_code == 401
    assert client.post("/login", data={"username": "nobody", "password": "wrong password"}).status_code == 401
    failed = _events("account.login_failed")
    assert [e.object_id for e in failed] == [str(user.id), "unknown"]
    assert all("nobody" not in str(e.data) for e in failed)  # what was typed as a name is not kept
    assert client.post("/login", data={"username": "li.wen", "password": TEST_PASSWORD}).status_code == 302
    (login,) = _events("account.login")
    assert login.actor_id == user.id and login.data["address"] == "127.0.0.1"
    assert verify()[0]


def test_intake_by_api_and_by_file_is_one_event_each(api, client, auth) -> None:
    response = api.post("/api/v1/cases", {"cases": [factories.case_payload(1), factories.case_payload(2)]})
    assert response.status_code == 200
    (by_api,) = _events("cases.imported")
    assert (
        by_api.object_id == "api" and by_api.data["client"] == "main-system" and by_api.data["created"] == 2
    )
    api.post("/api/v1/cases", {"cases": [factories.case_payload(1)]})  # unchanged: nothing to audit
    assert len(_events("cases.imported")) == 1

    make_user("org", Role.ORGANIZER)
    auth.login("org")
    headers = [header for _, header, _ in COLUMNS]
    row = [example for _, _, example in COLUMNS]
    row[headers.index("工单编号")] = "FILE-1"
    data = ("\r\n".join([",".join(headers), ",".join(row)]) + "\r\n").encode()
    preview = client.post(
        "/cases/import", data={"file": (io.BytesIO(data), "十一月.csv")}, content_type="multipart/form-data"
    )
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    assert client.post("/cases/import/commit", data={"token": token}).status_code == 302
    by_file = _events("cases.imported")[-1]
    assert by_file.object_id == "file" and by_file.data["filename"] == "十一月.csv"
    assert by_file.data["created"] == 1 and by_file.actor_id is not None
    assert verify()[0]


def test_screening_and_exclusion_name_the_organizer_and_the_reason(api, client, auth) -> None:
    api.post("/api/v1/cases", {"cases": [factories.case_payload(1)]})
    case_id = db.session.scalar(sa.select(Case.id))
    organizer = make_user("org", Role.ORGANIZER)
    db.session.commit()
    auth.login("org")
    client.post("/cases/screen", data={"case_ids": [case_id], "action": "exclude", "reason": "duplicate"})
    (event,) = _events("case.screened")
    assert event.object_id == str(case_id) and event.actor_id == organizer.id
    assert event.data == {"from": "received", "to": "excluded", "reason": "duplicate"}


def test_re_parenting_a_department_names_the_old_and_the_new_parent(api) -> None:
    api.put("/api/v1/departments/D-510104", {"name": "锦江区人民政府", "kind": "district"})
    body = {"name": "玉林街道办事处", "kind": "township", "parent": "D-510107"}
    assert api.put("/api/v1/departments/T-1", body).status_code == 201
    assert api.put("/api/v1/departments/T-1", body).status_code == 200  # unchanged: nothing to audit
    assert api.put("/api/v1/departments/T-1", {**body, "parent": "D-510104"}).status_code == 200
    changed = [e for e in _events("department.changed") if e.object_id == "T-1"]
    assert len(changed) == 1
    assert changed[0].data["parent"] == "D-510104" and changed[0].data["former_parent"] == "D-510107"
    assert verify()[0]


def test_members_policies_rubrics_and_api_clients(app_ctx, runner) -> None:
    member = save_member(
        None,
        {
            "name": "王芳",
            "role": "official",
            "max_cases": 10,
            "email": "wang@example.gov",
            "phone": "13812345678",
        },
    )
    save_member(
        member,
        {"name": "王芳", "role": MemberRole.LAWYER.value, "max_cases": 10, "email": "w2@example.gov"},
    )
    created, changed = _events("member.created")[0], _events("member.changed")[0]
    assert created.data["email"] == "changed" and "13812345678" not in str(created.data)
    assert changed.data == {"role": "lawyer", "email": "changed", "phone": None}

    values = {"name": "默认", "panel_size": 5, "role_ranges": factories.ROLE_RANGES, "category_needs": {}}
    policy = save_policy(None, values)
    save_policy(policy, {**values, "panel_size": 7})
    assert _events("policy.changed")[0].data == {"panel_size": 7}

    version = factories.published_rubric()
    assert _events("rubric.published")[-1].object_id == str(version.id)
    retire(version)
    assert _events("rubric.retired")[0].object_id == str(version.id)
    db.session.commit()

    assert runner.invoke(args=["clients", "create", "main", "--scopes", "cases:write"]).exit_code == 0
    assert runner.invoke(args=["clients", "revoke", "main"]).exit_code == 0
    assert [e.data["name"] for e in _events("api_client.created") + _events("api_client.revoked")] == [
        "main"
    ] * 2
    assert verify()[0]
