from __future__ import annotations

import sqlalchemy as sa

from evaluation.accounts.models import User
from evaluation.appeals.models import Appeal, AppealState
from evaluation.assessments.models import Assessment
from evaluation.batches.models import Batch, BatchState
from evaluation.cases.models import Case
from evaluation.extensions import db
from evaluation.models import (
    Answer,
    AuditEvent,
    Department,
    HandlingStep,
    Member,
    Region,
    Rubric,
    ScoreSheet,
    Seat,
    SheetRevision,
)
from evaluation.org.models import DepartmentKind
from panels.models import MemberRole
from procurement import projects as ops
from procurement.expert_models import AgencyReview, BidScore, ExpertSeat
from procurement.models import Agency, Bid, Contract, ContractState, Honorarium, ProjectState, PurchaseProject

COUNTED = [
    Region,
    Department,
    User,
    Member,
    Case,
    HandlingStep,
    Rubric,
    Batch,
    Seat,
    ScoreSheet,
    Answer,
    SheetRevision,
    Assessment,
    AuditEvent,
    Agency,
    Bid,
    Contract,
    BidScore,
    Honorarium,
]


def _counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in COUNTED}


def test_demo_seed_is_realistic_and_idempotent(runner) -> None:
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    for username in ("admin", "organizer", "member", "department", "agency"):
        assert username in first.output
    counts = _counts()

    assert counts["Case"] == 800  # three recent months and the five before
    assert counts["Member"] == 80 + 7  # the panel pool and the procurement experts
    assert counts["Department"] >= 20
    kinds = set(db.session.scalars(sa.select(Department.kind).distinct()))
    assert kinds == set(DepartmentKind)
    districts = db.session.scalars(sa.select(Region.code).where(Region.level == "district")).all()
    assert len(districts) >= 10 and "510107" in districts  # 武侯区
    roles = set(db.session.scalars(sa.select(Member.role).distinct()))
    assert {MemberRole.OFFICIAL, MemberRole.LAWYER, MemberRole.TOWNSHIP_REP, MemberRole.CITIZEN_REP} <= roles
    # A whole procurement: three bids, one flagged low; five experts scored and confirmed; the contract runs.
    project = db.session.scalars(sa.select(PurchaseProject)).one()
    assert project.state == ProjectState.CONTRACTED and len(project.bids) == 3
    assert (
        sum(ops.low_flags(project).values()) == 1
        and project.awarded_bid.agency.name == "成都明理社会评价研究中心"
    )
    seats = db.session.scalars(sa.select(ExpertSeat)).all()
    assert len(seats) == 5 and all(s.confirmed_dt for s in seats)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BidScore)) == 15
    contract = db.session.scalars(sa.select(Contract)).one()
    assert contract.state == ContractState.ACTIVE and contract.pi_confirmed_dt is not None
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(Batch).where(Batch.contract_id == contract.id)
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Honorarium)) == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgencyReview)) == 1
    states = set(db.session.scalars(sa.select(Batch.state)))
    assert {BatchState.PUBLISHED, BatchState.FINALIZED, BatchState.SCORING, BatchState.DRAFT} <= states
    published = db.session.scalar(
        sa.select(sa.func.count()).select_from(Assessment).where(Assessment.published_dt.is_not(None))
    )
    unpublished = db.session.scalar(
        sa.select(sa.func.count()).select_from(Assessment).where(Assessment.published_dt.is_(None))
    )
    assert published > 0 and unpublished > 0
    months = {d.strftime("%Y-%m") for d in db.session.scalars(sa.select(Batch.published_dt)) if d is not None}
    assert len(months) == 6  # six published months: a trend, a ranking with intervals, a notice
    (appeal,) = db.session.scalars(sa.select(Appeal)).all()  # one waits for the organizer's decision
    assert appeal.state == AppealState.FILED and appeal.filed_by.username == "department"
    submitted = db.session.scalar(
        sa.select(sa.func.count()).select_from(ScoreSheet).where(ScoreSheet.state == "submitted")
    )
    assert submitted >= 5 * 80  # every seat of the published and finalized batches, and some in scoring
    assert counts["Answer"] >= 15 * submitted
    case_types = set(db.session.scalars(sa.select(Case.case_type).distinct()))
    assert len(case_types) >= 4
    case = db.session.scalar(sa.select(Case).order_by(Case.id).limit(1))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in case.request_text)

    # The citizens' identities are encrypted at rest.
    raw = db.session.execute(
        sa.text(
            "SELECT citizen_name_enc, citizen_phone_enc, citizen_id_number_enc, citizen_address_enc "
            "FROM cases WHERE id = :id"
        ),
        {"id": case.id},
    ).one()
    for plain, stored in zip(
        (case.citizen_name, case.citizen_phone, case.citizen_id_number, case.citizen_address),
        raw,
        strict=True,
    ):
        assert plain and plain.encode() not in bytes(stored)

    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert _counts() == counts


def test_demo_logins_work_and_the_draft_batch_can_be_drawn(runner, client, auth) -> None:
    """What a tester does first: log in as each role, then draw the draft batch's panels. (One seeding for all
    the demo's journeys: it takes seconds to build.)"""
    from panels.draw import open_draw, run_draw, verify_draw

    runner.invoke(args=["demo", "seed"])
    _every_draw_replays()
    _the_history_is_in_the_audit_trail()
    _the_scoring_batch_is_finalized_in_the_pages(client, auth)
    for username, page, marker in (
        ("organizer", "/cases/", "CD12345-2026-"),
        ("member", "/batches/mine", "不满意件评议 第3批"),
        ("department", "/results/", "CD12345-2026-"),
        ("agency", "/batches/", "不满意件评议 第1批"),
    ):
        assert auth.login(username, "demo-2026").status_code == 302, username
        assert marker in client.get(page).get_data(as_text=True), username
        auth.logout()
    # Every panel member logs in with their e-mail address and the same password.
    lawyer = db.session.scalar(sa.select(Member).where(Member.role == MemberRole.LAWYER).order_by(Member.id))
    assert auth.login(lawyer.email, "demo-2026").status_code == 302
    assert "我的评议" in client.get("/batches/mine").get_data(as_text=True)
    auth.logout()
    without = db.session.scalar(
        sa.select(sa.func.count()).select_from(Member).where(Member.user_id.is_(None))
    )
    assert without == 0
    batch = db.session.scalar(sa.select(Batch).where(Batch.state == BatchState.DRAFT))
    draw = open_draw(batch, None)
    result = run_draw(draw)
    db.session.commit()
    assert result["status"] == "optimal" and len(result["seats"]) == 5 * len(batch.items)
    assert verify_draw(draw) == (True, "match")


def _every_draw_replays() -> None:
    from panels.draw import verify_draw
    from panels.models import Draw

    draws = db.session.scalars(sa.select(Draw)).all()
    assert len(draws) == 8  # six published batches, the finalized and the scoring one
    for draw in draws:
        assert verify_draw(draw) == (True, "match"), draw.id


def _the_history_is_in_the_audit_trail() -> None:
    actions = dict(
        db.session.execute(sa.select(AuditEvent.action, sa.func.count()).group_by(AuditEvent.action)).all()
    )
    for action in (
        "batch.created",
        "draw.made",
        "seat.invited",
        "seat.accepted",
        "seat.declined",
        "seat.refilled",
        "batch.scoring_opened",
        "score.submitted",
        "reminder.sent",
        "batch.scoring_closed",
        "score.revised",
        "verdict.settled",
        "batch.finalized",
    ):
        assert actions.get(action), action
    # Reminder jobs of the batch still scoring wait for their time.
    from evaluation.jobs.models import Job, JobState

    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Job)
        .where(Job.kind == "batch.remind", Job.state == JobState.PENDING)
    )
    # Windows at office hours, Beijing time.
    from evaluation.clock import to_local

    for batch in db.session.scalars(sa.select(Batch)):
        assert (to_local(batch.opens_dt).hour, to_local(batch.closes_dt).hour) == (9, 18), batch.name


def _the_scoring_batch_is_finalized_in_the_pages(client, auth) -> None:
    """The organizer closes the third batch early, withdraws what is below quorum, goes on without the silent
    outliers, decides the ties and finalizes; the results are on the batch's page."""
    from evaluation.assessments.operations import ties
    from evaluation.batches.models import BatchItem
    from evaluation.batches.operations import blockers

    batch = db.session.scalar(sa.select(Batch).where(Batch.state == BatchState.SCORING))
    auth.login("organizer", "demo-2026")
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "份评分表尚未提交" in page
    refused = client.post(f"/batches/{batch.id}/close-scoring", follow_redirects=True).get_data(as_text=True)
    assert "评分窗口仍开放" in refused
    assert client.post(f"/batches/{batch.id}/close-scoring", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert batch.state == BatchState.DELIBERATION
    short = blockers(batch)
    assert short, "the demo's late members leave cases below quorum"
    assert "距离定稿还差" in client.get(f"/batches/{batch.id}").get_data(as_text=True)
    for blocker in short:
        response = client.post(
            f"/batches/items/{blocker.item.id}/withdraw", data={"reason": "评分不足法定人数，下批重新评议。"}
        )
        assert response.status_code == 302
    db.session.expire_all()
    decisions = {}
    for item in ties(batch):
        decisions[f"tie-{item.id}-verdict"] = "partly_upheld"
        decisions[f"tie-{item.id}-reason"] = "平票，组织者依据综合得分裁定。"
    done = client.post(f"/batches/{batch.id}/finalize", data={**decisions, "without_silent_outliers": "yes"})
    assert done.status_code == 302
    db.session.expire_all()
    assert batch.state == BatchState.FINALIZED
    kept = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(BatchItem)
        .where(BatchItem.batch_id == batch.id, BatchItem.withdrawn_dt.is_(None))
    )
    results = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert results.count("/assessments/") == kept
    auth.logout()
