"""Unsatisfied cases pushed in by the main system, their handling timeline, and verification calls."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload

from evaluation.crypto import EncryptedText
from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model, db

if TYPE_CHECKING:
    from evaluation.accounts.models import User
    from evaluation.org.models import Department


class Channel(StrEnum):
    HOTLINE = "hotline"  # 12345
    MAYOR_MAILBOX = "mayor_mailbox"  # 市长信箱
    SECRETARY_MAILBOX = "secretary_mailbox"  # 书记信箱
    WEB = "web"
    APP = "app"
    OTHER = "other"


class CaseType(StrEnum):
    CONSULTATION = "consultation"  # 咨询
    HELP = "help"  # 求助
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    SUGGESTION = "suggestion"  # 建议
    OTHER = "other"


class CaseStatus(StrEnum):
    RECEIVED = "received"
    ELIGIBLE = "eligible"
    EXCLUDED = "excluded"
    QUEUED = "queued"
    IN_REVIEW = "in_review"
    ASSESSED = "assessed"
    PUBLISHED = "published"
    APPEALED = "appealed"
    CLOSED = "closed"


class CallbackRating(StrEnum):
    UNSATISFIED = "unsatisfied"  # 不满意
    VERY_UNSATISFIED = "very_unsatisfied"  # 非常不满意


class ExclusionReason(StrEnum):
    DUPLICATE = "duplicate"
    OUT_OF_SCOPE = "out_of_scope"
    WITHDRAWN = "withdrawn"
    RESOLVED_ON_REHANDLING = "resolved_on_rehandling"


class StepAction(StrEnum):
    ACCEPT = "accept"
    DISPATCH = "dispatch"
    SIGN = "sign"
    RETURN = "return"
    REASSIGN = "reassign"
    EXTEND = "extend"
    REPLY = "reply"
    AUDIT = "audit"
    CALLBACK = "callback"
    REHANDLE = "rehandle"


case_assisting_departments = sa.Table(
    "case_assisting_departments",
    db.metadata,
    sa.Column("case_id", sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("department_id", sa.ForeignKey("departments.id"), primary_key=True),
)


class Case(Model):
    __tablename__ = "cases"
    __table_args__ = (sa.UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(sa.String(128))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel), default=Channel.OTHER)
    case_type: Mapped[CaseType] = mapped_column(enum_type(CaseType), index=True)
    category: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    region_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    received_dt: Mapped[datetime] = mapped_column(index=True)
    dispatched_dt: Mapped[datetime | None]
    due_dt: Mapped[datetime | None]
    replied_dt: Mapped[datetime | None]
    lead_department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    # The citizen's words and the department's carry names and numbers: encrypted at rest like the identity
    # below. The masked copies (kept in step by the mapper events at the end of this module) serve search.
    title: Mapped[str | None] = mapped_column("title_enc", EncryptedText)
    request_text: Mapped[str] = mapped_column("request_text_enc", EncryptedText)
    reply_text: Mapped[str | None] = mapped_column("reply_text_enc", EncryptedText)
    title_masked: Mapped[str | None] = mapped_column(sa.String(300))
    request_masked: Mapped[str | None] = mapped_column(sa.Text)
    callback_dt: Mapped[datetime | None]
    callback_rating: Mapped[CallbackRating] = mapped_column(enum_type(CallbackRating))
    callback_reason: Mapped[str | None] = mapped_column("callback_reason_enc", EncryptedText)
    # The citizen's identity: encrypted at rest, never shown to panel members (DESIGN §9).
    citizen_name: Mapped[str | None] = mapped_column("citizen_name_enc", EncryptedText)
    citizen_phone: Mapped[str | None] = mapped_column("citizen_phone_enc", EncryptedText)
    citizen_id_number: Mapped[str | None] = mapped_column("citizen_id_number_enc", EncryptedText)
    citizen_address: Mapped[str | None] = mapped_column("citizen_address_enc", EncryptedText)
    confidential: Mapped[bool] = mapped_column(default=False)  # 举报: hidden from the evaluated department
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus), default=CaseStatus.RECEIVED, index=True)
    exclusion_reason: Mapped[ExclusionReason | None] = mapped_column(enum_type(ExclusionReason))
    exclusion_note: Mapped[str | None] = mapped_column("exclusion_note_enc", EncryptedText)
    # SHA-256 of the canonical ingested payload: an identical push is recognised without decrypting anything.
    payload_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lead_department: Mapped[Department] = relationship()
    assisting_departments: Mapped[list[Department]] = relationship(secondary=case_assisting_departments)
    steps: Mapped[list[HandlingStep]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="HandlingStep.position"
    )
    attachments: Mapped[list[CaseAttachment]] = relationship(cascade="all, delete-orphan")
    verification_calls: Mapped[list[VerificationCall]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="VerificationCall.called_dt"
    )

    @classmethod
    def for_page(cls, case_id: int) -> sa.Select[Case]:
        """One case with everything its page shows (departments, steps, attachments, calls), in a fixed number
        of queries however long its history."""
        return (
            sa.select(cls)
            .where(cls.id == case_id)
            .options(
                joinedload(cls.lead_department),
                selectinload(cls.assisting_departments),
                selectinload(cls.steps).joinedload(HandlingStep.department),
                selectinload(cls.attachments),
                selectinload(cls.verification_calls),
            )
        )

    def __repr__(self) -> str:
        return f"<Case {self.source}/{self.external_id}>"


class HandlingStep(Model):
    __tablename__ = "handling_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    action: Mapped[StepAction] = mapped_column(enum_type(StepAction))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    at_dt: Mapped[datetime]
    note: Mapped[str | None] = mapped_column("note_enc", EncryptedText)

    case: Mapped[Case] = relationship(back_populates="steps")
    department: Mapped[Department | None] = relationship()


class CaseAttachment(Model):
    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # A file name or an address can carry the citizen's name: encrypted at rest too.
    name: Mapped[str] = mapped_column("name_enc", EncryptedText)
    url: Mapped[str] = mapped_column("url_enc", EncryptedText)


class VerificationCall(Model):
    """回访核实: the organizer's call to the citizen before the panel judges."""

    __tablename__ = "verification_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    caller_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    called_dt: Mapped[datetime]
    reached: Mapped[bool]
    account: Mapped[str | None] = mapped_column("account_enc", EncryptedText)  # the citizen's account now
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="verification_calls")
    caller: Mapped[User] = relationship()


class CaseView(Model):
    """Who read a case's content, and when (DESIGN §9: views of case content are logged)."""

    __tablename__ = "case_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    viewed_dt: Mapped[datetime] = mapped_column(default=utcnow)
    context: Mapped[str] = mapped_column(sa.String(32))


@sa.event.listens_for(Case, "before_insert")
@sa.event.listens_for(Case, "before_update")
def _keep_masked_copies(_mapper: Any, _connection: Any, case: Case) -> None:
    """The searchable copies of the title and the request, masked as a panel member would read them."""
    from evaluation.privacy import mask_text

    case.title_masked = mask_text(case.title, name=case.citizen_name)[:300] or None
    case.request_masked = mask_text(case.request_text, name=case.citizen_name)
