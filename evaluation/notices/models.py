"""Periodic notices (通报): drafted for a period, previewed, then issued — frozen and numbered (2026年第11期)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model


class NoticeState(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


class Notice(Model):
    __tablename__ = "notices"
    __table_args__ = (sa.UniqueConstraint("year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    period_start: Mapped[date]
    period_end: Mapped[date]
    intro: Mapped[str | None] = mapped_column(sa.Text)  # the organizer's words at the top
    typical: Mapped[list[int]] = mapped_column(
        sa.JSON, default=list
    )  # assessment ids chosen as typical cases
    state: Mapped[NoticeState] = mapped_column(enum_type(NoticeState), default=NoticeState.DRAFT, index=True)
    # Set when issued: its number in the year (第 N 期), the document as issued and its SHA-256; frozen since.
    year: Mapped[int | None]
    number: Mapped[int | None]
    content: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    issued_dt: Mapped[datetime | None]
