"""Time as the users live it: stored values are aware UTC, people read and type Beijing time (the configured
zone). Operations, jobs and mails use these, so no domain module needs the web layer for a date."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    """The zone dates are shown and entered in (Asia/Shanghai unless configured)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@overload
def from_local(value: datetime) -> datetime: ...
@overload
def from_local(value: None) -> None: ...
def from_local(value: datetime | None) -> datetime | None:
    """A naive date-time typed by a user (a datetime-local input) as the aware UTC value we store."""
    return None if value is None else value.replace(tzinfo=local_zone()).astimezone(UTC)


@overload
def to_local(value: datetime) -> datetime: ...
@overload
def to_local(value: None) -> None: ...
def to_local(value: datetime | None) -> datetime | None:
    """A stored UTC value as the naive local date-time a datetime-local input shows."""
    return None if value is None else value.astimezone(local_zone()).replace(tzinfo=None)
