"""Batches: creation from eligible cases (filters, seeded samples), transitions with reasons, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.batches.models import Batch, BatchState
from evaluation.batches.operations import BatchError, create_batch, open_scoring, sample_cases
from evaluation.cases.models import Case, CaseStatus
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from panels.draw import open_draw, run_draw
from panels.invitations import accept, decline, invite_batch
from panels.models import CompositionPolicy, Seat, SeatState
from rubrics.models import RubricVersion
from tests.conftest import make_user


def test_a_seeded_sample_is_reproducible() -> None:
    ids = list(range(1, 101))
    assert sample_cases(ids, 10, "abc") == sample_cases(list(reversed(ids)), 10, "abc")
    assert sample_cases(ids, 10, "abc") != sample_cases(ids, 10, "abd")
    assert sample_cases(ids, None, "") == ids


def test_create_a_batch_through_the_page(draft_world, client, auth) -> None:
    auth.login("organizer")
    version = db.session.scalar(sa.select(RubricVersion))
    policy = db.session.scalar(sa.select(CompositionPolicy))
    opens = (to_local(utcnow()) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    form = {
        "name": "12月第1批",
        "rubric_version": str(version.id),
        "policy": str(policy.id),
        "opens": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes": (opens + timedelta(days=9, hours=9)).strftime("%Y-%m-%dT%H:%M"),
        "category": "物业纠纷",
        "sample_size": "8",
        "sample_seed": "2026-12",
    }
    response = client.post("/batches/new", data=form)
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(Batch).where(Batch.name == "12月第1批"))
    assert len(batch.items) == 8 and batch.sample_seed == "2026-12"
    assert {item.case.category for item in batch.items} == {"物业纠纷"}
    assert {item.case.status for item in batch.items} == {CaseStatus.QUEUED}
    assert batch.opens_dt == opens.replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)  # Beijing 09:00
    past = client.post("/batches/new", data={**form, "name": "过去", "closes": "2020-01-01T18:00"})
    assert past.status_code == 400 and "新的截止时间已过" in past.get_data(as_text=True)
    again = client.post("/batches/new", data=form, follow_redirects=True)
    assert "已有同名的批次" in again.get_data(as_text=True)


def test_only_eligible_cases_and_a_published_version(draft_world) -> None:
    version = db.session.scalar(sa.select(RubricVersion))
    policy = db.session.scalar(sa.select(CompositionPolicy))
    received = db.session.scalar(sa.select(Case).where(Case.status == CaseStatus.RECEIVED))
    with pytest.raises(BatchError) as caught:
        create_batch("x", version, policy, None, None, [received.id], None, None)
    assert "Only eligible cases" in str(caught.value)


def test_open_scoring_says_what_is_missing_then_opens(draft_world, runner) -> None:
    batch = db.session.scalar(sa.select(Batch).where(Batch.state == BatchState.DRAFT))
    with pytest.raises(BatchError, match="after the panels are drawn"):
        open_scoring(batch)
    draw = open_draw(batch, None)
    run_draw(draw)
    invite_batch(batch)
    db.session.commit()
    seats = db.session.scalars(sa.select(Seat).where(Seat.state == SeatState.INVITED).order_by(Seat.id)).all()
    for seat in seats[:-1]:
        accept(seat)
    last = seats[-1]
    last.substitutes.clear()  # no one left to take the seat
    db.session.flush()
    decline(last, "生病住院")
    with pytest.raises(BatchError, match="1 cases have no complete panel.*Tick the confirmation"):
        open_scoring(batch, now=batch.opens_dt)
    db.session.rollback()
    batch = db.session.get(Batch, batch.id)
    with pytest.raises(BatchError, match="already closed"):
        open_scoring(batch, now=batch.closes_dt + timedelta(hours=1))
    with pytest.raises(BatchError, match="invitations are still unanswered"):
        open_scoring(batch, now=batch.opens_dt)  # the accepts were rolled back with the decline
    open_scoring(batch, now=batch.opens_dt, confirmed=True)
    db.session.commit()
    assert batch.state == BatchState.SCORING
    assert {item.case.status for item in batch.items} == {CaseStatus.IN_REVIEW}
    listed = json.loads(runner.invoke(args=["batches", "list", "--json"]).output)
    assert {"id": batch.id, "name": batch.name, "state": "scoring"} in listed


def test_the_window_can_be_moved_from_the_page_and_the_members_are_told(world, client, auth, inbox) -> None:
    auth.login("organizer")
    batch = db.session.scalar(sa.select(Batch).where(Batch.state == BatchState.SCORING))
    closes = (to_local(utcnow()) + timedelta(days=20)).replace(hour=18, minute=0, second=0, microsecond=0)
    page = client.post(
        f"/batches/{batch.id}/window",
        data={"closes": closes.strftime("%Y-%m-%dT%H:%M")},
        follow_redirects=True,
    )
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).closes_dt == closes.replace(
        tzinfo=ZoneInfo("Asia/Shanghai")
    ).astimezone(UTC)
    assert "已通过电子邮件告知 5 名尚有评分表未提交或邀请未答复的评议员" in page.get_data(as_text=True)
    assert (
        len(inbox.messages) == 5
        and closes.strftime("%Y-%m-%d %H:%M") in inbox.messages[0].get_body(("plain",)).get_content()
    )
    past = client.post(
        f"/batches/{batch.id}/window", data={"closes": "2020-01-05T18:00"}, follow_redirects=True
    )
    assert "新的截止时间已过" in past.get_data(as_text=True)


def test_moving_the_window_tells_an_invited_member_but_not_a_seat_with_its_own_deadline(
    app_ctx, inbox
) -> None:
    from evaluation.batches.operations import extend_window
    from tests import factories

    world = factories.world("scoring")  # the spares hold no seat
    batch = world.batch
    panel = batch.items[0].panel
    unanswered, substitute = world.spare_members[:2]
    for position, (member, deadline) in enumerate(
        ((unanswered, None), (substitute, utcnow() + timedelta(days=2))), start=10
    ):
        member.email = f"{member.id}@example.org"
        db.session.add(
            Seat(
                panel=panel,
                member=member,
                role=member.role,
                position=position,
                state=SeatState.INVITED,
                deadline_dt=deadline,
            )
        )
    db.session.commit()
    before = len(inbox.messages)
    told = extend_window(batch, batch.closes_dt + timedelta(days=2))
    db.session.commit()
    recipients = {m["To"] for m in inbox.messages[before:]}
    assert told == len(recipients) and unanswered.email in recipients and substitute.email not in recipients


def test_a_member_cannot_create_batches(client, auth) -> None:
    make_user("m", Role.MEMBER)
    auth.login("m")
    assert client.get("/batches/new").status_code == 403


def test_hand_picked_cases_join_a_draft_batch(draft_world, client, auth) -> None:
    auth.login("organizer")
    batch = db.session.scalar(sa.select(Batch).where(Batch.state == BatchState.DRAFT))
    before = len(batch.items)
    eligible = db.session.scalars(sa.select(Case).where(Case.status == CaseStatus.ELIGIBLE).limit(3)).all()
    received = db.session.scalar(sa.select(Case).where(Case.status == CaseStatus.RECEIVED))
    ids = [c.id for c in eligible] + [received.id]
    page = client.post(
        "/cases/screen",
        data={"case_ids": ids, "action": "add_to_batch", "batch": str(batch.id)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"3 件已加入{batch.name}" in page and "1 件保持不变" in page
    db.session.expire_all()
    batch = db.session.get(Batch, batch.id)
    assert len(batch.items) == before + 3
    assert {c.status for c in db.session.scalars(sa.select(Case).where(Case.id.in_(ids[:3])))} == {
        CaseStatus.QUEUED
    }
    missing = client.post(
        "/cases/screen", data={"case_ids": ids[:1], "action": "add_to_batch"}, follow_redirects=True
    )
    assert "请选择要加入的草稿批次" in missing.get_data(as_text=True)


def test_a_batch_under_a_contract_counts_against_its_quota_and_its_agency_sees_it(
    draft_world, client, auth
) -> None:
    from datetime import date
    from decimal import Decimal

    from procurement.models import Agency, Contract, ContractState

    agency = Agency(name="明理中心", credit_code="52510107MJ6CX3Q2K0")
    signed = Contract(
        number="HT-9",
        agency=agency,
        amount=Decimal(1),
        start_date=date(2026, 1, 1),
        end_date=date(2027, 12, 31),
    )
    draft = Contract(
        number="HT-10",
        agency=agency,
        amount=Decimal(1),
        start_date=date(2026, 1, 1),
        end_date=date(2027, 12, 31),
    )
    signed.state, signed.case_quota, draft.state = ContractState.ACTIVE, 5, ContractState.DRAFT
    db.session.add_all([signed, draft])
    make_user("agent", Role.AGENCY, agency=agency)
    db.session.commit()
    auth.login("organizer")
    page = client.get("/batches/new").get_data(as_text=True)
    assert "HT-9 · 明理中心" in page and "HT-10" not in page  # only running contracts are offered
    form = {
        "name": "合同批次",
        "rubric_version": str(db.session.scalar(sa.select(RubricVersion.id))),
        "policy": str(db.session.scalar(sa.select(CompositionPolicy.id))),
        "contract": str(signed.id),
        "sample_size": "6",
    }
    over = client.post("/batches/new", data=form)
    assert over.status_code == 400 and "该合同额度尚余 5 件，本批次将有 6 件" in over.get_data(as_text=True)
    assert client.post("/batches/new", data={**form, "sample_size": "4"}).status_code == 302
    batch = db.session.scalar(sa.select(Batch).where(Batch.name == "合同批次"))
    assert batch.contract_id == signed.id
    contract_page = client.get(f"/procurement/contracts/{signed.id}").get_data(as_text=True)
    assert "已评议 4 / 5 件" in contract_page and "合同批次" in contract_page
    auth.logout()
    auth.login("agent")
    assert client.get(f"/batches/{batch.id}").status_code == 200
