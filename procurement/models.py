"""Procurement of third-party evaluation agencies: projects, bids, contracts, deliverables, payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.crypto import EncryptedBytes
from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model

if TYPE_CHECKING:
    from evaluation.accounts.models import User
    from panels.models import Member
    from rubrics.models import RubricVersion

Money = sa.Numeric(14, 2)


class AgencyStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # 暂停: may not bid until the period ends
    BLACKLISTED = "blacklisted"  # 列入黑名单 (不良行为记录名单)


class Agency(Model):
    """第三方评议机构."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)  # 统一社会信用代码
    contact_name: Mapped[str | None] = mapped_column(sa.String(100))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    qualifications: Mapped[str | None] = mapped_column(sa.Text)  # 资质: registrations, certifications, staff
    status: Mapped[AgencyStatus] = mapped_column(enum_type(AgencyStatus), default=AgencyStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    status_until: Mapped[date | None]  # the end of a suspension or of a listing; None: until lifted
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)


class ProcurementMethod(StrEnum):
    """The methods of the Government Procurement Law (政府采购法 第二十六条) and its rules for services."""

    OPEN_TENDER = "open_tender"  # 公开招标
    INVITED_TENDER = "invited_tender"  # 邀请招标
    COMPETITIVE_CONSULTATION = "competitive_consultation"  # 竞争性磋商
    COMPETITIVE_NEGOTIATION = "competitive_negotiation"  # 竞争性谈判
    SINGLE_SOURCE = "single_source"  # 单一来源
    INQUIRY = "inquiry"  # 询价


class ProjectState(StrEnum):
    PLANNING = "planning"
    ANNOUNCED = "announced"
    BIDDING_CLOSED = "bidding_closed"
    EVALUATING = "evaluating"
    AWARDED = "awarded"
    CONTRACTED = "contracted"
    CLOSED = "closed"
    FAILED = "failed"


class PurchaseProject(Model):
    """政府购买服务 project, evaluated by 综合评分法 with an expert panel."""

    __tablename__ = "purchase_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    budget: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[ProcurementMethod] = mapped_column(
        enum_type(ProcurementMethod), default=ProcurementMethod.OPEN_TENDER
    )
    price_weight: Mapped[float] = mapped_column(default=30.0)  # points of the 100, the price's share
    rubric_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rubric_versions.id"))
    expert_count: Mapped[int] = mapped_column(default=5)  # 评标委员会: at least 5 and odd
    state: Mapped[ProjectState] = mapped_column(enum_type(ProjectState), default=ProjectState.PLANNING)
    announce_date: Mapped[date | None]  # the planned day of the announcement (采购公告)
    announced_dt: Mapped[datetime | None]
    bid_deadline_dt: Mapped[datetime | None]  # 投标截止时间, also the opening (开标)
    evaluation_date: Mapped[date | None]  # the planned day of the evaluation (评标)
    awarded_bid_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bids.id", use_alter=True, name="fk_purchase_projects_awarded_bid", ondelete="SET NULL")
    )
    awarded_dt: Mapped[datetime | None]
    failed_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    rubric_version: Mapped[RubricVersion | None] = relationship()
    bids: Mapped[list[Bid]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        foreign_keys="Bid.project_id",
        order_by="Bid.id",
    )
    awarded_bid: Mapped[Bid | None] = relationship(foreign_keys=[awarded_bid_id], post_update=True)


class BidState(StrEnum):
    SUBMITTED = "submitted"
    VALID = "valid"
    INVALID = "invalid"
    WITHDRAWN = "withdrawn"


class Bid(Model):
    __tablename__ = "bids"
    __table_args__ = (sa.UniqueConstraint("project_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_projects.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    state: Mapped[BidState] = mapped_column(enum_type(BidState), default=BidState.SUBMITTED)
    invalid_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The technical proposal (技术响应文件), encrypted at rest like every document that may name people.
    proposal_name: Mapped[str | None] = mapped_column(sa.String(200))
    proposal: Mapped[bytes | None] = mapped_column("proposal_enc", EncryptedBytes, deferred=True)
    proposal_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    low_finding: Mapped[str | None] = mapped_column(sa.Text)  # the panel's finding on an abnormally low price
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    technical_score: Mapped[float | None]
    price_score: Mapped[float | None]
    total_score: Mapped[float | None]
    rank: Mapped[int | None]
    submitted_dt: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[PurchaseProject] = relationship(back_populates="bids", foreign_keys=[project_id])
    agency: Mapped[Agency] = relationship()


class ContractState(StrEnum):
    DRAFT = "draft"  # signed on paper, not started until the personal-information clauses are confirmed
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class Contract(Model):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(64), unique=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase_projects.id"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    start_date: Mapped[date]
    end_date: Mapped[date]
    unit_price: Mapped[Decimal | None] = mapped_column(Money)  # per case reviewed
    case_quota: Mapped[int | None]  # cases the agency reviews under the contract
    # The clauses PIPL art. 21 asks of an entrusted processor of personal information.
    pi_purpose: Mapped[str | None] = mapped_column(sa.Text)
    pi_period: Mapped[str | None] = mapped_column(sa.Text)
    pi_safeguards: Mapped[str | None] = mapped_column(sa.Text)
    pi_return_date: Mapped[date | None]  # return or deletion of the personal information by this day
    pi_confirmed_dt: Mapped[datetime | None]
    pi_confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    state: Mapped[ContractState] = mapped_column(enum_type(ContractState), default=ContractState.DRAFT)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[PurchaseProject | None] = relationship()
    agency: Mapped[Agency] = relationship()
    deliverables: Mapped[list[Deliverable]] = relationship(
        cascade="all, delete-orphan", order_by="Deliverable.due_date"
    )
    payments: Mapped[list[Payment]] = relationship(cascade="all, delete-orphan", order_by="Payment.id")

    @classmethod
    def visible_to(cls, user: User) -> sa.ColumnElement[bool]:
        """Which contracts ``user`` may see: organizers every one, an agency user only its own agency's."""
        from evaluation.accounts.models import Role

        if user.has_role(Role.ORGANIZER):
            return sa.true()
        if user.has_role(Role.AGENCY) and user.agency_id is not None:
            return cls.agency_id == user.agency_id
        return sa.false()


class Deliverable(Model):
    """A milestone (履约节点) of a contract: what is delivered by when, and what is paid on its acceptance."""

    __tablename__ = "deliverables"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    due_date: Mapped[date]
    payment_amount: Mapped[Decimal | None] = mapped_column(Money)
    delivered_dt: Mapped[datetime | None]
    accepted_dt: Mapped[datetime | None]


class PaymentState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    PAID = "paid"


class Payment(Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    deliverable_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deliverables.id", ondelete="SET NULL"))
    amount: Mapped[Decimal] = mapped_column(Money)
    state: Mapped[PaymentState] = mapped_column(enum_type(PaymentState), default=PaymentState.REQUESTED)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_dt: Mapped[datetime | None]
    paid_date: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(sa.String(300))

    deliverable: Mapped[Deliverable | None] = relationship()


class HonorariumState(StrEnum):
    COMPUTED = "computed"
    APPROVED = "approved"
    PAID = "paid"


class Honorarium(Model):
    """劳务费 owed to a panel member for a batch, or to an expert for a project's evaluation session."""

    __tablename__ = "honoraria"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "batch_id"),
        sa.UniqueConstraint("member_id", "project_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase_projects.id"), index=True)
    cases_scored: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)  # the recorded time the amount was computed from
    work_date: Mapped[date | None]  # the day of a batch's recorded time (a rest day pays more)
    amount: Mapped[Decimal] = mapped_column(Money)
    state: Mapped[HonorariumState] = mapped_column(
        enum_type(HonorariumState), default=HonorariumState.COMPUTED
    )
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_dt: Mapped[datetime | None]
    paid_dt: Mapped[datetime | None]

    member: Mapped[Member] = relationship()
    project: Mapped[PurchaseProject | None] = relationship()
