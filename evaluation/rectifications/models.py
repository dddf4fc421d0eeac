"""Rectification reports (整改): what an evaluated department owes for an upheld case, by a due date, and the
organizer's acceptance or return of it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.crypto import EncryptedText
from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model

if TYPE_CHECKING:
    from evaluation.assessments.models import Assessment
    from evaluation.cases.models import Case
    from evaluation.org.models import Department


class RectificationState(StrEnum):
    DUE = "due"  # owed, not yet reported
    FILED = "filed"  # reported, waiting for the organizer
    ACCEPTED = "accepted"
    RETURNED = "returned"  # to be reported again, with the organizer's note
    CANCELLED = "cancelled"  # a re-review found the case not upheld: nothing is owed


class Rectification(Model):
    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), unique=True)  # one per case
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    due_date: Mapped[date]
    state: Mapped[RectificationState] = mapped_column(
        enum_type(RectificationState), default=RectificationState.DUE, index=True
    )
    report: Mapped[str | None] = mapped_column("report_enc", EncryptedText)  # names people: encrypted at rest
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    filed_dt: Mapped[datetime | None]
    first_filed_dt: Mapped[datetime | None]  # on time or not is judged by the first report
    review_note: Mapped[str | None] = mapped_column("review_note_enc", EncryptedText)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
    assessment: Mapped[Assessment] = relationship()
    department: Mapped[Department] = relationship()
