"""Rubrics (评议标准): a rubric has numbered versions; a published version is frozen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation.db import enum_type, utcnow
from evaluation.extensions import db


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


class Rubric(db.Model):
    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[RubricVersion]] = relationship(
        back_populates="rubric", order_by="RubricVersion.number", cascade="all, delete-orphan"
    )


class RubricVersion(db.Model):
    __tablename__ = "rubric_versions"
    __table_args__ = (sa.UniqueConstraint("rubric_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    state: Mapped[VersionState] = mapped_column(enum_type(VersionState), default=VersionState.DRAFT)
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    aggregation: Mapped[Aggregation] = mapped_column(enum_type(Aggregation), default=Aggregation.WEIGHTED_MEAN)
    # A member whose total lies further than this many panel SDs from the others must give a reason.
    outlier_threshold: Mapped[float] = mapped_column(default=2.0)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    published_dt: Mapped[datetime | None]
    retired_dt: Mapped[datetime | None]

    rubric: Mapped[Rubric] = relationship(back_populates="versions")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="version", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(db.Model):
    __tablename__ = "criteria"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("rubric_versions.id", ondelete="CASCADE"), index=True)
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
