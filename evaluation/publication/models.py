"""The outbox: webhook deliveries written in the same transaction as what they announce."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.db import enum_type, utcnow
from evaluation.extensions import Model


class OutboxState(StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    DEAD = "dead"


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_due", "state", "next_attempt_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))
    event: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_clients.id"), index=True)
    payload: Mapped[dict[str, Any]]
    state: Mapped[OutboxState] = mapped_column(enum_type(OutboxState), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_dt: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_dt: Mapped[datetime | None]
    # While a worker delivers it: a worker killed mid-delivery leaves it to be taken again once this passes.
    lease_until_dt: Mapped[datetime | None]
