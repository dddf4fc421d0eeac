"""The period's results, as rankings and dashboards read them: each case counted once, by its current version.

A case belongs to the period in which it was first published; its current version is the latest published by
the period's end, so a re-review after an appeal replaces the verdict where it was counted. A department user's
queries are bounded to its own unit and those under it (``within``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from evaluation.assessments.models import Assessment, Verdict
from evaluation.cases.models import Case
from evaluation.clock import from_local, to_local
from evaluation.extensions import db
from evaluation.org.models import Department
from evaluation.ranking import DEFAULT_MIN_CASES, Standing, standings
from evaluation.text import N_, UserError

UPHELD = (Verdict.UPHELD, Verdict.PARTLY_UPHELD)
EARLIEST, LATEST = (
    date(2000, 1, 1),
    date(2099, 12, 31),
)  # a period beyond these is a typing slip  # 成立率 counts 成立 and 部分成立 alike


@dataclass(frozen=True)
class Period:
    """Calendar days in Beijing time, both ends included."""

    start: date
    end: date

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date) -> Period:
        """From ISO dates; missing: the six months up to ``today``. A reversed or malformed period is refused."""
        first = _day(start, "start") if start else (today.replace(day=1) - timedelta(days=150)).replace(day=1)
        last = _day(end, "end") if end else today
        if last < first:
            raise UserError(N_("The period ends before it begins."), field="end")
        for day, name in ((first, "start"), (last, "end")):  # the form fields named from and to
            if not EARLIEST <= day <= LATEST:
                raise UserError(
                    N_("Choose a day between %(first)s and %(last)s."),
                    field=name,
                    first=EARLIEST.isoformat(),
                    last=LATEST.isoformat(),
                )
        return cls(first, last)

    def bounds(self) -> tuple[datetime, datetime]:
        return from_local(datetime.combine(self.start, time())), from_local(
            datetime.combine(self.end + timedelta(days=1), time())
        )


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(
            N_("Not a date: %(value)s (write it as 2026-06-30)."), field=name, value=text
        ) from None


@dataclass(frozen=True)
class Filters:
    kind: str | None = None  # DepartmentKind value
    district: str | None = None  # region code: the department's region within it
    category: str | None = None  # the case's category


@dataclass
class Result:
    """One case's current assessment in the period: plain values, no ORM objects."""

    department_id: int
    total: float
    adjusted: float | None
    verdict: Verdict
    month: str  # the first publication's month in Beijing time, "2026-07"


def _current(period: Period, filters: Filters, within: int | None, *columns: Any) -> sa.Select[Any]:
    """``columns`` of every case first published in the period, by its latest version published by the
    period's end."""
    start, end = period.bounds()
    latest = (
        sa.select(
            Assessment.case_id,
            sa.func.min(Assessment.published_dt).label("first"),
            sa.func.max(Assessment.version).label("version"),
        )
        .where(Assessment.published_dt.is_not(None), Assessment.published_dt < end)
        .group_by(Assessment.case_id)
        .subquery("latest")
    )
    query = (
        sa.select(*[latest.c.first if c == "first" else c for c in columns])
        .select_from(Assessment)
        .join(latest, sa.and_(Assessment.case_id == latest.c.case_id, Assessment.version == latest.c.version))
        .join(Department, Department.id == Assessment.department_id)
        .where(latest.c.first >= start, latest.c.first < end)
    )
    return narrowed(query, filters, within, join_case=True)


def narrowed(
    query: sa.Select[Any], filters: Filters, within: int | None, *, join_case: bool
) -> sa.Select[Any]:
    """``query`` (over assessments joined with their departments) kept to a department's units and the filters;
    ``join_case``: the cases are not joined yet."""
    if within is not None:
        query = query.where(Assessment.department_id.in_(Department.subtree_ids(within)))
    if filters.kind:
        query = query.where(Department.kind == filters.kind)
    if filters.district:
        query = query.where(Department.region_code.startswith(filters.district, autoescape=True))
    if filters.category:
        if join_case:
            query = query.join(Case, Case.id == Assessment.case_id)
        query = query.where(Case.category == filters.category)
    return query


def current(period: Period, filters: Filters | None = None, within: int | None = None) -> list[Result]:
    """Every case first published in the period, by its current version then; one query, plain rows."""
    query = _current(
        period,
        filters or Filters(),
        within,
        Assessment.department_id,
        Assessment.total,
        Assessment.adjusted_total,
        Assessment.verdict,
        "first",
    )
    months: dict[Any, str] = {}  # a batch publishes its cases at one moment: few distinct times to convert
    out = []
    for dept, total, adjusted, verdict, first in db.session.execute(query):
        month = months.get(first)
        if month is None:
            month = months[first] = to_local(first).strftime("%Y-%m")
        out.append(Result(dept, total, adjusted, verdict, month))
    return out


def criterion_means(
    period: Period,
    codes: list[str],
    filters: Filters | None = None,
    within: int | None = None,
    departments: list[int] | None = None,
) -> dict[int | None, dict[str, float]]:
    """The mean of the cases' per-criterion means, by department (or None: all of them together), computed by
    the database over the stored figures, for the criteria ``codes``."""
    if not codes:
        return {}
    means = [sa.func.avg(Assessment.criteria[code]["mean"].as_float()).label(code) for code in codes]
    group = [Assessment.department_id] if departments is not None else []
    query = _current(period, filters or Filters(), within, *group, *means)
    if departments is not None:
        query = query.where(Assessment.department_id.in_(departments)).group_by(Assessment.department_id)
    out: dict[int | None, dict[str, float]] = {}
    for row in db.session.execute(query):
        values = row._mapping
        key = values["department_id"] if departments is not None else None
        out[key] = {code: float(values[code]) for code in codes if values[code] is not None}
    return out


def upheld_rate(results: list[Result]) -> float | None:
    return sum(r.verdict in UPHELD for r in results) / len(results) if results else None


@dataclass
class Row:
    """A department's line in a ranking: what the page, the chart and ``results ranking --json`` show."""

    department: str
    name: str
    standing: Standing
    upheld_rate: float
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        s = self.standing
        return {
            "department": self.department,
            "name": self.name,
            "cases": s.cases,
            "score": round(s.score, 2),
            "adjusted": round(s.adjusted, 2),
            "ci": [round(s.ci[0], 2), round(s.ci[1], 2)] if s.ci else None,
            "rank": s.rank,
            "rank_range": list(s.rank_range) if s.rank_range else None,
            "upheld_rate": round(self.upheld_rate, 4),
        }


def ranking(results: list[Result], min_cases: int = DEFAULT_MIN_CASES, seed: int = 0) -> list[Row]:
    """Departments ranked by severity-adjusted score with their bootstrap intervals and rank ranges."""
    if not results:
        return []
    groups = np.array([r.department_id for r in results])
    totals = np.array([r.total for r in results], dtype=float)
    adjusted = np.array([np.nan if r.adjusted is None else r.adjusted for r in results], dtype=float)
    found = standings(groups, totals, adjusted, min_cases=min_cases, seed=seed)
    by_department: dict[int, list[Result]] = defaultdict(list)
    for r in results:
        by_department[r.department_id].append(r)
    names = dict(
        (i, (code, name))
        for i, code, name in db.session.execute(
            sa.select(Department.id, Department.code, Department.name).where(
                Department.id.in_([int(s.group) for s in found])
            )
        )
    )
    return [
        Row(
            names[int(s.group)][0], names[int(s.group)][1], s, upheld_rate(by_department[int(s.group)]) or 0.0
        )
        for s in found
    ]


def criterion_titles() -> dict[str, tuple[str, str]]:
    """Each scored criterion's (Chinese, English) title by code, in rubric order, the latest version's words."""
    from rubrics.models import Criterion, CriterionRole

    rows = db.session.execute(
        sa.select(Criterion.code, Criterion.title_zh, Criterion.title_en)
        .where(Criterion.role == CriterionRole.SCORE)
        .order_by(Criterion.position, Criterion.id)
    ).all()
    titles: dict[str, tuple[str, str]] = {}
    for code, zh, en in rows:  # the first place a code takes, the last words it had
        titles[code] = (zh, en)
    return titles
