"""The expert panel of a purchase project (评标委员会): relations that recuse, the draw, the seats, the scores."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model

if TYPE_CHECKING:
    from panels.models import Member
    from procurement.models import Agency, Bid, Contract, PurchaseProject


class RelationKind(StrEnum):
    """Why an expert is recused from a bidder (政府采购法实施条例 第九条)."""

    EMPLOYED = "employed"  # 劳动关系
    DIRECTOR = "director"  # 担任法定代表人、董事、监事或负责人
    RELATED = "related"  # 近亲属 or another interest
    DECLARED = "declared"  # declared by the expert for this project


class ExpertRelation(Model):
    __tablename__ = "expert_relations"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RelationKind] = mapped_column(enum_type(RelationKind))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]  # None: still so
    note: Mapped[str | None] = mapped_column(sa.String(300))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()
    agency: Mapped[Agency] = relationship()


class ExpertDraw(Model):
    """A project's seeded, replayable draw of experts: the same problem file and solver as a case panel's."""

    __tablename__ = "expert_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_projects.id", ondelete="CASCADE"), unique=True
    )
    seed_hash: Mapped[str] = mapped_column(sa.String(64))
    seed: Mapped[str | None] = mapped_column(sa.String(128))
    problem: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    exclusions: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)  # [{member, agency, kind, detail}]
    stepped_down: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)  # experts replaced after the draw
    pool_hash: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(32), default="pending")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    solved_dt: Mapped[datetime | None]

    project: Mapped[PurchaseProject] = relationship()


class ExpertSeat(Model):
    __tablename__ = "expert_seats"
    __table_args__ = (sa.UniqueConstraint("project_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_projects.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    draw_id: Mapped[int | None] = mapped_column(sa.ForeignKey("expert_draws.id", ondelete="SET NULL"))
    # The session's recorded time (签到/签退), from which the honorarium is computed.
    checked_in_dt: Mapped[datetime | None]
    checked_out_dt: Mapped[datetime | None]
    confirmed_dt: Mapped[datetime | None]  # the expert's signature on the evaluation report
    dissent: Mapped[str | None] = mapped_column(sa.Text)  # 不同意见: signed with the report, with the reasons

    member: Mapped[Member] = relationship()
    project: Mapped[PurchaseProject] = relationship()


class BidScore(Model):
    """One expert's technical score of one bid against the project's rubric; blind to the other experts."""

    __tablename__ = "bid_scores"
    __table_args__ = (sa.UniqueConstraint("seat_id", "bid_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(sa.ForeignKey("expert_seats.id", ondelete="CASCADE"), index=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=dict
    )  # {criterion code: {value, comment}}
    total: Mapped[float | None]  # the technical points, 0–(100 − price weight)
    submitted_dt: Mapped[datetime | None]
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    seat: Mapped[ExpertSeat] = relationship()
    bid: Mapped[Bid] = relationship()


class AgencyReview(Model):
    """The agency's record: its measured KPIs at a contract's milestone or end, scored against weights."""

    __tablename__ = "agency_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    kpis: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # {name: {"value": ..., "points": ...}}
    score: Mapped[float]
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract] = relationship()
