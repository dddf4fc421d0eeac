"""Fixtures for the evaluation package's tests: small worlds made through the real operations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from evaluation.accounts.operations import create_client
from evaluation.batches.models import Batch
from evaluation.extensions import db
from evaluation.org.models import DepartmentKind
from evaluation.scoring.models import ScoreSheet
from panels.models import Seat
from tests import factories
from tests.conftest import make_department


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


@pytest.fixture
def api(client):
    """The main system: two departments and a client with write scopes, posting and putting JSON."""
    make_department("CD-ZJ", "成都市住房和城乡建设局")
    make_department("D-510107", "武侯区人民政府", DepartmentKind.DISTRICT)
    _, token, _ = create_client("main-system", ["cases:write", "departments:write"], None)
    db.session.commit()

    class Api:
        headers = {"Authorization": f"Bearer {token}"}

        def post(self, path, body, **kwargs):
            return client.post(path, json=body, headers=self.headers, **kwargs)

        def put(self, path, body):
            return client.put(path, json=body, headers=self.headers)

        def get(self, path):
            return client.get(path, headers=self.headers)

    return Api()
