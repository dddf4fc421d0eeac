"""The member's workspace: one case's page with the masked case and the rubric form; drafts and submission."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.batches.models import BatchItem, BatchState
from evaluation.cases.models import Case
from evaluation.cases.operations import record_view
from evaluation.db import writes_on_read
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.privacy import Visibility, present
from evaluation.scoring import operations as ops
from evaluation.scoring.models import SheetState
from evaluation.web import explain, refusal_to, wants_json
from panels.forms import DeclineForm
from panels.models import Panel, Seat
from rubrics.models import RubricVersion
from rubrics.operations import export_version

bp = Blueprint("scoring", __name__, url_prefix="/reviews")


def _seat(seat_id: int) -> Seat:
    """The member's own accepted seat, loaded with all the page needs in a fixed number of queries."""
    seat = db.session.scalar(
        sa.select(Seat)
        .where(Seat.id == seat_id)
        .options(
            joinedload(Seat.member),
            joinedload(Seat.panel).joinedload(Panel.batch_item).joinedload(BatchItem.batch),
        )
    )
    if seat is None:
        abort(404)
    if not seat.can_score(current_user):
        abort(403)
    return seat


def _page(seat: Seat, answers: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    item = seat.panel.batch_item
    sheet = ops.sheet_for(seat)
    case = db.session.execute(Case.for_page(item.case_id)).scalar_one()
    version = db.session.scalar(
        sa.select(RubricVersion)
        .where(RubricVersion.id == item.batch.rubric_version_id)
        .options(selectinload(RubricVersion.criteria))
    )
    record_view(case, current_user, Visibility.MASKED)
    return render_template(
        "evaluation/scoring/sheet.html",
        seat=seat,
        case=case,
        batch=item.batch,
        version=version,
        view=present(case, Visibility.MASKED, current_app.config["SECRET_KEY"]),
        sheet=sheet,
        answers=answers,
        errors=errors,
        locked=sheet.state != SheetState.DRAFT,
        confirm=ConfirmForm(),
        conflict_form=DeclineForm(),
        deliberation=_deliberation(seat, sheet),
    ), status


def _deliberation(seat: Seat, sheet: Any) -> dict[str, Any] | None:
    """The anonymised distribution, for a member who has submitted, once the batch is in deliberation."""
    item = seat.panel.batch_item
    if item.batch.state != BatchState.DELIBERATION or sheet.state == SheetState.DRAFT:
        return None
    info = item.deliberation or {}
    return {
        "flagged": item.in_deliberation,
        "reasons": info.get("reasons", []),
        "totals": info.get("totals", []),
        "verdicts": info.get("verdicts", {}),
        "outlier": seat.id in info.get("outliers", []),
        "can_revise": item.in_deliberation and sheet.state == SheetState.SUBMITTED,
    }


@bp.get("/seats/<int:seat_id>")
@writes_on_read  # the first open of a seat starts its sheet
@roles_required(Role.MEMBER)
def sheet(seat_id: int) -> Any:
    seat = _seat(seat_id)
    return _page(seat, ops.stored_answers(ops.sheet_for(seat)), {})


def _translated(errors: dict[str, list[tuple[str, dict[str, Any]]]]) -> dict[str, list[str]]:
    return {code: [_(message, **params) for message, params in messages] for code, messages in errors.items()}


def _expected_version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else None


def _refused(seat: Seat, answers: dict[str, Any], exc: ops.SheetError, status: int) -> Any:
    """A save, submission or revision refused: the answers come back with each field's reason."""
    status = 409 if exc.code in ("stale", "locked") else status
    if wants_json():
        return jsonify(
            error={"code": exc.code, "message": explain(exc), "fields": _translated(exc.errors)}
        ), status
    flash(explain(exc), "error")
    return _page(seat, answers, _translated(exc.errors), status)


def _answers(seat: Seat) -> dict[str, Any]:
    return ops.parse_form(export_version(seat.panel.batch_item.batch.rubric_version), request.form)


@bp.post("/seats/<int:seat_id>/save")
@roles_required(Role.MEMBER)
def save(seat_id: int) -> Any:
    seat = _seat(seat_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    answers = _answers(seat)
    try:
        sheet = ops.save_draft(seat, answers, _expected_version())
    except ops.SheetError as exc:
        return _refused(seat, answers, exc, 422)
    if wants_json():
        return jsonify(version=sheet.lock_version, saved=sheet.updated_dt.isoformat())
    flash(_("Draft saved."), "success")
    return redirect(url_for(".sheet", seat_id=seat.id))


@bp.post("/seats/<int:seat_id>/submit")
@roles_required(Role.MEMBER)
def submit(seat_id: int) -> Any:
    seat = _seat(seat_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    answers = _answers(seat)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the confirmation to submit: a submitted sheet can no longer be changed."), "error")
        return _page(seat, answers, {}, 400)
    try:
        ops.submit(seat, answers, _expected_version(), current_user.id)
    except ops.SheetError as exc:
        return _refused(seat, answers, exc, 400)
    flash(_("Submitted. Thank you: your sheet is now locked."), "success")
    return redirect(url_for(".sheet", seat_id=seat.id))


@bp.post("/seats/<int:seat_id>/conflict")
@roles_required(Role.MEMBER)
@refusal_to(lambda seat_id: url_for("scoring.sheet", seat_id=seat_id))
def declare_conflict(seat_id: int) -> Any:
    """Before submitting, a member may declare a conflict with the case: the seat is recused and refilled."""
    seat = _seat(seat_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(_("Please give a reason."), "error")
        return redirect(url_for(".sheet", seat_id=seat.id))
    ops.declare_conflict(seat, form.reason.data)
    flash(
        _("Your conflict is recorded and you are recused from this case; a substitute takes the seat."),
        "success",
    )
    return redirect(url_for("batches.my_seats"))


@bp.post("/seats/<int:seat_id>/revise")
@roles_required(Role.MEMBER)
def revise(seat_id: int) -> Any:
    seat = _seat(seat_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    answers = _answers(seat)
    try:
        ops.revise(seat, answers, request.form.get("reason", ""), current_user.id)
    except ops.SheetError as exc:
        return _refused(seat, answers, exc, 400)
    flash(_("Your revision is recorded with its reason."), "success")
    return redirect(url_for(".sheet", seat_id=seat.id))
