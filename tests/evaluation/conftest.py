"""Fixtures for the evaluation package's tests: small worlds made through the real operations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from evaluation.batches.models import Batch
from evaluation.extensions import db
from evaluation.scoring.models import ScoreSheet
from panels.models import Seat
from tests import factories


@pytest.fixture
def world(app_ctx) -> factories.World:
    """A batch in scoring, its five-member panels and its organizer (see tests.factories.world)."""
    return factories.world("scoring")


@pytest.fixture
def draft_world(app_ctx) -> factories.World:
    return factories.world("draft")


@pytest.fixture
def scoring_batch(world) -> Batch:
    return world.batch


@pytest.fixture
def scoring(world, client, auth) -> Seat:
    """Logged in as the member, on the first case's seat, which has no sheet yet. On that panel the other four
    members have submitted; on the last case the member has submitted too."""
    items = world.batch.items
    for seat in items[0].panel.seats:
        if seat.member_id != world.member.id:
            factories.submit(seat)
    factories.submit(next(s for s in items[-1].panel.seats if s.member_id == world.member.id))
    db.session.commit()
    assert auth.login("member").status_code == 302
    return db.session.scalar(
        sa.select(Seat).where(
            Seat.panel_id == items[0].panel.id,
            Seat.member_id == world.member.id,
            ~sa.exists().where(ScoreSheet.seat_id == Seat.id),
        )
    )
