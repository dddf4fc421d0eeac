"""Appraisal points from a period's results, exact decimals, every input beside its points so any figure can be
checked by hand:

    points(input) = weight × value, held within ±cap;    total = the sum of the inputs' points

The inputs: ``adjusted_score`` (the mean severity-adjusted score, 0–100), ``upheld_rate`` (the share of cases
upheld or partly upheld, 0–1), ``appeals_upheld`` (the appeals accepted for re-review) and
``rectifications_on_time`` (the share of the rectifications due in the period first reported by their due date,
0–1; a department that owed none gets no points for it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from evaluation.appeals.models import Appeal, AppealState
from evaluation.appraisal.models import AppraisalWeight
from evaluation.clock import to_local
from evaluation.extensions import db
from evaluation.org.models import Department
from evaluation.rectifications.models import Rectification
from evaluation.results import standings as st

INPUTS = ("adjusted_score", "upheld_rate", "appeals_upheld", "rectifications_on_time")
DEFAULTS: dict[str, tuple[Decimal, Decimal | None]] = {
    "adjusted_score": (Decimal("0.6"), Decimal("60")),
    "upheld_rate": (Decimal("-20"), Decimal("20")),
    "appeals_upheld": (Decimal("0"), None),
    "rectifications_on_time": (Decimal("10"), Decimal("10")),
}
CENT = Decimal("0.01")


def weights() -> dict[str, tuple[Decimal, Decimal | None]]:
    """The organizer's weights and caps, the defaults where none is set."""
    stored = {w.input: (w.weight, w.cap) for w in db.session.scalars(sa.select(AppraisalWeight))}
    return {name: stored.get(name, DEFAULTS[name]) for name in INPUTS}


def points(value: Decimal | None, weight: Decimal, cap: Decimal | None) -> Decimal:
    if value is None:
        return Decimal("0.00")
    raw = weight * value
    if cap is not None:
        raw = max(-cap, min(cap, raw))
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Line:
    department: str
    name: str
    cases: int
    values: dict[str, Decimal | None]
    points: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.points.values(), Decimal("0.00"))


def _decimal(value: float | None, places: str = "0.0001") -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _extra_inputs(period: st.Period) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    start, end = period.bounds()
    appeals = dict(
        db.session.execute(
            sa.select(Appeal.department_id, sa.func.count(Appeal.id))
            .where(
                Appeal.filed_dt >= start,
                Appeal.filed_dt < end,
                Appeal.state.in_([AppealState.ACCEPTED, AppealState.DECIDED]),
            )
            .group_by(Appeal.department_id)
        ).all()
    )
    due: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for department_id, due_date, first in db.session.execute(
        sa.select(Rectification.department_id, Rectification.due_date, Rectification.first_filed_dt).where(
            Rectification.due_date >= period.start, Rectification.due_date <= period.end
        )
    ):
        owed, kept = due[department_id]
        due[department_id] = (owed + 1, kept + int(first is not None and to_local(first).date() <= due_date))
    return appeals, due


def lines(period: st.Period, filters: st.Filters | None = None) -> list[Line]:
    """Each department with published results in the period, highest total first."""
    results = st.current(period, filters)
    by_department: dict[int, list[st.Result]] = defaultdict(list)
    for r in results:
        by_department[r.department_id].append(r)
    appeals, due = _extra_inputs(period)
    rules = weights()
    names = {
        i: (code, name)
        for i, code, name in db.session.execute(
            sa.select(Department.id, Department.code, Department.name).where(
                Department.id.in_(list(by_department))
            )
        )
    }
    out = []
    for department_id, rows in by_department.items():
        owed, kept = due.get(department_id, (0, 0))
        adjusted = [r.adjusted if r.adjusted is not None else r.total for r in rows]
        values: dict[str, Decimal | None] = {
            "adjusted_score": _decimal(sum(adjusted) / len(adjusted), "0.01"),
            "upheld_rate": _decimal(st.upheld_rate(rows)),
            "appeals_upheld": Decimal(appeals.get(department_id, 0)),
            "rectifications_on_time": _decimal(kept / owed) if owed else None,
        }
        code, name = names[department_id]
        out.append(Line(code, name, len(rows), values, {k: points(values[k], *rules[k]) for k in INPUTS}))
    return sorted(out, key=lambda line: (-line.total, line.department))


def table(period: st.Period, filters: st.Filters | None = None) -> list[list[Any]]:
    """The export: every input beside its points, and the total."""
    from flask_babel import gettext as _

    from evaluation.labels import label

    header = [_("Department code"), _("Department"), _("Cases")]
    for name in INPUTS:
        header += [label(name), _("%(input)s: points", input=label(name))]
    header.append(_("Total points"))
    rows: list[list[Any]] = [header]
    for line in lines(period, filters):
        row: list[Any] = [line.department, line.name, line.cases]
        for name in INPUTS:
            row += [line.values[name], line.points[name]]
        row.append(line.total)
        rows.append(row)
    return rows
