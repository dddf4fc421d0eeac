"""Appeals (申请复核): the evaluated department files one within the appeal period with its grounds and its renewed
contact with the citizen; the organizer accepts or rejects it with a reason; an accepted appeal is re-reviewed in a
later batch by a panel without any earlier member, and the result is published as the next version
(``assessment.corrected``), the old one still readable."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.accounts.operations import create_client
from evaluation.appeals.models import Appeal, AppealState
from evaluation.assessments.models import Assessment, Verdict
from evaluation.assessments.operations import finalize
from evaluation.audit.models import AuditEvent
from evaluation.batches.models import ItemPurpose
from evaluation.batches.operations import close_scoring, create_batch, eligible_case_ids, open_scoring
from evaluation.cases.models import CaseStatus
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.publication.models import OutboxMessage
from evaluation.publication.operations import publish_batch
from evaluation.rectifications.models import Rectification, RectificationState
from panels.draw import open_draw, run_draw
from panels.invitations import accept, invite_batch
from panels.models import Member, MemberRole, Recusal, RecusalRule
from tests import factories
from tests.conftest import make_user
from tests.evaluation.test_races import _at_once, _logged_in
from tests.evaluation.test_results import _finalized

GROUNDS = "我局已于11月20日完成维修，居民张三丰确认电梯恢复运行。"
RECONTACT = "11月21日回访张三丰（13800001111），诉求人表示满意。"


@pytest.fixture
def published(world):
    """The world's batch finalized and published; a department user of the housing bureau, whose cases they are."""
    _finalized(world)
    create_client("main", ["assessments:read"], "https://main.example.gov/hooks")
    publish_batch(world.batch, world.organizer.id)
    housing = world.batch.items[0].case.lead_department
    make_user("zj", Role.DEPARTMENT, department=housing, email="zj@example.gov")
    db.session.commit()
    return world


def _first(world) -> Assessment:
    return db.session.scalar(sa.select(Assessment).where(Assessment.case_id == world.batch.items[0].case_id))


def _file(client, assessment: Assessment, **data: str):
    return client.post(
        f"/results/{assessment.id}/appeal",
        data={"reason": GROUNDS, "recontact_record": RECONTACT, **data},
    )


def test_the_department_files_an_appeal_with_its_grounds_and_renewed_contact(
    published, client, auth, inbox
) -> None:
    assessment = _first(published)
    assert assessment.verdict == Verdict.UPHELD
    auth.login("zj")
    page = client.get(f"/results/{assessment.id}").get_data(as_text=True)
    assert (
        "复核理由" in page and "与诉求人沟通情况" in page and "13812345678" not in page
    )  # the dissent, masked
    listing = client.get("/results/").get_data(as_text=True)
    assert f"/results/{assessment.id}" in listing
    empty = _file(client, assessment, reason="  ", recontact_record="")
    assert empty.status_code == 400 and "field-error" in empty.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appeal)) == 0
    assert _file(client, assessment).status_code == 302
    appeal = db.session.scalar(sa.select(Appeal))
    assert appeal.state == AppealState.FILED and appeal.case.status == CaseStatus.APPEALED
    assert appeal.reason == GROUNDS and appeal.department_id == assessment.department_id
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "appeal.filed")) is not None
    (told,) = inbox.to("office@example.gov")
    assert assessment.case.external_id in told["Subject"] and f"/appeals/{appeal.id}" in told.as_string()
    again = _file(client, assessment)
    assert again.status_code == 422 and "已申请过复核" in again.get_data(as_text=True)
    shown = client.get(f"/results/{assessment.id}").get_data(as_text=True)
    assert "待决定" in shown and GROUNDS in shown


def test_the_grounds_and_the_contact_record_are_encrypted_at_rest(published, client, auth) -> None:
    auth.login("zj")
    _file(client, _first(published))
    row = db.session.execute(sa.text("SELECT reason_enc, recontact_record_enc FROM appeals")).one()
    for stored in row:
        assert "张三丰".encode() not in bytes(stored) and b"13800001111" not in bytes(stored)


def test_what_cannot_be_appealed_says_why(published, client, auth) -> None:
    assessment = _first(published)
    auth.login("zj")
    assessment.published_dt = utcnow() - timedelta(days=11)  # bypass the guard: a test's time travel
    db.session.execute(
        sa.update(Assessment)
        .where(Assessment.id == assessment.id)
        .values(published_dt=utcnow() - timedelta(days=11))
    )
    db.session.commit()
    late = _file(client, assessment)
    assert late.status_code == 422 and "复核申请期限已于" in late.get_data(as_text=True)
    assert "复核申请期限已于" in client.get(f"/results/{assessment.id}").get_data(as_text=True)
    other = published.batch.items[1]
    db.session.execute(
        sa.update(Assessment).where(Assessment.case_id == other.case_id).values(verdict=Verdict.NOT_UPHELD)
    )
    db.session.commit()
    second = db.session.scalar(sa.select(Assessment).where(Assessment.case_id == other.case_id))
    assert _file(client, second).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appeal)) == 0


def test_a_sibling_department_reaches_neither_the_result_nor_the_appeal(published, client, auth) -> None:
    police = published.panel_members[0].affiliation
    make_user("ga", Role.DEPARTMENT, department=police)
    db.session.commit()
    auth.login("ga")
    assessment = _first(published)
    assert client.get(f"/results/{assessment.id}").status_code == 403
    assert _file(client, assessment).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appeal)) == 0


def _filed(client, auth, world) -> Appeal:
    auth.login("zj")
    _file(client, _first(world))
    auth.logout()
    return db.session.scalar(sa.select(Appeal))


def test_the_organizer_rejects_with_a_reason_the_department_reads_masked(
    published, client, auth, inbox
) -> None:
    appeal = _filed(client, auth, published)
    auth.login("organizer")
    listing = client.get("/appeals/").get_data(as_text=True)
    assert appeal.case.external_id in listing and f"/appeals/{appeal.id}" in listing
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert GROUNDS in page and RECONTACT in page
    bare = client.post(f"/appeals/{appeal.id}/decide", data={"decision": "reject", "note": ""})
    assert bare.status_code == 400 and "field-error" in bare.get_data(as_text=True)
    note = "回访记录显示张三丰仍不满意，电梯未修复。"
    done = client.post(f"/appeals/{appeal.id}/decide", data={"decision": "reject", "note": note})
    assert done.status_code == 302
    db.session.refresh(appeal)
    assert appeal.state == AppealState.REJECTED and appeal.case.status == CaseStatus.PUBLISHED
    assert appeal.decision_note == note
    (told,) = inbox.to("zj@example.gov")
    text = told.get_body(("plain",)).get_content()
    assert "驳回" in text and "张三丰" not in text and "张**" in text
    again = client.post(f"/appeals/{appeal.id}/decide", data={"decision": "accept", "note": "改为受理"})
    assert again.status_code == 409
    auth.logout()
    auth.login("zj")
    shown = client.get(f"/results/{appeal.assessment_id}").get_data(as_text=True)
    assert "张**仍不满意" in shown and "张三丰仍不满意" not in shown


def _new_panel_members(world) -> list[Member]:
    """Five members who sat on no panel of the case: the re-review's panel."""
    police = world.panel_members[0].affiliation
    fresh = [
        Member(name=name, role=role, affiliation=unit, district_code="510107", max_cases=50)
        for name, role, unit in [
            ("官员乙", MemberRole.OFFICIAL, police),
            ("律师乙", MemberRole.LAWYER, None),
            ("群众代表丙", MemberRole.CITIZEN_REP, None),
            ("群众代表丁", MemberRole.CITIZEN_REP, None),
            ("群众代表戊", MemberRole.CITIZEN_REP, None),
        ]
    ]
    db.session.add_all(fresh)
    db.session.flush()
    return fresh


def _re_review(world, verdict: str):
    """The accepted appeal's case through a new batch: drawn, scored with ``verdict``, finalized."""
    _new_panel_members(world)
    now = utcnow()
    ids = eligible_case_ids(appeals_only=True)
    batch = create_batch(
        "复核批次",
        world.batch.rubric_version,
        world.batch.policy,
        now - timedelta(days=1),
        now + timedelta(days=5),
        ids,
        None,
        world.organizer.id,
    )
    draw = open_draw(batch, world.organizer.id)
    draw.seed = "re-review"
    draw.seed_hash = hashlib.sha256(draw.seed.encode()).hexdigest()
    run_draw(draw)
    invite_batch(batch)
    for item in batch.items:
        for seat in item.panel.seats:
            accept(seat)
    open_scoring(batch)
    for item in batch.items:
        for seat in item.panel.seats:
            factories.submit(seat, **{"c-Q3": verdict})
    batch.closes_dt = utcnow() - timedelta(minutes=1)
    close_scoring(batch, 100)
    db.session.commit()
    finalize(batch, {}, world.organizer.id)
    db.session.commit()
    return batch, ids


def test_an_accepted_appeal_is_re_reviewed_by_new_members_and_published_as_version_2(
    published, client, auth
) -> None:
    appeal = _filed(client, auth, published)
    auth.login("organizer")
    client.post(
        f"/appeals/{appeal.id}/decide", data={"decision": "accept", "note": "回访材料充分，同意复核。"}
    )
    db.session.refresh(appeal)
    assert appeal.state == AppealState.ACCEPTED and appeal.case.status == CaseStatus.ELIGIBLE
    form = client.get("/batches/new").get_data(as_text=True)
    assert "其中 1 件" in form  # the organizer is told a re-review waits
    earlier = {m.id for m in published.panel_members}
    batch, ids = _re_review(published, "not_upheld")
    assert ids == [appeal.case_id]
    (item,) = batch.items
    assert item.purpose == ItemPurpose.APPEAL_REVIEW
    assert {s.member_id for s in item.panel.seats}.isdisjoint(earlier)
    recused = db.session.scalars(
        sa.select(Recusal.member_id).where(
            Recusal.case_id == appeal.case_id, Recusal.rule == RecusalRule.EARLIER_PANEL
        )
    ).all()
    assert set(recused) == earlier
    publish_batch(batch, published.organizer.id)
    db.session.commit()
    new = db.session.scalar(
        sa.select(Assessment).where(Assessment.case_id == appeal.case_id, Assessment.version == 2)
    )
    assert new.supersedes_id == appeal.assessment_id and new.verdict == Verdict.NOT_UPHELD
    db.session.refresh(appeal)
    assert appeal.state == AppealState.DECIDED and appeal.result_id == new.id
    owed = db.session.scalar(sa.select(Rectification).where(Rectification.case_id == appeal.case_id))
    assert owed.state == RectificationState.CANCELLED  # not upheld on re-review: nothing is owed
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.event == "assessment.corrected"))
    assert message.payload["data"]["id"] == new.public_id
    assert message.payload["data"]["supersedes"] == appeal.assessment.public_id
    auth.logout()
    auth.login("zj")
    page = client.get(f"/results/{new.id}").get_data(as_text=True)
    assert "第 1 版" in page and "复核结果" in page
    assert client.get(f"/results/{appeal.assessment_id}").status_code == 200  # the old one stays readable


def test_two_decisions_at_once_one_stands_and_the_other_is_told(app_ctx, published) -> None:
    appeal_client = _logged_in(app_ctx, "zj")
    assessment = _first(published)
    assert _file(appeal_client, assessment).status_code == 302
    appeal_id = db.session.scalar(sa.select(Appeal.id))
    clients = [_logged_in(app_ctx, "organizer") for _ in range(2)]
    answers = _at_once(
        app_ctx,
        [
            lambda c=c, d=d: c.post(
                f"/appeals/{appeal_id}/decide", data={"decision": d, "note": f"决定：{d}"}
            )
            for c, d in zip(clients, ("accept", "reject"), strict=True)
        ],
    )
    assert sorted(a.status_code for a in answers) == [302, 409]
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal_id)
    won = next(d for a, d in zip(answers, ("accept", "reject"), strict=True) if a.status_code == 302)
    assert appeal.state == (AppealState.ACCEPTED if won == "accept" else AppealState.REJECTED)
    assert appeal.decision_note == f"决定：{won}"


def test_two_appeals_of_a_case_at_once_file_one(app_ctx, published) -> None:
    make_user("zj2", Role.DEPARTMENT, department=published.batch.items[0].case.lead_department)
    db.session.commit()
    clients = [_logged_in(app_ctx, name) for name in ("zj", "zj2")]
    assessment_id = _first(published).id
    answers = _at_once(
        app_ctx,
        [
            lambda c=c: c.post(
                f"/results/{assessment_id}/appeal", data={"reason": GROUNDS, "recontact_record": RECONTACT}
            )
            for c in clients
        ],
    )
    assert sorted(a.status_code for a in answers) in ([302, 409], [302, 422])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appeal)) == 1
