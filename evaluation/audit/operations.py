"""Writing and verifying the hash-chained audit log.

Each event's hash is an HMAC-SHA256, keyed with ``EVALUATION_AUDIT_KEY``, of the previous hash and the event's
content: someone with the database but not the key cannot re-chain an edited history. A checkpoint (the count
of events and the head's hash, signed with the same key) written by ``audit checkpoint`` and kept outside the
database lets ``audit verify`` notice what the chain alone cannot: a deleted tail, or a wiped table."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from evaluation.audit.models import AuditEvent
from evaluation.db import utcnow
from evaluation.extensions import db

GENESIS = "0" * 64
LAST_HASH = "audit_last_hash"  # the hash this session wrote last, until its transaction ends
# PostgreSQL advisory lock key for extending the chain ("audit" in ASCII): one writer at a time reads the head.
CHAIN_LOCK = 0x6175646974


DEVELOPMENT_AUDIT_KEY = "development-only-audit-key"  # noqa: S105 - refused outside debug/testing


def _key() -> bytes:
    return str(current_app.config.get("EVALUATION_AUDIT_KEY") or DEVELOPMENT_AUDIT_KEY).encode()


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
    return hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest()


def record(
    action: str,
    obj_type: str,
    obj_id: Any,
    data: dict[str, Any] | None = None,
    actor_id: int | None = None,
    *,
    flush: bool = True,
) -> AuditEvent:
    """Append one event to the chain. Flushes (unless ``flush`` is False: a loop recording an event per row
    flushes once at its end, and the events are inserted in the order they were recorded); the caller's
    request commits.

    The chain's head is read once per transaction and then carried in the session, so a loop that records an
    event per row (inviting a batch, settling its cases) does not query per row. Writers take turns: on
    PostgreSQL a transaction-scoped advisory lock is taken before the head is read and held until commit, so a
    second writer waits for the first instead of failing (SQLite's transactions already begin IMMEDIATE, one
    writer at a time). The unique prev_hash stays as the last guard: the chain never forks.

    Without ``actor_id``, the actor is the user logged in to the request, if any (jobs and commands have none).
    """
    if actor_id is None:
        actor_id = _current_actor()
    prev_hash = db.session.info.get(LAST_HASH)
    if prev_hash is None:
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK)))
        last = db.session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        prev_hash = last or GENESIS
    occurred = utcnow()
    # As the JSON column will give it back (enums as their values, keys as strings), so that what was hashed is
    # what a later verify reads.
    data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
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
    if flush:
        db.session.flush()
    db.session.info[LAST_HASH] = event.hash
    return event


def _current_actor() -> int | None:
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _forget_head(session: sa.orm.Session, transaction: sa.orm.SessionTransaction) -> None:
    # Any transaction's end, savepoints included: a rolled-back savepoint may have taken the head with it.
    session.info.pop(LAST_HASH, None)


def verify() -> tuple[bool, int, int | None]:
    """Walk the chain; return (intact, events checked, id of the first broken event)."""
    intact, count, broken, _heads = _walk()
    return intact, count, broken


def _walk(wanted: set[int] | None = None) -> tuple[bool, int, int | None, dict[int, str]]:
    """The chain walked from the start; also the hash after the n-th event for each n in ``wanted``."""
    prev_hash = GENESIS
    count = 0
    heads: dict[int, str] = {}
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
        if event.prev_hash != prev_hash or not hmac.compare_digest(event.hash, expected):
            return False, count, event.id, heads
        prev_hash = event.hash
        count += 1
        if wanted and count in wanted:
            heads[count] = event.hash
    return True, count, None, heads


# --- checkpoints: the chain's length and head, signed, kept outside the database --------------------------------


@dataclass(frozen=True)
class Checkpoint:
    events: int
    head: str
    at: str  # ISO 8601, when it was taken

    def signature(self) -> str:
        body = f"audit-checkpoint:{self.events}:{self.head}:{self.at}"
        return hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {"events": self.events, "head": self.head, "at": self.at, "signature": self.signature()}


class CheckpointError(ValueError):
    """A checkpoint file that is not one of ours (malformed, or its signature does not match the key)."""


def checkpoint(now: datetime | None = None) -> Checkpoint:
    """The chain as it stands, if it is intact (a broken chain is not worth anchoring)."""
    intact, count, broken, _ = _walk()
    if not intact:
        raise CheckpointError(f"the chain is broken at event {broken}; no checkpoint is taken")
    head = db.session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    return Checkpoint(count, head, (now or utcnow()).isoformat())


def checkpoint_here(now: datetime | None = None) -> Checkpoint:
    """The chain as this transaction leaves it so far, signed, without walking it: for a writer that holds the
    chain's lock (it has recorded an event), to hand the anchor to someone outside, as a publication does."""
    head = db.session.info.get(LAST_HASH)
    if head is None:
        raise CheckpointError("record an event first: only a writer holding the chain knows its head")
    db.session.flush()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0
    return Checkpoint(count, head, (now or utcnow()).isoformat())


def read_checkpoint(raw: Any) -> Checkpoint:
    """A checkpoint from its JSON, its signature checked."""
    try:
        found = Checkpoint(int(raw["events"]), str(raw["head"]), str(raw["at"]))
        signature = str(raw["signature"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError("not an audit checkpoint (it needs events, head, at and signature)") from exc
    if not hmac.compare_digest(found.signature(), signature):
        raise CheckpointError("the checkpoint's signature does not match EVALUATION_AUDIT_KEY")
    return found


@dataclass
class Verdict:
    intact: bool
    events: int
    first_broken_id: int | None
    problem: str | None  # in words, for the operator
    records: int = 0  # sheets, assessments and draws checked against their events
    record_problems: list[Any] = field(default_factory=list)  # audit.records.RecordProblem


def verify_against(checkpoints: list[Checkpoint]) -> Verdict:
    """The chain walked, and every checkpoint found in it: as many events at least, the same head at that
    length. A deleted tail, a wiped table or a history re-chained since fails here even when the chain that is
    left is consistent."""
    intact, count, broken, heads = _walk({c.events for c in checkpoints})
    if not intact:
        return Verdict(False, count, broken, f"event {broken} does not follow from the one before")
    for point in sorted(checkpoints, key=lambda c: c.events):
        if count < point.events:
            return Verdict(
                False,
                count,
                None,
                f"the checkpoint of {point.at} counted {point.events} events; {count} remain (deleted events)",
            )
        if point.events and heads.get(point.events) != point.head:
            return Verdict(
                False,
                count,
                None,
                f"the chain differs from the checkpoint of {point.at} at its {point.events}th event "
                "(history rewritten)",
            )
    from evaluation.audit.records import verify_records

    records, problems = verify_records()
    if problems:
        return Verdict(False, count, None, problems[0].problem, records, problems)
    return Verdict(True, count, None, None, records)
