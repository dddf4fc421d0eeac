"""The organizer's appraisal (绩效考核) page: the formula with its weights and caps (editable), each department's
inputs and points over a period, exported to CSV and XLSX with every input beside its points."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.appraisal import scoring
from evaluation.appraisal.models import AppraisalWeight
from evaluation.audit.operations import record
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.labels import label
from evaluation.results.forms import PeriodForm
from evaluation.results.ranking_views import _choices, download, period_and_filters
from evaluation.text import N_, UserError
from evaluation.web import mark, refusal_to, with_query

bp = Blueprint("appraisal", __name__, url_prefix="/appraisal")
LIMIT = Decimal("1000")


@bp.get("/")
@roles_required(Role.ORGANIZER)
def index() -> Any:
    form = PeriodForm(request.args)
    _choices(form)
    rules = scoring.weights()
    try:
        period, filters = period_and_filters(form)
    except UserError as exc:
        mark(form, exc)
        return render_template(
            "evaluation/appraisal/index.html", form=form, lines=[], rules=rules, confirm=ConfirmForm()
        ), 400
    return render_template(
        "evaluation/appraisal/index.html",
        form=form,
        period=period,
        rules=rules,
        lines=scoring.lines(period, filters),
        inputs=scoring.INPUTS,
        confirm=ConfirmForm(),
    )


def _number(name: str, text: str | None) -> Decimal:
    """A weight or a cap as typed, refused in words naming the input."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise UserError(
            N_("%(input)s: not a number (%(value)s)."), input=label(name), value=text or ""
        ) from None
    if not value.is_finite() or abs(value) > LIMIT:
        raise UserError(
            N_("%(input)s: between −%(limit)s and %(limit)s."), input=label(name), limit=str(LIMIT)
        )
    return value


@bp.post("/weights")
@roles_required(Role.ORGANIZER)
@refusal_to(lambda: url_for("appraisal.index"))
def save_weights() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    changed = {}
    for name in scoring.INPUTS:
        weight = _number(name, request.form.get(f"{name}-weight"))
        cap_text = (request.form.get(f"{name}-cap") or "").strip()
        cap = abs(_number(name, cap_text)) if cap_text else None
        row = db.session.get(AppraisalWeight, name) or AppraisalWeight(input=name)
        row.weight, row.cap = weight, cap
        db.session.add(row)
        changed[name] = [str(weight), None if cap is None else str(cap)]
    db.session.flush()
    record("appraisal.weights", "appraisal", "weights", changed, actor_id=current_user.id)
    flash(_("The weights and caps are saved."), "success")
    return redirect(with_query(url_for("appraisal.index")))


@bp.get("/export.<fmt>")
@roles_required(Role.ORGANIZER)
@refusal_to(lambda fmt: with_query(url_for("appraisal.index")))
def export(fmt: str) -> Any:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    form = PeriodForm(request.args)
    _choices(form)
    period, filters = period_and_filters(form)
    name = f"{_('Appraisal points')}-{period.start.isoformat()}-{period.end.isoformat()}"
    return download(scoring.table(period, filters), fmt, name)
