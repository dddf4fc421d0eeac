"""The pull API's order is the order in which publications become visible. Two batches published at the same
moment on PostgreSQL: the second waits on the first's lock until the first commits, so a reader following the
cursor meanwhile sees neither, then the first's numbers, then the second's, never skipping or repeating one."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from evaluation.accounts.operations import create_client
from evaluation.assessments.models import Assessment, Verdict
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import Case
from evaluation.extensions import db
from evaluation.publication.operations import publish_batch
from tests.evaluation.test_results import _finalized


def _second_batch(world) -> int:
    """Another finalized batch beside the world's, its assessments settled, over the world's other cases."""
    cases = db.session.scalars(sa.select(Case).where(Case.external_id.like("E%")).limit(4)).all()
    batch = Batch(name="第二批", rubric_version=world.batch.rubric_version, state=BatchState.FINALIZED)
    db.session.add(batch)
    for case in cases:
        item = BatchItem(batch=batch, case=case)
        db.session.add(item)
        db.session.add(
            Assessment(
                case=case,
                batch_item=item,
                department=case.lead_department,
                verdict=Verdict.UPHELD,
                total=60.0,
            )
        )
    db.session.commit()
    return batch.id


def _waiting_on_a_lock() -> int:
    with db.engine.connect() as watcher:
        return watcher.execute(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        ).scalar_one()


def test_a_reader_never_skips_an_assessment_while_two_publications_run(app_ctx, world, client) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "SQLite lets one writer in at a time: the order of commits is the order of numbers by itself"
        )
    _finalized(world)
    second_id = _second_batch(world)
    token = create_client("puller", ["assessments:read"], None)[1]
    db.session.commit()
    first_id = world.batch.id
    headers = {"Authorization": f"Bearer {token}"}

    publish_batch(db.session.get(Batch, first_id), None)  # holds the lock until this transaction commits
    second_done: list[int] = []

    def publish_second() -> None:
        with app_ctx.app_context():
            second_done.append(publish_batch(db.session.get(Batch, second_id), None))
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=publish_second)
    thread.start()
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.05)  # polls the server for the second publication's wait, as the audit test does
    assert _waiting_on_a_lock() == 1 and second_done == []
    with db.engine.connect() as reader:  # a reader in the meantime sees no number yet
        visible = sa.select(sa.func.count()).where(Assessment.published_seq.is_not(None))
        assert reader.execute(visible).scalar_one() == 0
    db.session.commit()  # the first publication becomes visible; the second goes on
    thread.join()
    seen, after, seqs = [], "0", []
    while True:
        page = client.get(f"/api/v1/assessments?after={after}&limit=2", headers=headers).get_json()
        if page["next"] is None:
            break
        seen += [(item["batch"]["id"], item["id"]) for item in page["items"]]
        after = page["next"]
        seqs.append(int(after))
    batches = [batch for batch, _id in seen]
    assert batches == sorted(
        batches, key=lambda b: b != first_id
    )  # every first-batch item before any second's
    assert len(seen) == len({i for _b, i in seen}) == len(world.batch.items) + second_done[0]
    assert seqs == sorted(seqs)
