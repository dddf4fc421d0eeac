"""Score sheets: one per seat; answers per criterion; every change kept as a revision."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model

if TYPE_CHECKING:
    from panels.models import Seat
    from rubrics.models import Criterion


class SheetState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVISED = "revised"


class ScoreSheet(Model):
    __tablename__ = "score_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(sa.ForeignKey("seats.id", ondelete="CASCADE"), unique=True)
    state: Mapped[SheetState] = mapped_column(enum_type(SheetState), default=SheetState.DRAFT, index=True)
    # Optimistic locking: two tabs saving the same sheet cannot silently overwrite each other.
    lock_version: Mapped[int] = mapped_column(default=1)
    total: Mapped[float | None]  # the member's weighted total, 0–100
    submitted_dt: Mapped[datetime | None]
    revised_dt: Mapped[datetime | None]
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    audit_hash: Mapped[str | None] = mapped_column(
        sa.String(64)
    )  # the event of its last submission (audit.records)

    seat: Mapped[Seat] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="sheet", cascade="all, delete-orphan")
    revisions: Mapped[list[SheetRevision]] = relationship(
        order_by="SheetRevision.number", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": lock_version}


class Answer(Model):
    __tablename__ = "answers"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    value_num: Mapped[float | None]  # ordinal level value, range value, boolean as 0/1
    value_text: Mapped[str | None] = mapped_column(sa.String(64))  # nominal option
    comment: Mapped[str | None] = mapped_column(sa.Text)

    sheet: Mapped[ScoreSheet] = relationship(back_populates="answers")
    criterion: Mapped[Criterion] = relationship()


class SheetRevision(Model):
    """A snapshot of a sheet at each submission or revision, with the reason given."""

    __tablename__ = "sheet_revisions"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    state: Mapped[SheetState] = mapped_column(enum_type(SheetState))
    answers: Mapped[dict[str, Any]]  # {criterion code: {"value": ..., "comment": ...}}
    total: Mapped[float | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)


def not_submitted() -> sa.ColumnElement[bool]:
    """A seat (in the enclosing query) whose member has not submitted a sheet: none yet, or a draft."""
    from panels.models import Seat

    return ~sa.exists(
        sa.select(ScoreSheet.id).where(ScoreSheet.seat_id == Seat.id, ScoreSheet.state != SheetState.DRAFT)
    )


def late_seats(batch_id: int) -> sa.Select[Seat]:
    """The accepted seats of a batch still waiting for their sheet: whom reminders, the monitor and the
    closing check speak of."""
    from panels.models import Seat, SeatState, batch_seats

    return batch_seats(batch_id).where(Seat.state == SeatState.ACCEPTED, not_submitted())
