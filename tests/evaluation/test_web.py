"""The request's one edge (evaluation.web): a commit after success, a rollback and the reasons on a refusal, 409
for a lost race."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from evaluation.audit.models import AuditEvent
from evaluation.batches import operations as batch_ops
from evaluation.batches.models import Batch, BatchState
from evaluation.extensions import db
from evaluation.text import N_


def _events() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0


def test_a_refusal_rolls_back_what_was_flushed_and_shows_every_reason(
    draft_world, client, auth, monkeypatch
) -> None:
    batch = draft_world.batch
    auth.login("organizer")
    before = _events()

    def half_done(target: Batch, **_options: object) -> None:
        target.name = "改了一半"
        db.session.flush()
        raise batch_ops.BatchError(
            (N_("Set the scoring window first."), {}), (N_("Scoring opens after the panels are drawn."), {})
        )

    monkeypatch.setattr(batch_ops, "open_scoring", half_done)
    response = client.post(f"/batches/{batch.id}/open-scoring", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == f"/batches/{batch.id}"  # back to the batch, where the button was
    assert "请先设置评分时段" in page and "抽取评议团后才能开始评分" in page
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).name == "测试批次" and _events() == before


def test_a_real_refusal_changes_nothing(draft_world, client, auth) -> None:
    batch = draft_world.batch
    auth.login("organizer")
    response = client.post(f"/batches/{batch.id}/open-scoring")
    assert response.status_code == 302 and response.location.endswith(f"/batches/{batch.id}")
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).state == BatchState.DRAFT


def test_the_api_reads_a_refusal_as_json_naming_each_reason(draft_world, client, auth, monkeypatch) -> None:
    auth.login("organizer")

    def refuse(target: Batch, **_options: object) -> None:
        raise batch_ops.BatchError(
            (N_("Set the scoring window first."), {}), (N_("Scoring opens after the panels are drawn."), {})
        )

    monkeypatch.setattr(batch_ops, "open_scoring", refuse)
    response = client.post(
        f"/batches/{draft_world.batch.id}/open-scoring", headers={"Accept": "application/json"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["reasons"] == ["请先设置评分时段。", "抽取评议团后才能开始评分。"]


def test_a_lost_race_answers_409_in_both_forms(draft_world, client, auth, monkeypatch) -> None:
    auth.login("organizer")
    url = f"/batches/{draft_world.batch.id}/open-scoring"
    for error in (IntegrityError("INSERT", {}, Exception("unique")), StaleDataError("version")):

        def lose(target: Batch, error: Exception = error, **_options: object) -> None:
            target.name = "不该留下"
            db.session.flush()
            raise error

        monkeypatch.setattr(batch_ops, "open_scoring", lose)
        page = client.post(url)
        assert page.status_code == 409 and "他人在同一时刻修改了此内容" in page.get_data(as_text=True)
        api = client.post(url, headers={"Accept": "application/json"})
        assert api.status_code == 409 and api.get_json()["error"]["code"] == "conflict"
    db.session.expire_all()
    assert db.session.get(Batch, draft_world.batch.id).name == "测试批次"


def test_a_refused_page_never_redirects_to_itself(app_ctx, client, auth, monkeypatch) -> None:
    """A GET refused with no usable referrer (or itself as the referrer) goes to the overview, not round."""
    from evaluation.accounts.models import Role
    from evaluation.text import UserError
    from tests.conftest import make_user

    make_user("org", Role.ORGANIZER)
    auth.login("org")

    def refusing() -> str:
        raise UserError(N_("Set the scoring window first."))

    monkeypatch.setitem(app_ctx.view_functions, "batches.index", refusing)
    for headers in ({}, {"Referer": "http://localhost/batches/"}):
        response = client.get("/batches/", headers=headers)
        assert response.status_code == 302 and response.location.endswith("/dashboard")
