"""Procurement of third-party evaluation agencies: projects, bids, contracts, deliverables, payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model

if TYPE_CHECKING:
    from evaluation.accounts.models import User
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


class ProjectState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    EVALUATING = "evaluating"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


class PurchaseProject(Model):
    """政府购买服务 project, evaluated by 综合评分法 with an expert panel."""

    __tablename__ = "purchase_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    budget: Mapped[Decimal] = mapped_column(Money)
    price_weight: Mapped[float] = mapped_column(default=30.0)  # percent of the total score
    rubric_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rubric_versions.id"))
    state: Mapped[ProjectState] = mapped_column(enum_type(ProjectState), default=ProjectState.DRAFT)
    bid_deadline_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    rubric_version: Mapped[RubricVersion | None] = relationship()
    bids: Mapped[list[Bid]] = relationship(back_populates="project", cascade="all, delete-orphan")


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
    technical_score: Mapped[float | None]
    price_score: Mapped[float | None]
    total_score: Mapped[float | None]
    rank: Mapped[int | None]
    submitted_dt: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[PurchaseProject] = relationship(back_populates="bids")
    agency: Mapped[Agency] = relationship()


class ContractState(StrEnum):
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
    state: Mapped[ContractState] = mapped_column(enum_type(ContractState), default=ContractState.ACTIVE)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[PurchaseProject | None] = relationship()
    agency: Mapped[Agency] = relationship()
    deliverables: Mapped[list[Deliverable]] = relationship(cascade="all, delete-orphan")
    payments: Mapped[list[Payment]] = relationship(cascade="all, delete-orphan")

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
    __tablename__ = "deliverables"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    due_date: Mapped[date]
    delivered_dt: Mapped[datetime | None]
    accepted_dt: Mapped[datetime | None]


class Payment(Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_date: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.String(300))


class Honorarium(Model):
    """劳务费 owed to a panel member for a batch."""

    __tablename__ = "honoraria"
    __table_args__ = (sa.UniqueConstraint("member_id", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    cases_scored: Mapped[int] = mapped_column(default=0)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_dt: Mapped[datetime | None]
