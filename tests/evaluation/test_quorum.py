"""Missing sheets: a quorum per policy, a silent member replaced while scoring is open, a seat reopened after the
window, a case below quorum withdrawn, and the batch page listing what stands between it and finalizing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from evaluation.batches.models import BatchItem, BatchState
from evaluation.batches.operations import blockers, close_scoring
from evaluation.cases.models import CaseStatus
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from panels.models import CompositionPolicy, Seat, SeatState, default_quorum
from panels.pool import PoolError, save_policy
from tests import factories


def _local(value) -> str:
    return to_local(value).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(("size", "quorum"), [(3, 3), (5, 3), (7, 4), (9, 5)])
def test_the_default_quorum_is_a_majority_and_at_least_three(size, quorum) -> None:
    assert default_quorum(size) == quorum


def test_a_policy_quorum_cannot_exceed_the_panel(world) -> None:
    policy = world.batch.policy
    assert policy.quorum_size == 3
    values = {
        "name": policy.name,
        "panel_size": 5,
        "role_ranges": policy.role_ranges,
        "category_needs": {},
        "prefer_local_township": True,
        "distinct_affiliations": True,
        "quorum": 6,
    }
    with pytest.raises(PoolError, match="quorum"):
        save_policy(policy, values)
    save_policy(policy, {**values, "quorum": 4})
    assert db.session.get(CompositionPolicy, policy.id).quorum_size == 4


@pytest.fixture
def with_spares(app_ctx) -> factories.World:
    return factories.world("scoring", spares=True)


def test_a_silent_member_is_replaced_by_the_next_substitute_with_a_deadline(with_spares, client, auth, inbox):
    batch = with_spares.batch
    seat = next(
        s for item in batch.items for s in item.panel.seats if s.role.value == "citizen_rep" and s.substitutes
    )
    auth.login("organizer")
    past = client.post(
        f"/batches/seats/{seat.id}/replace",
        data={"deadline": _local(utcnow() - timedelta(hours=1))},
        follow_redirects=True,
    )
    assert "新截止时间须晚于现在" in past.get_data(as_text=True)
    deadline = utcnow() + timedelta(days=2)
    response = client.post(f"/batches/seats/{seat.id}/replace", data={"deadline": _local(deadline)})
    assert response.status_code == 302
    db.session.expire_all()
    old = db.session.get(Seat, seat.id)
    new = db.session.get(Seat, old.replaced_by_id)
    assert old.state == SeatState.REPLACED and new.state == SeatState.INVITED
    assert new.deadline_dt is not None and abs((new.deadline_dt - deadline).total_seconds()) < 60
    (mail,) = inbox.to(new.member.email)
    assert to_local(new.deadline_dt).strftime("%Y-%m-%d %H:%M") in mail.get_body(("plain",)).get_content()


def _close_with_one_case_short(world: factories.World) -> BatchItem:
    """Every panel submits, except the first case's, which gets two sheets of five (below the quorum of 3)."""
    batch = world.batch
    for index, item in enumerate(batch.items):
        for seat in item.panel.seats[: 2 if index == 0 else 5]:
            factories.submit(seat)
    batch.closes_dt = utcnow() - timedelta(minutes=5)
    close_scoring(batch, 30)
    db.session.commit()
    return batch.items[0]


def test_a_case_below_quorum_blocks_until_a_reopened_seat_submits(world, client, auth, inbox):
    short = _close_with_one_case_short(world)
    auth.login("organizer")
    page = client.get(f"/batches/{world.batch.id}").get_data(as_text=True)
    assert "距离定稿还差" in page and short.case.external_id in page
    refused = client.post(f"/batches/{world.batch.id}/finalize", follow_redirects=True)
    assert "低于法定人数" in refused.get_data(as_text=True)
    silent = blockers(world.batch)[0].silent
    assert len(silent) == 3
    seat = silent[0]
    assert (
        client.post(
            f"/batches/seats/{seat.id}/reopen", data={"deadline": _local(utcnow() + timedelta(days=1))}
        ).status_code
        == 302
    )
    assert inbox.to(seat.member.email)
    # The member can score after the window, on this seat only.
    db.session.expire_all()
    factories.submit(db.session.get(Seat, seat.id))
    db.session.commit()
    assert blockers(world.batch) == []
    assert client.post(f"/batches/{world.batch.id}/finalize").status_code == 302
    db.session.expire_all()
    assert world.batch.state == BatchState.FINALIZED


def test_a_case_below_quorum_is_withdrawn_and_eligible_again(world, client, auth):
    short = _close_with_one_case_short(world)
    auth.login("organizer")
    no_reason = client.post(f"/batches/items/{short.id}/withdraw", data={"reason": ""}, follow_redirects=True)
    assert "请说明" in no_reason.get_data(as_text=True)
    too_long = client.post(
        f"/batches/items/{short.id}/withdraw", data={"reason": "因" * 2001}, follow_redirects=True
    )
    assert "2001" in too_long.get_data(as_text=True) and "2000" in too_long.get_data(as_text=True)
    settled = world.batch.items[1]
    refused = client.post(
        f"/batches/items/{settled.id}/withdraw", data={"reason": "试试"}, follow_redirects=True
    )
    assert "只有低于法定人数的案件" in refused.get_data(as_text=True)
    assert (
        client.post(f"/batches/items/{short.id}/withdraw", data={"reason": "评议员因病无法评分"}).status_code
        == 302
    )
    db.session.expire_all()
    item = db.session.get(BatchItem, short.id)
    assert item.withdrawn_reason == "评议员因病无法评分" and item.case.status == CaseStatus.ELIGIBLE
    assert item.panel is not None and len(item.panel.seats) == 5  # the history stays
    assert client.post(f"/batches/{world.batch.id}/finalize").status_code == 302
    db.session.expire_all()
    assert world.batch.state == BatchState.FINALIZED and item.case.status == CaseStatus.ELIGIBLE
    assessed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(BatchItem)
        .where(BatchItem.batch_id == world.batch.id, BatchItem.withdrawn_dt.is_(None))
    )
    assert assessed == len(world.batch.items) - 1
