"""Rectifications (整改): each upheld case owes one once published, due EVALUATION_RECTIFICATION_DAYS later; the
department reports, the organizer accepts or returns it with a note the department reads masked; the dashboard
lists what is owed; a sibling reaches none of it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.assessments.models import Assessment
from evaluation.clock import to_local
from evaluation.extensions import db
from evaluation.rectifications.models import Rectification, RectificationState
from evaluation.rectifications.operations import on_time
from tests.conftest import make_user
from tests.evaluation.test_appeals import published  # noqa: F401 - the fixture

REPORT = "已督促物业更换电梯主板，11月25日回访张三丰（13800001111），电梯运行正常。"


def _first(world) -> tuple[Assessment, Rectification]:
    assessment = db.session.scalar(
        sa.select(Assessment).where(Assessment.case_id == world.batch.items[0].case_id)
    )
    return assessment, db.session.scalar(
        sa.select(Rectification).where(Rectification.case_id == assessment.case_id)
    )


def test_each_upheld_case_owes_a_rectification_once_published(published) -> None:  # noqa: F811
    rows = db.session.scalars(sa.select(Rectification)).all()
    upheld = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Assessment)
        .where(Assessment.verdict.in_(["upheld", "partly_upheld"]))
    )
    assert len(rows) == upheld > 0 and all(r.state == RectificationState.DUE for r in rows)
    assessment, owed = _first(published)
    assert owed.due_date == to_local(assessment.published_dt).date() + timedelta(days=30)


def test_the_department_reports_the_organizer_returns_then_accepts(published, client, auth) -> None:  # noqa: F811
    assessment, owed = _first(published)
    auth.login("zj")
    board = client.get("/results/").get_data(as_text=True)
    assert "应报送的整改情况" in board and owed.due_date.isoformat() in board
    url = f"/results/{assessment.id}/rectification"
    empty = client.post(url, data={"report": " "})
    assert empty.status_code == 400 and "field-error" in empty.get_data(as_text=True)
    assert client.post(url, data={"report": REPORT}).status_code == 302
    db.session.refresh(owed)
    assert owed.state == RectificationState.FILED and on_time(owed) is True
    stored = db.session.execute(
        sa.text("SELECT report_enc FROM rectifications WHERE id = :i"), {"i": owed.id}
    ).scalar()
    assert "张三丰".encode() not in bytes(stored)
    auth.logout()
    auth.login("organizer")
    page = client.get(f"/rectifications/{owed.id}").get_data(as_text=True)
    assert REPORT in page
    bare = client.post(f"/rectifications/{owed.id}/review", data={"decision": "return", "note": ""})
    assert bare.status_code == 422 and "field-error" in bare.get_data(as_text=True)
    note = "请补充张三丰的书面确认。"
    assert (
        client.post(
            f"/rectifications/{owed.id}/review", data={"decision": "return", "note": note}
        ).status_code
        == 302
    )
    db.session.refresh(owed)
    assert owed.state == RectificationState.RETURNED
    auth.logout()
    auth.login("zj")
    shown = client.get(f"/results/{assessment.id}").get_data(as_text=True)
    assert "请补充张**的书面确认" in shown and "张三丰的书面确认" not in shown
    client.post(url, data={"report": REPORT + "已补充书面确认。"})
    auth.logout()
    auth.login("organizer")
    assert client.post(f"/rectifications/{owed.id}/review", data={"decision": "accept"}).status_code == 302
    again = client.post(f"/rectifications/{owed.id}/review", data={"decision": "accept"})
    assert again.status_code == 409
    db.session.refresh(owed)
    assert owed.state == RectificationState.ACCEPTED
    listing = client.get("/rectifications/?state=accepted").get_data(as_text=True)
    assert assessment.case.external_id in listing


def test_a_sibling_department_cannot_report(published, client, auth) -> None:  # noqa: F811
    make_user("ga", Role.DEPARTMENT, department=published.panel_members[0].affiliation)
    db.session.commit()
    assessment, owed = _first(published)
    auth.login("ga")
    assert client.post(f"/results/{assessment.id}/rectification", data={"report": REPORT}).status_code == 403
    assert "应报送的整改情况" in client.get("/results/").get_data(as_text=True)
    assert assessment.case.external_id not in client.get("/results/").get_data(as_text=True)
    db.session.refresh(owed)
    assert owed.state == RectificationState.DUE
