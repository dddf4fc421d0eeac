"""Honoraria by the tier table: the base for the first hours, the rate beyond, half hours, the daily cap, the
holiday multiplier, days counted apart, and nothing for government staff or the purchaser's representatives."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from procurement.honoraria import Session, Tiers, billable_hours, day_amount, honorarium

D = Decimal
BEIJING = ZoneInfo("Asia/Shanghai")
TIERS = Tiers(
    base_hours=D("4"), base=D("500"), per_hour=D("100"), daily_cap=D("1000"), holiday_multiplier=D("1.5")
)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=BEIJING)  # 2026-12-07 is a Monday


def test_hours_and_a_days_amount() -> None:
    assert billable_hours(239) == D("3.5") and billable_hours(29) == D("0") and billable_hours(300) == D("5")
    assert day_amount(D("3"), TIERS) == D("500.00")  # within the first four hours: the base
    assert day_amount(D("6.5"), TIERS) == D("750.00")
    assert day_amount(D("12"), TIERS) == D("1000.00")  # held at the daily cap
    assert day_amount(D("6.5"), TIERS, holiday=True) == D("1125.00")
    assert day_amount(D("0"), TIERS) == D("0.00")


def test_a_members_sessions_over_several_days() -> None:
    sessions = [
        Session(_at(7, 9), _at(7, 12)),  # Monday 3 h
        Session(_at(7, 14), _at(7, 17, 40)),  # Monday 3 h 40 → 6.5 h that day: 750
        Session(_at(12, 9), _at(12, 15)),  # Saturday 6 h: 700 × 1.5 = 1050
        Session(_at(9, 22), _at(10, 2)),  # Wednesday 2 h and Thursday 2 h: 500 each
    ]
    assert honorarium("lawyer", sessions, TIERS) == D("2800.00")
    assert honorarium("citizen_rep", sessions[:1], TIERS, holidays=frozenset({date(2026, 12, 7)})) == D(
        "750.00"
    )


def test_government_staff_and_purchaser_representatives_are_not_paid() -> None:
    sessions = [Session(_at(7, 9), _at(7, 17))]
    assert honorarium("official", sessions, TIERS) == D("0.00")
    assert honorarium("purchaser_representative", sessions, TIERS) == D("0.00")
    assert honorarium("expert", sessions, TIERS) == D("900.00")
    with pytest.raises(ValueError, match="ends after"):
        Session(_at(7, 9), _at(7, 9))


def test_the_tier_table_is_read_from_its_setting() -> None:
    from procurement.honoraria import parse_tiers

    assert parse_tiers("4, 500, 100, 1000, 1.5") == TIERS
    assert parse_tiers("4,500,100,1000").holiday_multiplier == D("1")
    for wrong in ("4,500,100", "4,500,abc,1000", "4,-500,100,1000", "4,500,100,NaN"):
        with pytest.raises(ValueError):
            parse_tiers(wrong)


def test_a_recorded_day_on_a_batch() -> None:
    from procurement.honoraria import day_honorarium

    assert day_honorarium("lawyer", date(2026, 12, 9), 390, TIERS) == D("750.00")  # a Wednesday
    assert day_honorarium("lawyer", date(2026, 12, 12), 390, TIERS) == D("1125.00")  # a Saturday
    assert day_honorarium("citizen_rep", date(2026, 12, 9), 20, TIERS) == D("0.00")  # under half an hour
    assert day_honorarium("official", date(2026, 12, 9), 390, TIERS) == D("0.00")
    holiday = frozenset({date(2026, 12, 9)})
    assert day_honorarium("lawyer", date(2026, 12, 9), 390, TIERS, holiday) == D("1125.00")
    with pytest.raises(ValueError):
        day_honorarium("lawyer", date(2026, 12, 9), 24 * 60 + 1, TIERS)
