"""The organizer's rectification reports: listed by state (reports waiting first), read, accepted or returned."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.extensions import db
from evaluation.rectifications import operations as ops
from evaluation.rectifications.forms import ReviewForm
from evaluation.rectifications.models import Rectification, RectificationState
from evaluation.web import mark, page_arg

bp = Blueprint("rectifications", __name__, url_prefix="/rectifications")


@bp.get("/")
@roles_required(Role.ORGANIZER)
def index() -> str:
    wanted = request.args.get("state") or ""
    states = [s for s in RectificationState if s.value == wanted] or list(RectificationState)
    query = (
        sa.select(Rectification)
        .where(Rectification.state.in_(states))
        .options(joinedload(Rectification.case), joinedload(Rectification.department))
        .order_by(
            (Rectification.state == RectificationState.FILED).desc(), Rectification.due_date, Rectification.id
        )
    )
    counts = dict(
        db.session.execute(
            sa.select(Rectification.state, sa.func.count(Rectification.id)).group_by(Rectification.state)
        ).all()
    )
    return render_template(
        "evaluation/rectifications/index.html",
        page=db.paginate(query, page=page_arg(), per_page=50, error_out=False),
        counts=counts,
        states=list(RectificationState),
        wanted=wanted,
        on_time=ops.on_time,
    )


def _page(rectification: Rectification, form: ReviewForm) -> str:
    return render_template(
        "evaluation/rectifications/show.html", r=rectification, form=form, on_time=ops.on_time(rectification)
    )


@bp.get("/<int:rectification_id>")
@roles_required(Role.ORGANIZER)
def show(rectification_id: int) -> str:
    return _page(get_or_403(Rectification, rectification_id), ReviewForm())


@bp.post("/<int:rectification_id>/review")
@roles_required(Role.ORGANIZER)
def review(rectification_id: int) -> Any:
    rectification = get_or_403(Rectification, rectification_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _page(rectification, form), 400
    try:
        ops.review(rectification, form.decision.data == "accept", form.note.data or "", current_user)
    except ops.RectificationError as exc:
        mark(form, exc)
        return _page(rectification, form), exc.status
    flash(
        _("The report is accepted.") if form.decision.data == "accept" else _("The report is returned."),
        "success",
    )
    return redirect(url_for("rectifications.show", rectification_id=rectification.id))
