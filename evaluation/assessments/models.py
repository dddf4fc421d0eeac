"""Assessments: the settled result of a case's review. Published ones are immutable; corrections are versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model
from evaluation.text import N_, UserError

if TYPE_CHECKING:
    from evaluation.batches.models import BatchItem
    from evaluation.cases.models import Case
    from evaluation.org.models import Department


class Verdict(StrEnum):
    UPHELD = "upheld"  # 成立
    PARTLY_UPHELD = "partly_upheld"  # 部分成立
    NOT_UPHELD = "not_upheld"  # 不成立


class Assessment(Model):
    __tablename__ = "assessments"
    __table_args__ = (sa.UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    batch_item_id: Mapped[int] = mapped_column(sa.ForeignKey("batch_items.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)  # evaluated unit
    verdict: Mapped[Verdict] = mapped_column(enum_type(Verdict))
    total: Mapped[float]  # 0–100 by the rubric version's aggregation rule
    adjusted_total: Mapped[float | None]  # severity-adjusted
    criteria: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per-criterion mean, median, sd, n
    votes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # verdict-question tallies
    dissent: Mapped[list[Any]] = mapped_column(default=list)  # [{"verdict": ..., "reason": ...}] anonymised
    agreement: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tie_break_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    finalized_dt: Mapped[datetime] = mapped_column(default=utcnow)
    published_dt: Mapped[datetime | None] = mapped_column(index=True)
    audit_hash: Mapped[str | None] = mapped_column(sa.String(64))  # the event that settled it (audit.records)
    # Set once, when published (evaluation.publication): the order of publication (the pull API's cursor), the
    # object as the main system receives it, and the SHA-256 of that object. Immutable from then on.
    published_seq: Mapped[int | None] = mapped_column(unique=True)
    publication: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))

    case: Mapped[Case] = relationship()
    batch_item: Mapped[BatchItem] = relationship()
    department: Mapped[Department] = relationship()
    supersedes: Mapped[Assessment | None] = relationship(remote_side=[id])


class ImmutableAssessment(UserError):
    status = 409


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _published_is_immutable(session: sa.orm.Session, _context: Any, _instances: Any) -> None:
    """A published assessment never changes: what the main system received stays what we hold."""
    for obj in session.dirty:
        if not isinstance(obj, Assessment) or not session.is_modified(obj):
            continue
        before = sa.inspect(obj).attrs.published_dt.history.unchanged
        if before and before[0] is not None:  # it was published before this flush
            raise ImmutableAssessment(
                N_("A published assessment cannot change; publish a correction instead.")
            )
