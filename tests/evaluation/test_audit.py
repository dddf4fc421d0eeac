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
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == tampered.id)
                       .values(data={"total": 95}))
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


def test_a_loop_of_events_reads_the_head_once_and_a_rollback_forgets_it(app_ctx) -> None:
    from tests.evaluation.test_scoring import count_queries

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
