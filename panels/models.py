"""The member pool, conflicts and recusals, composition policies, draws, panels and seats."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVarTuple

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model

if TYPE_CHECKING:
    from evaluation.accounts.models import User
    from evaluation.batches.models import Batch, BatchItem
    from evaluation.cases.models import Case
    from evaluation.org.models import Department


Ts = TypeVarTuple("Ts")


class MemberRole(StrEnum):
    OFFICIAL = "official"  # 政府工作人员
    LAWYER = "lawyer"  # 律师代表
    TOWNSHIP_REP = "township_rep"  # 乡镇/街道代表
    CITIZEN_REP = "citizen_rep"  # 群众代表
    EXPERT = "expert"  # 评标专家 (procurement)


class Member(Model):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole), index=True)
    affiliation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    district_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    expertise: Mapped[list[Any]] = mapped_column(default=list)  # case categories
    max_cases: Mapped[int] = mapped_column(default=20)  # per batch
    active: Mapped[bool] = mapped_column(default=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()
    affiliation: Mapped[Department | None] = relationship()
    past_affiliations: Mapped[list[MemberAffiliation]] = relationship(cascade="all, delete-orphan")
    unavailabilities: Mapped[list[MemberUnavailability]] = relationship(cascade="all, delete-orphan")

    def departments_left_since(self, cutoff: date) -> set[int]:
        """The departments this member worked for on or after ``cutoff`` (an entry without an end counts)."""
        return {a.department_id for a in self.past_affiliations if a.end_date is None or a.end_date >= cutoff}

    def unavailable_between(self, first: date, last: date) -> bool:
        """Whether a declared absence overlaps the days ``first`` to ``last`` (a batch's scoring window)."""
        return any(u.start_date <= last and u.end_date >= first for u in self.unavailabilities)


class MemberAffiliation(Model):
    """Employment history: recusal covers the department of employment now or within three years."""

    __tablename__ = "member_affiliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]

    department: Mapped[Department] = relationship()


class MemberUnavailability(Model):
    __tablename__ = "member_unavailabilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.String(200))


class ConflictSource(StrEnum):
    DECLARED = "declared"  # by the member
    DEPARTMENT_REQUEST = "department_request"
    CITIZEN_REQUEST = "citizen_request"


class ConflictState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Conflict(Model):
    """A declared conflict or a written recusal request, against a department or a single case."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    source: Mapped[ConflictSource] = mapped_column(enum_type(ConflictSource))
    state: Mapped[ConflictState] = mapped_column(enum_type(ConflictState), default=ConflictState.ACCEPTED)
    reason: Mapped[str] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_dt: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship()
    case: Mapped[Case | None] = relationship()


class RecusalRule(StrEnum):
    AFFILIATION = "affiliation"
    FORMER_AFFILIATION = "former_affiliation"
    DECLARED_CONFLICT = "declared_conflict"
    RECUSAL_REQUEST = "recusal_request"
    EARLIER_PANEL = "earlier_panel"


class Recusal(Model):
    """One logged exclusion of a member from a case, with the rule that excluded them."""

    __tablename__ = "recusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int | None] = mapped_column(sa.ForeignKey("draws.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    rule: Mapped[RecusalRule] = mapped_column(enum_type(RecusalRule))
    detail: Mapped[str | None] = mapped_column(sa.Text)  # the departments concerned, or the conflict's reason
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()
    case: Mapped[Case] = relationship()


def default_quorum(panel_size: int) -> int:
    """A majority of the panel, and at least 3."""
    return max(3, panel_size // 2 + 1)


class CompositionPolicy(Model):
    __tablename__ = "composition_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    panel_size: Mapped[int] = mapped_column(default=5)
    role_ranges: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"official": [0, 1], ...}
    category_needs: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"物业纠纷": {"lawyer": 1}}
    prefer_local_township: Mapped[bool] = mapped_column(default=True)
    distinct_affiliations: Mapped[bool] = mapped_column(default=True)
    # How many submitted sheets settle a case; None: a majority of the panel, and at least 3.
    quorum: Mapped[int | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def quorum_size(self) -> int:
        return self.quorum if self.quorum else default_quorum(self.panel_size)


class Draw(Model):
    """A seeded, replayable draw: the seed's hash is shown before, the seed itself stored after."""

    __tablename__ = "draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    seed_hash: Mapped[str] = mapped_column(sa.String(64))
    seed: Mapped[str | None] = mapped_column(sa.String(128))
    pool_hash: Mapped[str | None] = mapped_column(sa.String(64))
    policy_hash: Mapped[str | None] = mapped_column(sa.String(64))
    problem: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # the solver input, for replay
    result: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON
    )  # the solver output, as `panels solve` prints it
    status: Mapped[str] = mapped_column(sa.String(32), default="pending")
    objective: Mapped[float | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    solved_dt: Mapped[datetime | None]
    audit_hash: Mapped[str | None] = mapped_column(sa.String(64))  # the event that made it (audit.records)

    batch: Mapped[Batch] = relationship()


class Panel(Model):
    __tablename__ = "panels"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("batch_items.id", ondelete="CASCADE"), unique=True
    )
    draw_id: Mapped[int | None] = mapped_column(sa.ForeignKey("draws.id"), index=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    batch_item: Mapped[BatchItem] = relationship(back_populates="panel")
    seats: Mapped[list[Seat]] = relationship(
        back_populates="panel", order_by="Seat.position", cascade="all, delete-orphan"
    )


class SeatState(StrEnum):
    DRAWN = "drawn"
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    RECUSED = "recused"
    REPLACED = "replaced"  # silent while scoring was open: the organizer gave the seat to the next substitute


class Seat(Model):
    __tablename__ = "seats"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole))
    position: Mapped[int]
    state: Mapped[SeatState] = mapped_column(enum_type(SeatState), default=SeatState.DRAWN)
    invited_dt: Mapped[datetime | None]
    responded_dt: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seats.id"))
    # The seat's own deadline, beyond the batch's window: a substitute's, or a seat the organizer reopened.
    deadline_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    panel: Mapped[Panel] = relationship(back_populates="seats")
    member: Mapped[Member] = relationship()
    substitutes: Mapped[list[SeatSubstitute]] = relationship(
        order_by="SeatSubstitute.rank", cascade="all, delete-orphan"
    )

    def held_by(self, user: User) -> bool:
        """The seat is this user's own (through their pool membership)."""
        return self.member.user_id is not None and self.member.user_id == user.id

    def can_score(self, user: User) -> bool:
        """Only the member who holds the seat, and only once they have accepted it, opens and scores it."""
        return self.held_by(user) and self.state == SeatState.ACCEPTED


class SeatSubstitute(Model):
    """Ranked substitutes for a seat, from the same draw."""

    __tablename__ = "seat_substitutes"

    seat_id: Mapped[int] = mapped_column(sa.ForeignKey("seats.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"))

    member: Mapped[Member] = relationship()


def through_items(query: sa.Select[*Ts]) -> sa.Select[*Ts]:
    """``query`` over seats, joined to each seat's panel and batch item: the way from a seat to its case and its
    batch (filter on ``BatchItem.batch_id`` or ``BatchItem.case_id``)."""
    from evaluation.batches.models import BatchItem

    return query.join(Panel, Seat.panel_id == Panel.id).join(BatchItem, Panel.batch_item_id == BatchItem.id)


def batch_seats(batch_id: int) -> sa.Select[Seat]:
    """The seats of every panel of a batch."""
    from evaluation.batches.models import BatchItem

    return through_items(sa.select(Seat)).where(BatchItem.batch_id == batch_id)
