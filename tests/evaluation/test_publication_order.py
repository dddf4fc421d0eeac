"""The pull API's order is the order in which publications become visible. Two batches published at the same
moment on PostgreSQL: the second waits on the first's lock until the first commits, so a reader following the
cursor meanwhile sees neither, then the first's numbers, then the second's, never skipping or repeating one. And a
reader paging through the API while two other processes publish batch after batch, on either engine, ends with
every assessment once, in publication order."""

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
from tests import factories
from tests.evaluation.test_results import _finalized


def _second_batch(world, cases: list[Case] | None = None, name: str = "第二批") -> int:
    """Another finalized batch beside the world's, its assessments settled, over the world's other cases."""
    if cases is None:
        cases = list(db.session.scalars(sa.select(Case).where(Case.external_id.like("E%")).limit(4)))
    batch = Batch(name=name, rubric_version=world.batch.rubric_version, state=BatchState.FINALIZED)
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


PUBLISHER = """
import sys
from evaluation import create_app
from evaluation.batches.models import Batch
from evaluation.extensions import db
from evaluation.publication.operations import publish_batch

app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    for batch_id in sys.argv[2:]:
        publish_batch(db.session.get(Batch, int(batch_id)), None)
        db.session.commit()
"""


def _read_to_the_end(client, headers: dict[str, str], after: str, seen: list[str]) -> str:
    """Follow the cursor from ``after`` until the end as it stands; returns the cursor to go on from."""
    while True:
        page = client.get(f"/api/v1/assessments?after={after}&limit=3", headers=headers).get_json()
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            return after
        after = page["next"]


def test_a_reader_paging_while_two_processes_publish_sees_every_assessment_once_in_order(
    app_ctx, world, client
) -> None:
    import subprocess
    import sys

    housing = world.batch.items[0].case.lead_department
    cases = factories.cases(36, housing, prefix="P")
    batch_ids = [_second_batch(world, cases[i : i + 3], f"并发批次{i // 3}") for i in range(0, 36, 3)]
    token = create_client("puller", ["assessments:read"], None)[1]
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    url = db.engine.url.render_as_string(hide_password=False)
    publishers = [
        subprocess.Popen([sys.executable, "-c", PUBLISHER, url, *map(str, ids)])
        for ids in (batch_ids[0::2], batch_ids[1::2])
    ]
    seen: list[str] = []
    after, partial = "0", 0
    while any(p.poll() is None for p in publishers):
        after = _read_to_the_end(client, headers, after, seen)
        partial += 0 < len(seen) < 36
    assert [p.wait(timeout=60) for p in publishers] == [0, 0]
    _read_to_the_end(client, headers, after, seen)
    in_order = db.session.scalars(
        sa.select(Assessment.public_id)
        .where(Assessment.published_seq.is_not(None))
        .order_by(Assessment.published_seq)
    ).all()
    assert seen == list(in_order) and len(set(seen)) == 36  # none skipped, none twice, in publication order
    assert partial > 0  # the reader did read while the publications were running
