"""The declarative base, column types and time helpers shared by every package's models."""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

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


F = TypeVar("F", bound=Callable[..., Any])

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


READS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_on_read(view: F) -> F:
    """Mark a view answering GET that writes (records that a case was viewed, that a seat was first opened): on
    SQLite its transaction takes the write lock at its start like any POST's. Outermost, under the route."""
    view.writes_on_read = True  # type: ignore[attr-defined]
    return view


_WRITING_APART: ContextVar[bool] = ContextVar("writing_apart", default=False)


def takes_write_lock() -> bool:
    """Whether this transaction writes: outside a request (jobs, commands) always; in a request, unless it is a
    read (GET, HEAD) by a view not marked ``writes_on_read``."""
    from flask import current_app, has_request_context, request

    if _WRITING_APART.get() or not has_request_context() or request.method not in READS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_on_read", False))


@contextmanager
def writing_apart(engine: Engine) -> Iterator[sa.Connection]:
    """A short transaction of its own, committed at the end of the block, for a read's bookkeeping (when an API
    client was last used) without turning the read itself into a writer. Only in a read: a writer's own
    transaction already holds SQLite's lock, and this one would wait for it."""
    token = _WRITING_APART.set(True)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        _WRITING_APART.reset(token)


@sa.event.listens_for(Engine, "begin")
def _sqlite_begin(connection: sa.Connection) -> None:
    # A transaction that will write takes SQLite's write lock at its start (IMMEDIATE), so concurrent writers
    # (workers, the threads of a server) wait their turn (busy_timeout) instead of failing when two deferred
    # transactions both try to upgrade from reading to writing. A read begins deferred and never takes the
    # lock: one slow import does not hold up everyone's pages. Readers and the writer run side by side (WAL).
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if takes_write_lock() else "BEGIN")


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _reads_do_not_write(session: sa.orm.Session, _context: Any, _instances: Any) -> None:
    # A read that writes would upgrade a deferred SQLite transaction, which fails at once (SQLITE_BUSY) when
    # another writer committed in between. Found by the tests, where the app is testing, rather than in use.
    from flask import current_app, has_request_context

    if not has_request_context() or not current_app.testing or takes_write_lock():
        return
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        raise RuntimeError("a GET view writes; mark it @writes_on_read")
