"""Batches (评议批次) of cases reviewed together under one rubric version and composition policy."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model

if TYPE_CHECKING:
    from evaluation.accounts.models import User
    from evaluation.cases.models import Case
    from panels.models import CompositionPolicy, Panel
    from procurement.models import Contract
    from rubrics.models import RubricVersion


class BatchState(StrEnum):
    DRAFT = "draft"
    PANELS_DRAWN = "panels_drawn"
    SCORING = "scoring"
    DELIBERATION = "deliberation"
    FINALIZED = "finalized"
    PUBLISHED = "published"


class ItemPurpose(StrEnum):
    REVIEW = "review"
    APPEAL_REVIEW = "appeal_review"  # 复核: a fresh panel re-reviews an appealed case


class Batch(Model):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    state: Mapped[BatchState] = mapped_column(enum_type(BatchState), default=BatchState.DRAFT, index=True)
    rubric_version_id: Mapped[int] = mapped_column(sa.ForeignKey("rubric_versions.id"), index=True)
    policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("composition_policies.id"))
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    sample_seed: Mapped[str | None] = mapped_column(sa.String(128))
    opens_dt: Mapped[datetime | None]
    closes_dt: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    finalized_dt: Mapped[datetime | None]
    published_dt: Mapped[datetime | None]
    # Its figures at finalization (evaluation.figures): agreement per criterion, rater severity.
    figures: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    rubric_version: Mapped[RubricVersion] = relationship()
    policy: Mapped[CompositionPolicy | None] = relationship()
    contract: Mapped[Contract | None] = relationship()
    items: Mapped[list[BatchItem]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="BatchItem.id"
    )

    @classmethod
    def visible_to(cls, user: User) -> sa.ColumnElement[bool]:
        """Which batches ``user`` may see: organizers every one, an agency user those run under a contract its
        agency may see. For queries; ``can_see`` is the same rule for one batch already loaded."""
        from evaluation.accounts.models import Role
        from procurement.models import Contract

        if user.has_role(Role.ORGANIZER):
            return sa.true()
        return cls.contract.has(Contract.visible_to(user))

    def can_see(self, user: User) -> bool:
        from evaluation.accounts.models import Role

        if user.has_role(Role.ORGANIZER):
            return True
        return (
            user.has_role(Role.AGENCY)
            and user.agency_id is not None
            and self.contract is not None
            and self.contract.agency_id == user.agency_id
        )


class BatchItem(Model):
    __tablename__ = "batch_items"
    __table_args__ = (sa.UniqueConstraint("batch_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    purpose: Mapped[ItemPurpose] = mapped_column(enum_type(ItemPurpose), default=ItemPurpose.REVIEW)
    in_deliberation: Mapped[bool] = mapped_column(default=False)
    # Why the panel disagrees: {"reasons": [...], "outliers": [seat ids], "totals": [...], "verdicts": {...}}
    deliberation: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    # A case below quorum leaves the batch with a reason and returns to the eligible cases; the row stays.
    withdrawn_dt: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    batch: Mapped[Batch] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()
    panel: Mapped[Panel | None] = relationship(back_populates="batch_item")
