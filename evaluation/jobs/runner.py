"""A small job runner in the database: jobs are scheduled with a time and, optionally, a dedupe key (a job with
a given key exists once, however many times it is scheduled); any number of workers run them.

A worker claims a due job with a conditional UPDATE (pending -> running): only one worker's update matches,
so no job runs twice, on SQLite as on PostgreSQL (where the candidates are also selected FOR UPDATE SKIP LOCKED,
so workers do not queue behind each other)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from evaluation import logfilter
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.jobs.models import Job, JobState

log = logfilter.logger(__name__)
Handler = Callable[[dict[str, Any], datetime], None]
HANDLERS: dict[str, Handler] = {}
MAX_ATTEMPTS = 5
LEASE = timedelta(
    minutes=10
)  # longer than any job runs; a worker that died leaves its job to others after it


def register(kind: str, function: Handler) -> None:
    """Name the function that runs jobs of ``kind`` (the application factory registers every one)."""
    HANDLERS[kind] = function


def schedule(
    kind: str, run_at: datetime, payload: dict[str, Any], dedupe_key: str | None = None
) -> Job | None:
    """Add a job; with a dedupe key already scheduled, nothing is added (returns None). Flushes."""
    if dedupe_key is not None and db.session.scalar(sa.select(Job.id).where(Job.dedupe_key == dedupe_key)):
        return None
    job = Job(kind=kind, run_at_dt=run_at, payload=payload, dedupe_key=dedupe_key)
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:  # another process scheduled the same key a moment ago
        return None
    return job


def _takeable(now: datetime) -> sa.ColumnElement[bool]:
    """Pending, or running under a lease that has passed (its worker died)."""
    return sa.or_(
        Job.state == JobState.PENDING,
        sa.and_(Job.state == JobState.RUNNING, Job.lease_until_dt.is_not(None), Job.lease_until_dt <= now),
    )


def _claim(job_id: int, now: datetime) -> bool:
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, _takeable(now))
        .values(state=JobState.RUNNING, attempts=Job.attempts + 1, lease_until_dt=now + LEASE)
    )
    claimed = cast("sa.CursorResult[Any]", result).rowcount  # an UPDATE's result has a row count
    db.session.commit()
    return claimed == 1


def run_due(now: datetime | None = None, limit: int = 100) -> int:
    """Run the jobs due at ``now`` (default: the clock); returns how many this worker ran."""
    now = now or utcnow()
    query = (
        sa.select(Job.id)
        .where(_takeable(utcnow()), Job.run_at_dt <= now)
        .order_by(Job.run_at_dt, Job.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(db.session.scalars(query))
    db.session.commit()
    ran = 0
    for job_id in candidates:
        if not _claim(job_id, utcnow()):
            continue  # another worker has it
        job = db.session.get_one(Job, job_id)
        try:
            HANDLERS[job.kind](job.payload, now)
        except Exception as exc:
            db.session.rollback()
            job = db.session.get_one(Job, job_id)
            job.last_error = f"{type(exc).__name__}: {exc}"
            retry = job.attempts < MAX_ATTEMPTS
            job.state, job.lease_until_dt = (JobState.PENDING if retry else JobState.FAILED), None
            job.run_at_dt = now + timedelta(minutes=5 * 2**job.attempts) if retry else job.run_at_dt
            log.warning("job %s (%s) failed: %s", job_id, job.kind, job.last_error)
        else:
            job.state, job.finished_dt, job.lease_until_dt = JobState.DONE, utcnow(), None
            ran += 1
        db.session.commit()
    return ran
