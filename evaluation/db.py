"""The declarative base, column types and time helpers shared by every package's models."""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

# Stable constraint names, so Alembic can find (and batch-mode SQLite can rebuild) every constraint.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_SET_NOW: ContextVar[datetime | None] = ContextVar("set_now", default=None)


def utcnow() -> datetime:
    """The time now, or the time a ``clock_at`` block set: every operation and column default reads it."""
    return _SET_NOW.get() or datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run a block as if it were ``moment``: what the demo uses to play a month of work through the real
    operations, and tests to put a worker at a chosen time. Only this context sees it."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given for the clock")
    token = _SET_NOW.set(moment)
    try:
        yield
    finally:
        _SET_NOW.reset(token)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware timestamp, always stored as UTC.

    PostgreSQL keeps it in ``timestamptz``; SQLite has no timezone support, so the value is stored as naive
    UTC and given its zone back on the way out. Naive datetimes are refused: they are always a bug here.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a timezone-aware column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            dict[str, Any]: sa.JSON(),
            list[Any]: sa.JSON(),
        },
    )


def enum_type(enum_cls: type[enum.Enum], length: int = 32) -> sa.Enum:
    """A portable enum column: a VARCHAR holding the member's value (no native PostgreSQL type to migrate)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class CreatedMixin:
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Python's sqlite3 starts and ends transactions behind SQLAlchemy's back, which breaks SAVEPOINTs
        # (a rolled-back savepoint may keep its rows). Let SQLAlchemy emit BEGIN itself, as its docs advise.
        dbapi_connection.isolation_level = None


@sa.event.listens_for(Engine, "begin")
def _sqlite_begin(connection: sa.Connection) -> None:
    # IMMEDIATE: a transaction takes the write lock at its start, so concurrent writers (workers, the
    # threads of a server) wait their turn (busy_timeout) instead of failing when two deferred transactions
    # both try to upgrade from reading to writing. Readers are not blocked (WAL).
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
