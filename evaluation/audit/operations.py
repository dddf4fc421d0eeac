"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa

from evaluation.audit.models import AuditEvent
from evaluation.db import utcnow
from evaluation.extensions import db

GENESIS = "0" * 64
LAST_HASH = "audit_last_hash"  # the hash this session wrote last, until its transaction ends
# PostgreSQL advisory lock key for extending the chain ("audit" in ASCII): one writer at a time reads the head.
CHAIN_LOCK = 0x6175646974


def _digest(
    prev_hash: str,
    occurred: str,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
) -> str:
    body = json.dumps(
        [prev_hash, occurred, actor_id, action, object_type, object_id, data],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    action: str, obj_type: str, obj_id: Any, data: dict[str, Any] | None = None, actor_id: int | None = None
) -> AuditEvent:
    """Append one event to the chain. Flushes; the caller's request commits.

    The chain's head is read once per transaction and then carried in the session, so a loop that records an
    event per row (inviting a batch, settling its cases) does not query per row. Writers take turns: on
    PostgreSQL a transaction-scoped advisory lock is taken before the head is read and held until commit, so a
    second writer waits for the first instead of failing (SQLite's transactions already begin IMMEDIATE, one
    writer at a time). The unique prev_hash stays as the last guard: the chain never forks."""
    prev_hash = db.session.info.get(LAST_HASH)
    if prev_hash is None:
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK)))
        last = db.session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        prev_hash = last or GENESIS
    occurred = utcnow()
    data = data or {}
    event = AuditEvent(
        occurred_dt=occurred,
        actor_id=actor_id,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        data=data,
        prev_hash=prev_hash,
        hash=_digest(prev_hash, occurred.isoformat(), actor_id, action, obj_type, str(obj_id), data),
    )
    db.session.add(event)
    db.session.flush()
    db.session.info[LAST_HASH] = event.hash
    return event


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _forget_head(session: sa.orm.Session, transaction: sa.orm.SessionTransaction) -> None:
    # Any transaction's end, savepoints included: a rolled-back savepoint may have taken the head with it.
    session.info.pop(LAST_HASH, None)


def verify() -> tuple[bool, int, int | None]:
    """Walk the chain; return (intact, events checked, id of the first broken event)."""
    prev_hash = GENESIS
    count = 0
    for event in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        expected = _digest(
            prev_hash,
            event.occurred_dt.isoformat(),
            event.actor_id,
            event.action,
            event.object_type,
            event.object_id,
            event.data,
        )
        if event.prev_hash != prev_hash or event.hash != expected:
            return False, count, event.id
        prev_hash = event.hash
        count += 1
    return True, count, None
