"""Rubrics (评议标准): a rubric has numbered versions; a published version is frozen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model


class VersionState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Aggregation(StrEnum):
    WEIGHTED_MEAN = "weighted_mean"
    TRIMMED_MEAN = "trimmed_mean"


class Dimension(StrEnum):
    PROCEDURE = "procedure"  # 程序
    CONTENT = "content"  # 内容
    GOAL = "goal"  # 目标
    OTHER = "other"


class CriterionRole(StrEnum):
    SCORE = "score"
    CLAIM_REASONABLE = "claim_reasonable"  # 诉求合理性
    DUTY_DONE = "duty_done"  # 履职到位
    VERDICT = "verdict"  # 成立 / 部分成立 / 不成立
    RESPONSIBILITY = "responsibility"  # 责任认定
    RECOMMENDATION = "recommendation"  # 处理建议
    NOTE = "note"


class RubricPurpose(StrEnum):
    CASE = "case"  # a panel scores unsatisfied cases (the verdict question is required)
    BID = "bid"  # experts score bids' technical proposals in a procurement (no verdict)


class Rubric(Model):
    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    purpose: Mapped[RubricPurpose] = mapped_column(enum_type(RubricPurpose), default=RubricPurpose.CASE)
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[RubricVersion]] = relationship(
        back_populates="rubric", order_by="RubricVersion.number", cascade="all, delete-orphan"
    )


class RubricVersion(Model):
    __tablename__ = "rubric_versions"
    __table_args__ = (sa.UniqueConstraint("rubric_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    state: Mapped[VersionState] = mapped_column(enum_type(VersionState), default=VersionState.DRAFT)
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    aggregation: Mapped[Aggregation] = mapped_column(
        enum_type(Aggregation), default=Aggregation.WEIGHTED_MEAN
    )
    # A member whose total lies further than this many panel SDs from the others must give a reason.
    outlier_threshold: Mapped[float] = mapped_column(default=2.0)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    published_dt: Mapped[datetime | None]
    retired_dt: Mapped[datetime | None]

    rubric: Mapped[Rubric] = relationship(back_populates="versions")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="version", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(Model):
    __tablename__ = "criteria"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rubric_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(32))
    dimension: Mapped[Dimension] = mapped_column(enum_type(Dimension), default=Dimension.OTHER)
    role: Mapped[CriterionRole] = mapped_column(enum_type(CriterionRole), default=CriterionRole.SCORE)
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    description_zh: Mapped[str | None] = mapped_column(sa.Text)
    description_en: Mapped[str | None] = mapped_column(sa.Text)
    # {"type": "ordinal", "levels": [...]} | {"type": "range", ...} | {"type": "boolean"} | {"type": "nominal", ...}
    scale: Mapped[dict[str, Any]]
    weight: Mapped[float] = mapped_column(default=0.0)
    required: Mapped[bool] = mapped_column(default=True)
    comment_required_at_or_below: Mapped[float | None]

    version: Mapped[RubricVersion] = relationship(back_populates="criteria")


class FrozenVersionError(RuntimeError):
    """A published or retired rubric version was about to change; edits make a new version instead."""


# A published version may only be retired; nothing else about it, nor its criteria, may change.
_MUTABLE_AFTER_PUBLISHING = {"state", "retired_dt"}


def _committed_state(version: RubricVersion) -> VersionState | None:
    """The state as stored in the database, whatever the object says now."""
    inspected = sa.inspect(version)
    history = inspected.attrs.state.history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    if inspected.persistent and inspected.session is not None:
        # Set on an expired object: the old value was never loaded. Ask the database (no autoflush mid-flush).
        return inspected.session.scalar(sa.select(RubricVersion.state).where(RubricVersion.id == version.id))
    return None  # new, never stored


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _refuse_changes_to_frozen_versions(session: sa.orm.Session, _context: object, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, RubricVersion):
            stored = _committed_state(obj)
            if stored in (VersionState.PUBLISHED, VersionState.RETIRED):
                state = sa.inspect(obj)
                changed = {a.key for a in state.attrs if a.history.has_changes()} - {"criteria", "rubric"}
                if obj in session.deleted:
                    raise FrozenVersionError(
                        f"rubric version {obj.id} is {stored.value} and cannot be deleted"
                    )
                if changed - _MUTABLE_AFTER_PUBLISHING or (
                    "state" in changed and obj.state != VersionState.RETIRED
                ):
                    raise FrozenVersionError(
                        f"rubric version {obj.id} is {stored.value}; it cannot change "
                        f"({', '.join(sorted(changed))}); edit a new version instead"
                    )
                if sa.inspect(obj).attrs.criteria.history.has_changes():
                    raise FrozenVersionError(
                        f"rubric version {obj.id} is {stored.value}; its criteria are frozen"
                    )
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Criterion):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            version = obj.version
            if version is None and obj.version_id is not None:
                version = session.get(RubricVersion, obj.version_id)
            if version is not None and _committed_state(version) in (
                VersionState.PUBLISHED,
                VersionState.RETIRED,
            ):
                raise FrozenVersionError(
                    f"criterion {obj.code} belongs to a {version.state.value} rubric version; its criteria are frozen"
                )
