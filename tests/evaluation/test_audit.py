from __future__ import annotations

import sqlalchemy as sa

from evaluation.audit.models import AuditEvent
from evaluation.audit.operations import GENESIS, record, verify
from evaluation.extensions import db


def test_the_chain_links_each_event_to_the_previous(app_ctx) -> None:
    first = record("draw.made", "draw", 1, {"seed_hash": "ab" * 32})
    second = record("batch.published", "batch", 7, {"assessments": 40})
    db.session.commit()
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert verify() == (True, 2, None)


def test_tampering_is_detected(app_ctx, runner) -> None:
    record("score.submitted", "sheet", 1, {"total": 80})
    tampered = record("score.submitted", "sheet", 2, {"total": 55})
    record("verdict.settled", "assessment", 3, {"verdict": "upheld"})
    db.session.commit()
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == tampered.id).values(data={"total": 95}))
    db.session.commit()
    assert verify() == (False, 1, tampered.id)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and f"broken at event {tampered.id}" in result.output


def test_audit_verify_json(runner) -> None:
    record("batch.published", "batch", 1)
    db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--json"])
    assert result.exit_code == 0
    assert '"intact": true' in result.output and '"events": 1' in result.output


def test_a_loop_of_events_reads_the_head_once_and_a_rollback_forgets_it(app_ctx, count_queries) -> None:
    record("seed", "x", 0)
    db.session.commit()
    with count_queries() as queries:
        for n in range(20):
            record("seat.invited", "seat", n)
    heads = queries["n"] - 20 * 1  # one INSERT per event; anything beyond is reading the head
    assert heads <= 2  # the BEGIN and one SELECT of the head
    db.session.rollback()
    with db.session.begin_nested() as savepoint:
        record("lost", "x", 1)
        savepoint.rollback()
    record("kept", "x", 2)
    db.session.commit()
    assert verify() == (True, 2, None)


def test_concurrent_writers_take_turns_and_the_chain_stays_whole(app_ctx) -> None:
    """Writers that read the same head would fork the chain; they must wait for each other instead of failing."""
    import threading

    record("seed", "x", 0)
    db.session.commit()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        with app_ctx.app_context():
            try:
                start.wait()
                for round_ in range(5):
                    record("seat.invited", "seat", f"{n}-{round_}")
                    db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert verify() == (True, 21, None)


def test_a_second_writer_waits_for_the_first_to_commit(app_ctx) -> None:
    """Deterministic on PostgreSQL: the second writer is seen blocked on the chain's lock until the first commits."""
    import threading
    import time

    import pytest

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE (see evaluation/db.py)")
    record("first", "x", 1)  # holds the chain until this transaction ends
    done: list[str] = []

    def second() -> None:
        with app_ctx.app_context():
            try:
                done.append(record("second", "x", 2).prev_hash)
                db.session.commit()
            finally:
                db.session.remove()

    thread = threading.Thread(target=second)
    thread.start()
    waiting = 0
    deadline = time.monotonic() + 30
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline:  # poll the server until the thread waits on the advisory lock
            waiting = watcher.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).scalar_one()
            watcher.rollback()
            if waiting:
                break
    assert waiting == 1 and done == []
    first_hash = db.session.info["audit_last_hash"]
    db.session.commit()
    thread.join()
    assert done == [first_hash]
    assert verify() == (True, 2, None)


# --- a chain that holds against someone with the database ------------------------------------------------------


def _events(n: int) -> list[AuditEvent]:
    made = [record("score.submitted", "sheet", i, {"total": 60 + i}) for i in range(n)]
    db.session.commit()
    return made


def _rechain(digest) -> None:
    """What a forger with database access does after editing: recompute every link with ``digest``."""
    prev = GENESIS
    for event in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)):
        body = [
            prev,
            event.occurred_dt.isoformat(),
            event.actor_id,
            event.action,
            event.object_type,
            event.object_id,
            event.data,
        ]
        event.prev_hash, event.hash = prev, digest(body)
        prev = event.hash
        db.session.flush()
    db.session.commit()


def _checkpoint_file(runner, tmp_path):
    path = tmp_path / "audit-checkpoints.jsonl"
    result = runner.invoke(args=["audit", "checkpoint", "--out", str(path)])
    assert result.exit_code == 0 and '"signature"' in result.output
    return path


def test_a_checkpoint_catches_a_deleted_tail_and_a_wiped_table(app_ctx, runner, tmp_path) -> None:
    events = _events(5)
    path = _checkpoint_file(runner, tmp_path)
    assert runner.invoke(args=["audit", "verify", "--checkpoint", str(path)]).exit_code == 0
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id >= events[3].id))
    db.session.commit()
    assert verify()[0] is True  # what is left is a consistent chain: only the checkpoint knows
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(path)])
    assert result.exit_code != 0 and "5 events; 3 remain" in result.output
    db.session.execute(sa.delete(AuditEvent))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(path), "--json"])
    assert result.exit_code != 0 and '"intact": false' in result.output


def test_an_edit_re_chained_without_the_key_is_named(app_ctx, runner) -> None:
    import hashlib
    import json

    events = _events(4)
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == events[1].id).values(data={"total": 99}))
    db.session.commit()

    def plain(body) -> str:
        return hashlib.sha256(
            json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()
        ).hexdigest()

    _rechain(plain)
    assert verify() == (False, 0, events[0].id)  # the first link is already not ours


def test_a_history_re_chained_with_the_key_differs_from_the_checkpoint(app_ctx, runner, tmp_path) -> None:
    from evaluation.audit import operations

    events = _events(4)
    path = _checkpoint_file(runner, tmp_path)
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == events[1].id).values(data={"total": 99}))
    db.session.commit()
    _rechain(lambda body: operations._digest(*body))  # even with the key (an insider)
    assert verify()[0] is True
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(path)])
    assert result.exit_code != 0 and "history rewritten" in result.output


def test_a_checkpoint_not_signed_with_the_key_is_refused(app_ctx, runner, tmp_path) -> None:
    import json

    _events(2)
    path = _checkpoint_file(runner, tmp_path)
    forged = json.loads(path.read_text())
    forged["events"] = 1
    path.write_text(json.dumps(forged) + "\n")
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(path)])
    assert result.exit_code != 0 and "line 1" in result.output and "signature" in result.output
