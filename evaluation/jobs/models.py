"""Background jobs kept in the database, so any number of workers can share them without a broker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Model):
    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_due", "state", "run_at_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A job with a dedupe key runs at most once however many workers schedule it (e.g. one reminder per offset).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    state: Mapped[JobState] = mapped_column(enum_type(JobState), default=JobState.PENDING)
    run_at_dt: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    finished_dt: Mapped[datetime | None]
    # While running: a worker killed mid-job leaves it to be taken again once this passes.
    lease_until_dt: Mapped[datetime | None]
