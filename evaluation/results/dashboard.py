"""What a department's dashboard shows for a period: its own unit and those under it, beside the city's figures —
never a sibling's or a parent's numbers, only the city's totals and each of its own units' place in them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from evaluation.appeals.models import Appeal
from evaluation.assessments.models import Verdict
from evaluation.charts import trend_chart
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.org.models import Department
from evaluation.ranking import DEFAULT_MIN_CASES, Standing, standings
from evaluation.rectifications.models import Rectification
from evaluation.rectifications.operations import OPEN
from evaluation.results import standings as st
from evaluation.web import localized


@dataclass
class Dashboard:
    period: st.Period
    cases: int
    not_upheld: int
    upheld_rate: float | None
    city_upheld_rate: float | None
    overall: Standing | None  # every case of the unit and those under it, as one
    units: list[st.Row]  # each unit with cases, best first, with its place in the city
    criteria: list[dict[str, Any]]  # {"title", "own", "city"}
    months: list[dict[str, Any]]  # {"month", "own", "city", "cases"}
    charts: dict[str, Markup] = field(default_factory=dict)
    owed: list[Rectification] = field(default_factory=list)  # rectification reports still owed, soonest first
    appeals: list[Appeal] = field(default_factory=list)  # the latest appeals of its units
    today: date = field(default_factory=lambda: to_local(utcnow()).date())  # Beijing time: what is overdue


def _owed_and_appeals(department_id: int) -> tuple[list[Rectification], list[Appeal]]:
    units = Department.subtree_ids(department_id)
    owed = db.session.scalars(
        sa.select(Rectification)
        .where(Rectification.department_id.in_(units), Rectification.state.in_(OPEN))
        .options(joinedload(Rectification.case), joinedload(Rectification.department))
        .order_by(Rectification.due_date, Rectification.id)
        .limit(50)
    ).all()
    appeals = db.session.scalars(
        sa.select(Appeal)
        .where(Appeal.department_id.in_(units))
        .options(joinedload(Appeal.case))
        .order_by(Appeal.filed_dt.desc())
        .limit(20)
    ).all()
    return list(owed), list(appeals)


def _monthly(results: list[st.Result]) -> dict[str, list[float]]:
    by_month: dict[str, list[float]] = defaultdict(list)
    for r in results:
        by_month[r.month].append(r.adjusted if r.adjusted is not None else r.total)
    return by_month


def build(period: st.Period, department_id: int) -> Dashboard:
    own = st.current(period, within=department_id)
    city = st.current(period)
    city_rows = st.ranking(city)
    mine = {r.department_id for r in own}
    units = [row for row in city_rows if int(row.standing.group) in mine]
    overall = None
    if own:
        (overall,) = standings(
            ["own"] * len(own),
            [r.total for r in own],
            [float("nan") if r.adjusted is None else r.adjusted for r in own],
            min_cases=DEFAULT_MIN_CASES,
        )
    titles = st.criterion_titles()
    own_means = st.criterion_means(period, list(titles), within=department_id).get(None, {})
    city_means = st.criterion_means(period, list(titles)).get(None, {})
    criteria = [
        {"title": localized(*titles[code]), "own": own_means.get(code), "city": city_means.get(code)}
        for code in titles
        if code in own_means or code in city_means
    ]
    own_months, city_months = _monthly(own), _monthly(city)
    months: list[dict[str, Any]] = [
        {
            "month": month,
            "own": sum(own_months[month]) / len(own_months[month]) if own_months.get(month) else None,
            "city": sum(city_months[month]) / len(city_months[month]),
            "cases": len(own_months.get(month, [])),
        }
        for month in sorted(city_months)
    ]
    board = Dashboard(
        period,
        len(own),
        sum(r.verdict == Verdict.NOT_UPHELD for r in own),
        st.upheld_rate(own),
        st.upheld_rate(city),
        overall,
        units,
        criteria,
        months,
    )
    board.owed, board.appeals = _owed_and_appeals(department_id)
    if months:
        board.charts["trend"] = Markup(  # noqa: S704 - our own SVG
            trend_chart(
                [m["month"] for m in months],
                {_("Our units"): [m["own"] for m in months], _("City"): [m["city"] for m in months]},
                title=_("Mean severity-adjusted score by month"),
                ylabel=_("Severity-adjusted score"),
            )
        )
    return board
