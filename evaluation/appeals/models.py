"""Appeals (申请复核): the evaluated department asks for a re-review of a published assessment."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.crypto import EncryptedText
from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model

if TYPE_CHECKING:
    from evaluation.accounts.models import User
    from evaluation.assessments.models import Assessment
    from evaluation.cases.models import Case
    from evaluation.org.models import Department


class AppealState(StrEnum):
    FILED = "filed"  # waiting for the organizer
    ACCEPTED = "accepted"  # the case waits for a re-review in a later batch
    REJECTED = "rejected"  # the assessment stands
    DECIDED = "decided"  # re-reviewed: the next version is published


class Appeal(Model):
    """One appeal per case: its grounds, the record of the department's renewed contact with the citizen, and the
    organizer's decision. The texts name the citizen often, so they are encrypted at rest."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), unique=True)  # a case is appealed once
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column("reason_enc", EncryptedText)  # 复核理由
    recontact_record: Mapped[str] = mapped_column("recontact_record_enc", EncryptedText)  # 与诉求人沟通情况
    state: Mapped[AppealState] = mapped_column(enum_type(AppealState), default=AppealState.FILED, index=True)
    decision_note: Mapped[str | None] = mapped_column("decision_note_enc", EncryptedText)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    filed_dt: Mapped[datetime] = mapped_column(default=utcnow)
    decided_dt: Mapped[datetime | None]
    # The re-review's assessment (the next version), once published.
    result_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"))

    case: Mapped[Case] = relationship()
    assessment: Mapped[Assessment] = relationship(foreign_keys=[assessment_id])
    result: Mapped[Assessment | None] = relationship(foreign_keys=[result_id])
    department: Mapped[Department] = relationship()
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
