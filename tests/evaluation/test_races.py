"""The same request twice at the same moment, on both engines (on PostgreSQL the two really overlap; SQLite lets one
writer in at a time). Whatever the interleaving: no 5xx, nothing done twice, and the loser is told in words (409
for a lost race, or the refusal of a thing already done)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from evaluation.assessments.models import Assessment
from evaluation.extensions import db
from evaluation.scoring.models import ScoreSheet, SheetRevision, SheetState
from tests import factories
from tests.conftest import TEST_PASSWORD
from tests.evaluation.test_scoring import full_answers


def _logged_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": TEST_PASSWORD}).status_code == 302
    return client


def _at_once(app: Flask, requests: list[Callable[[], Any]]) -> list[Any]:
    """Run the requests in threads released together; their responses, in order."""
    db.session.commit()  # the test's own transaction would hold SQLite's write lock against them
    start = threading.Barrier(len(requests))
    answers: list[Any] = [None] * len(requests)

    def run(index: int) -> None:
        with app.app_context():
            start.wait()
            answers[index] = requests[index]()
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_first_opens_of_a_seat_all_get_the_one_sheet(app_ctx, world) -> None:
    seat_id = next(s.id for s in world.batch.items[0].panel.seats if s.member_id == world.member.id)
    clients = [_logged_in(app_ctx, "member") for _ in range(4)]
    answers = _at_once(app_ctx, [lambda c=c: c.get(f"/reviews/seats/{seat_id}") for c in clients])
    assert [a.status_code for a in answers] == [200] * 4
    assert db.session.scalar(sa.select(sa.func.count()).where(ScoreSheet.seat_id == seat_id)) == 1


def test_two_revisions_at_once_one_stands_and_the_other_is_told(app_ctx, world) -> None:
    factories.close_with_every_sheet(world)
    world.batch.items[0].in_deliberation = True  # as if its panel disagreed: each member may revise once
    db.session.commit()
    seat_id = next(s.id for s in world.batch.items[0].panel.seats if s.member_id == world.member.id)
    clients = [_logged_in(app_ctx, "member") for _ in range(2)]
    url = f"/reviews/seats/{seat_id}/revise"
    answers = _at_once(
        app_ctx,
        [
            lambda c=c, n=n: c.post(
                url, data={**full_answers(), "reason": f"复核第{n}次", "confirmed": "yes"}
            )
            for n, c in enumerate(clients)
        ],
    )
    assert sorted(a.status_code for a in answers) == [302, 409], [
        re.findall(r"class=\"[^\"]*(?:error|flash)[^\"]*\"[^>]*>([^<]+)", a.get_data(as_text=True))
        for a in answers
    ]
    loser = next(a for a in answers if a.status_code == 409).get_data(as_text=True)
    assert "已修改过" in loser or "他人在同一时刻修改了此内容" in loser
    sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.seat_id == seat_id))
    assert sheet.state == SheetState.REVISED
    revised = sa.select(sa.func.count()).where(
        SheetRevision.sheet_id == sheet.id, SheetRevision.state == SheetState.REVISED
    )
    assert db.session.scalar(revised) == 1


def test_two_finalizes_at_once_settle_each_case_once(app_ctx, world) -> None:
    factories.close_with_every_sheet(world)
    db.session.commit()
    batch_id, cases = world.batch.id, len(world.batch.items)
    clients = [_logged_in(app_ctx, "organizer") for _ in range(2)]
    answers = _at_once(
        app_ctx,
        [
            lambda c=c: c.post(f"/batches/{batch_id}/finalize", headers={"Accept": "application/json"})
            for c in clients
        ],
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([302, 409], [302, 422]), statuses  # a lost race, or "already finalized"
    loser = next(a for a in answers if a.status_code != 302).get_json()["error"]
    assert loser["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == cases
