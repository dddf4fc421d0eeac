"""The organizer's appeals: the list by state, one appeal beside the assessment it contests, and the decision."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.appeals import operations as appeal_ops
from evaluation.appeals.forms import DecisionForm
from evaluation.appeals.models import Appeal, AppealState
from evaluation.extensions import db
from evaluation.web import mark, page_arg

bp = Blueprint("appeals", __name__, url_prefix="/appeals")


@bp.get("/")
@roles_required(Role.ORGANIZER)
def index() -> str:
    """Appeals by state, those waiting for a decision first; the oldest of them at the top."""
    wanted = request.args.get("state") or ""
    states = [s for s in AppealState if s.value == wanted] or list(AppealState)
    query = (
        sa.select(Appeal)
        .where(Appeal.state.in_(states))
        .options(joinedload(Appeal.case), joinedload(Appeal.department), joinedload(Appeal.assessment))
        .order_by((Appeal.state == AppealState.FILED).desc(), Appeal.filed_dt, Appeal.id)
    )
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    counts = dict(
        db.session.execute(sa.select(Appeal.state, sa.func.count(Appeal.id)).group_by(Appeal.state)).all()
    )
    return render_template(
        "evaluation/appeals/index.html", page=page, counts=counts, states=list(AppealState), wanted=wanted
    )


def _page(appeal: Appeal, form: DecisionForm) -> str:
    return render_template(
        "evaluation/appeals/show.html",
        appeal=appeal,
        assessment=appeal.assessment,
        deadline=appeal_ops.deadline(appeal.assessment),
        form=form,
    )


@bp.get("/<int:appeal_id>")
@roles_required(Role.ORGANIZER)
def show(appeal_id: int) -> str:
    return _page(get_or_403(Appeal, appeal_id), DecisionForm())


@bp.post("/<int:appeal_id>/decide")
@roles_required(Role.ORGANIZER)
def decide(appeal_id: int) -> Any:
    appeal = get_or_403(Appeal, appeal_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _page(appeal, form), 400
    accept = form.decision.data == "accept"
    try:
        appeal_ops.decide_appeal(appeal, accept, form.note.data, current_user)
    except appeal_ops.AppealError as exc:
        mark(form, exc)
        return _page(appeal, form), exc.status
    if accept:
        flash(
            _(
                "The appeal is accepted. The case is back among the eligible cases: put it in a new batch, and "
                "the draw will leave out every member of its earlier panel."
            ),
            "success",
        )
    else:
        flash(_("The appeal is rejected; the department is told why."), "success")
    return redirect(url_for("appeals.show", appeal_id=appeal.id))
