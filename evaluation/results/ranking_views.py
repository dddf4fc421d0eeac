"""The organizer's and leadership's views of a period: departments ranked by severity-adjusted score with their
intervals and rank ranges, and the criterion heat map; filters by period, department kind, district and category."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import SelectChoice

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.assessments.results import READINGS
from evaluation.batches.models import Batch
from evaluation.cases.models import Case
from evaluation.charts import heat_map, interval_chart, trend_chart
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.labels import lazy_label
from evaluation.org.models import DepartmentKind, Region, RegionLevel
from evaluation.ranking import DEFAULT_MIN_CASES
from evaluation.results import export, quality
from evaluation.results import standings as st
from evaluation.results.forms import PeriodForm
from evaluation.text import N_, UserError
from evaluation.web import localized, mark, refusal_to, with_query

bp = Blueprint("standings", __name__, url_prefix="/standings")

HEAT_MAP_ROWS = 30  # the best and worst are what a reader looks for; the table has them all
CHART_ROWS = 40  # beyond it, the best and the worst halves of it (drawing 500 rows takes seconds)


def _choices(form: PeriodForm) -> None:
    everything = SelectChoice("", _("All"))
    form.kind.choices = [everything] + [SelectChoice(k.value, lazy_label(k)) for k in DepartmentKind]
    districts = db.session.execute(
        sa.select(Region.code, Region.name).where(Region.level == RegionLevel.DISTRICT).order_by(Region.code)
    ).all()
    form.district.choices = [everything] + [SelectChoice(code, name) for code, name in districts]
    categories = db.session.scalars(sa.select(Case.category).distinct().order_by(Case.category))
    form.category.choices = [everything] + [SelectChoice(c, c) for c in categories if c]


def period_and_filters(form: PeriodForm) -> tuple[st.Period, st.Filters]:
    """The form's period (six months to today when left empty) and filters; refused in the user's words."""
    if not form.validate():  # the fields carry their own messages; the page says to look at them
        raise UserError(N_("Please correct the marked fields."))
    today = to_local(utcnow()).date()
    period = st.Period.parse(
        form.start.data.isoformat() if form.start.data else None,
        form.end.data.isoformat() if form.end.data else None,
        today,
    )
    return period, st.Filters(form.kind.data or None, form.district.data or None, form.category.data or None)


def _charts(rows: list[st.Row], period: st.Period, filters: st.Filters) -> dict[str, Any]:
    if not rows:
        return {}
    drawn = rows if len(rows) <= CHART_ROWS else rows[: CHART_ROWS // 2] + rows[-CHART_ROWS // 2 :]
    labels = [
        f"{r.name} ({r.standing.rank_range[0]}–{r.standing.rank_range[1]})"
        if r.standing.rank_range
        else r.name
        for r in drawn
    ]
    intervals = interval_chart(
        labels,
        [r.standing.adjusted for r in drawn],
        [r.standing.ci for r in drawn],
        hollow=[r.standing.rank is None for r in drawn],
        title=_("Severity-adjusted score with its 95 percent interval"),
        xlabel=_("Severity-adjusted score"),
    )
    titles = st.criterion_titles()
    shown = rows[:HEAT_MAP_ROWS]
    by_department = st.criterion_means(
        period, list(titles), filters, departments=[int(r.standing.group) for r in shown]
    )
    means = [by_department.get(int(r.standing.group), {}) for r in shown]
    codes = [c for c in titles if any(c in m for m in means)]
    grid = heat_map(
        [r.name for r in shown],
        [localized(*titles[c]) for c in codes],
        [[m.get(c) for c in codes] for m in means],
        title=_("Mean score by criterion and department"),
    )
    return {
        "intervals": Markup(intervals),  # noqa: S704 - our own SVG
        "heat_map": Markup(grid),  # noqa: S704 - our own SVG
        "heat_map_rows": len(shown),
        "heat_map_table": {
            "columns": [localized(*titles[c]) for c in codes],
            "rows": [(r.name, [m.get(c) for c in codes]) for r, m in zip(shown, means, strict=True)],
        },
        "cut": len(drawn) < len(rows),
    }


@bp.get("/ranking")
@roles_required(Role.ORGANIZER)
def ranking() -> Any:
    form = PeriodForm(request.args)
    _choices(form)
    try:
        period, filters = period_and_filters(form)
    except UserError as exc:
        mark(form, exc)
        return render_template("evaluation/results/ranking.html", form=form, rows=[], charts={}), 400
    results = st.current(period, filters)
    rows = st.ranking(results)
    return render_template(
        "evaluation/results/ranking.html",
        form=form,
        period=period,
        rows=rows,
        charts=_charts(rows, period, filters),
        min_cases=DEFAULT_MIN_CASES,
        cases=len(results),
        upheld_rate=st.upheld_rate(results),
    )


def download(rows: list[list[Any]], fmt: str, name: str) -> Response:
    """An export as an attachment, named in the user's language."""
    body = export.render(rows, fmt)
    mimetype = (
        "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.{fmt}"},
    )


@bp.get("/export.<fmt>")
@roles_required(Role.ORGANIZER)
@refusal_to(lambda fmt: with_query(url_for("standings.ranking")))
def export_assessments(fmt: str) -> Any:
    """The assessments behind the ranking (the same period and filters), or one batch's (``?batch=ID``)."""
    if fmt not in export.FORMATS:
        abort(404)
    batch_id = request.args.get("batch", type=int)
    if batch_id is not None:
        batch = get_or_403(Batch, batch_id)
        return download(export.table(batch_id=batch.id), fmt, f"{_('Assessments')}-{batch.name}")
    form = PeriodForm(request.args)
    _choices(form)
    period, filters = period_and_filters(form)  # a refusal goes back to the ranking, in words
    rows = export.table(period, filters)
    return download(rows, fmt, f"{_('Assessments')}-{period.start.isoformat()}-{period.end.isoformat()}")


@bp.get("/panels")
@roles_required(Role.ORGANIZER)
def panels() -> Any:
    """Agreement per batch over time, and members' workload and timeliness, over a period."""
    form = PeriodForm(request.args)
    _choices(form)
    try:
        period, _filters = period_and_filters(form)
    except UserError as exc:
        mark(form, exc)
        return render_template("evaluation/results/panels.html", form=form, batches=[], members=[]), 400
    batches = quality.agreement(period)
    chart = None
    if batches:
        chart = Markup(  # noqa: S704 - our own SVG
            trend_chart(
                [b["batch"].name for b in batches],
                {
                    _("Agreement on the verdict (α)"): [b["verdict_alpha"] for b in batches],
                    _("Mean α of the scored criteria"): [b["criteria_alpha"] for b in batches],
                },
                title=_("Agreement of the panels, batch by batch"),
                ylabel="α",
            )
        )
    return render_template(
        "evaluation/results/panels.html",
        form=form,
        period=period,
        batches=batches,
        chart=chart,
        members=quality.workload(period),
        readings=READINGS,
    )
