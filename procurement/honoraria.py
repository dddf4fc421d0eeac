"""Honoraria (劳务费) for panel members and experts, from a tier table of the shape the provincial rules use (such as
川财规〔2023〕6号): a base amount for the first hours of a day, an amount for each further hour (a part of an hour
counts as a half hour when at least thirty minutes, else not at all), a cap per day, and a multiplier for a rest
day or holiday. Exact decimals; government staff and the purchaser's representatives are never paid. Pure: no
Flask, no database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

YUAN = Decimal("0.01")
UNPAID = frozenset({"official", "purchaser_representative"})  # 政府工作人员, 采购人代表


@dataclass(frozen=True)
class Tiers:
    base_hours: Decimal  # the first hours of a day, paid ``base`` together
    base: Decimal
    per_hour: Decimal  # each further hour
    daily_cap: Decimal
    holiday_multiplier: Decimal = Decimal("1")


@dataclass(frozen=True)
class Session:
    """One stretch of recorded work: a member's time on a batch or an evaluation session."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a session ends after it starts")


def billable_hours(minutes: int) -> Decimal:
    """Whole hours, and half an hour for a remainder of thirty minutes or more."""
    hours, rest = divmod(minutes, 60)
    return Decimal(hours) + (Decimal("0.5") if rest >= 30 else Decimal(0))


def day_amount(hours: Decimal, tiers: Tiers, *, holiday: bool = False) -> Decimal:
    """One day's pay for ``hours`` of work: the base for the first hours, the rate beyond, within the cap."""
    if hours <= 0:
        return Decimal("0.00")
    amount = tiers.base + max(Decimal(0), hours - tiers.base_hours) * tiers.per_hour
    amount = min(amount, tiers.daily_cap)
    if holiday:
        amount *= tiers.holiday_multiplier
    return amount.quantize(YUAN, rounding=ROUND_HALF_UP)


def honorarium(
    role: str, sessions: Iterable[Session], tiers: Tiers, holidays: frozenset[date] = frozenset()
) -> Decimal:
    """What a member of ``role`` is owed for these sessions: each calendar day paid by the table (a rest day or a
    holiday with its multiplier); nothing for government staff or the purchaser's representatives."""
    if role in UNPAID:
        return Decimal("0.00")
    minutes: dict[date, int] = defaultdict(int)
    for session in sessions:
        cursor = session.start
        while cursor < session.end:  # a session past midnight counts on each day it covers
            midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time(), cursor.tzinfo)
            stop = min(session.end, midnight)
            minutes[cursor.date()] += int((stop - cursor).total_seconds() // 60)
            cursor = stop
    total = Decimal("0.00")
    for day, worked in sorted(minutes.items()):
        rest_day = day in holidays or day.weekday() >= 5
        total += day_amount(billable_hours(worked), tiers, holiday=rest_day)
    return total


def parse_tiers(text: str) -> Tiers:
    """The tier table from its configuration: "base hours, base, per further hour, daily cap, rest-day multiplier"
    (the multiplier may be left out)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 5):
        raise ValueError(
            "a tier table is: base hours, base, per further hour, daily cap[, rest-day multiplier]"
        )
    try:
        values = [Decimal(p) for p in parts]
    except ArithmeticError as exc:
        raise ValueError(f"a tier table holds numbers: {text!r}") from exc
    if any(not v.is_finite() or v < 0 for v in values):
        raise ValueError(f"a tier table holds numbers of zero or more: {text!r}")
    return Tiers(*values)


def day_honorarium(
    role: str, day: date, minutes: int, tiers: Tiers, holidays: frozenset[date] = frozenset()
) -> Decimal:
    """One recorded day of ``minutes`` (a member's time on a batch): the table's amount for that day, with the
    rest-day multiplier on a weekend or holiday; nothing for government staff or the purchaser's representatives."""
    if not 0 <= minutes <= 24 * 60:
        raise ValueError("a day holds between 0 and 1440 minutes")
    if role in UNPAID:
        return Decimal("0.00")
    rest_day = day in holidays or day.weekday() >= 5
    return day_amount(billable_hours(minutes), tiers, holiday=rest_day)
