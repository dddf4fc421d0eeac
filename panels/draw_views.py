"""The draw's pages: the organizer opens a draw (its seed's fingerprint shown first), runs it, and reads every
exclusion it made. The draw itself is ``panels.draw``; its pure solver ``panels.assignment``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.batches.models import Batch
from evaluation.cases.models import Case
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.labels import label
from evaluation.web import page_arg, refusal_to
from panels import draw as draws
from panels.assignment import REASONS
from panels.models import Draw, Member, Recusal

# The URLs stay under the batch they belong to.
bp = Blueprint("draws", __name__, url_prefix="/batches")


def _to_batch(batch_id: int) -> str:
    return url_for("batches.show", batch_id=batch_id)


def _to_draw_batch(draw_id: int) -> str:
    draw = db.session.get(Draw, draw_id)
    return _to_batch(draw.batch_id) if draw else url_for("batches.index")


@bp.app_template_filter("draw_problem")
def draw_problem(problem: dict[str, Any]) -> str:
    """Why a draw is infeasible, in the reader's language, from the problem's kind and numbers (a draw stored
    before problems had kinds keeps its English sentence)."""
    kind = problem.get("kind")
    if kind not in REASONS:
        return str(problem.get("reason", ""))
    numbers = {k: v for k, v in problem.items() if isinstance(v, int) and not isinstance(v, bool)}
    parts = [_(REASONS[kind], role=label(problem["role"]) if problem.get("role") else "", **numbers)]
    parts += [_(REASONS[k], count=v) for k, v in (problem.get("details") or {}).items() if k in REASONS]
    return _("; ").join(parts)


@bp.post("/<int:batch_id>/draws")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_batch)
def open_draw(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    if ConfirmForm().validate_on_submit():
        draws.open_draw(batch, current_user.id)
        flash(_("A seed has been made. Note its fingerprint, then run the draw."), "info")
    return redirect(_to_batch(batch.id))


@bp.post("/draws/<int:draw_id>/run")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_draw_batch)
def run_draw(draw_id: int) -> Any:
    draw = get_or_403(Draw, draw_id)
    if ConfirmForm().validate_on_submit():
        result = draws.run_draw(draw)
        if result["status"] == "infeasible":
            flash(_("No panels can satisfy every rule; the reasons are listed with the draw."), "error")
        else:
            flash(_("Panels drawn. The seed is revealed; anyone can now verify the draw."), "success")
    return redirect(_to_batch(draw.batch_id))


@bp.get("/draws/<int:draw_id>/exclusions")
@roles_required(Role.ORGANIZER)
def exclusions(draw_id: int) -> str:
    """Every member a draw left out of a case, with the rule that excluded them; by case number if asked."""
    draw = get_or_403(Draw, draw_id)
    needle = (request.args.get("case") or "").strip()
    query = (
        sa.select(Recusal)
        .join(Case, Recusal.case_id == Case.id)
        .join(Member, Recusal.member_id == Member.id)
        .where(Recusal.draw_id == draw.id)
        .order_by(Case.external_id, Member.name, Recusal.id)
        .options(contains_eager(Recusal.case), contains_eager(Recusal.member))
    )
    if needle:
        query = query.where(Case.external_id.contains(needle, autoescape=True))
    page = db.paginate(
        query,
        page=page_arg(),
        per_page=current_app.config["EVALUATION_PAGE_SIZE"],
        error_out=False,
    )
    return render_template("panels/exclusions.html", draw=draw, batch=draw.batch, page=page, q=needle)
