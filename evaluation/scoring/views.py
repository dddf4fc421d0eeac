"""The member's workspace: one case's page with the masked case and the rubric form; drafts and submission."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.batches.models import BatchItem, BatchState
from evaluation.cases.models import Case, HandlingStep
from evaluation.cases.operations import Visibility, record_view
from evaluation.cases.views import present
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.privacy import mask_text
from evaluation.scoring import operations as ops
from evaluation.scoring.models import SheetState
from evaluation.web import explain, wants_json
from panels import pool
from panels.forms import DeclineForm
from panels.models import Panel, Seat, SeatState
from rubrics.models import RubricVersion
from rubrics.operations import export_version

bp = Blueprint("scoring", __name__, url_prefix="/reviews")


def _seat(seat_id: int) -> Seat:
    """The member's own seat, loaded with all the page needs in a fixed number of queries."""
    seat = db.session.scalar(
        sa.select(Seat).where(Seat.id == seat_id).options(
            joinedload(Seat.member),
            joinedload(Seat.panel).joinedload(Panel.batch_item).joinedload(BatchItem.batch),
        ))
    if seat is None:
        abort(404)
    if seat.member.user_id != current_user.id or seat.state not in (SeatState.ACCEPTED,):
        abort(403)
    return seat


def _page(seat: Seat, answers: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    item = seat.panel.batch_item
    sheet = ops.sheet_for(seat)
    case = db.session.scalar(sa.select(Case).where(Case.id == item.case_id).options(
        joinedload(Case.lead_department), selectinload(Case.assisting_departments),
        selectinload(Case.steps).joinedload(HandlingStep.department), selectinload(Case.attachments),
        selectinload(Case.verification_calls)))
    version = db.session.scalar(sa.select(RubricVersion).where(RubricVersion.id == item.batch.rubric_version_id)
                                .options(selectinload(RubricVersion.criteria)))
    calls = [{"called_dt": c.called_dt, "reached": c.reached, "account": mask_text(c.account)}
             for c in case.verification_calls]
    html = render_template("evaluation/scoring/sheet.html", seat=seat, case=case, batch=item.batch, version=version,
                           view=present(case, Visibility.MASKED), sheet=sheet, answers=answers, errors=errors,
                           calls=calls, locked=sheet.state != SheetState.DRAFT, confirm=ConfirmForm(),
                           conflict_form=DeclineForm(), deliberation=_deliberation(seat, sheet))
    # Log the view after rendering: a commit first would expire what the page has loaded.
    record_view(case, current_user, Visibility.MASKED)
    db.session.commit()
    return html, status


def _deliberation(seat: Seat, sheet: Any) -> dict[str, Any] | None:
    """The anonymised distribution, for a member who has submitted, once the batch is in deliberation."""
    item = seat.panel.batch_item
    if item.batch.state != BatchState.DELIBERATION or sheet.state == SheetState.DRAFT:
        return None
    info = item.deliberation or {}
    return {"flagged": item.in_deliberation, "reasons": info.get("reasons", []), "totals": info.get("totals", []),
            "verdicts": info.get("verdicts", {}), "outlier": seat.id in info.get("outliers", []),
            "can_revise": item.in_deliberation and sheet.state == SheetState.SUBMITTED}


@bp.get("/seats/<int:seat_id>")
@roles_required(Role.MEMBER)
def sheet(seat_id: int) -> Any:
    seat = _seat(seat_id)
    return _page(seat, ops.stored_answers(ops.sheet_for(seat)), {})


def _translated(errors: dict[str, list[tuple[str, dict[str, Any]]]]) -> dict[str, list[str]]:
    return {code: [_(message, **params) for message, params in messages] for code, messages in errors.items()}


def _expected_version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else None


@bp.post("/seats/<int:seat_id>/save")
@roles_required(Role.MEMBER)
def save(seat_id: int) -> Any:
    seat = _seat(seat_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    answers = ops.parse_form(export_version(seat.panel.batch_item.batch.rubric_version), request.form)
    try:
        sheet = ops.save_draft(seat, answers, _expected_version())
        db.session.commit()
    except ops.SheetError as exc:
        db.session.rollback()
        if wants_json():
            return jsonify(error={"code": exc.code, "message": explain(exc), "fields": _translated(exc.errors)}), 409 \
                if exc.code in ("stale", "locked") else 422
        flash(explain(exc), "error")
        return _page(seat, answers, _translated(exc.errors), 409 if exc.code in ("stale", "locked") else 422)
    except StaleDataError:
        db.session.rollback()
        message = _("This sheet was changed in another window or device. Reload the page to see the latest "
                    "answers before you go on.")
        if wants_json():
            return jsonify(error={"code": "stale", "message": message}), 409
        flash(message, "error")
        return redirect(url_for(".sheet", seat_id=seat.id))
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
    answers = ops.parse_form(export_version(seat.panel.batch_item.batch.rubric_version), request.form)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the confirmation to submit: a submitted sheet can no longer be changed."), "error")
        return _page(seat, answers, {}, 400)
    try:
        ops.submit(seat, answers, _expected_version(), current_user.id)
        db.session.commit()
    except ops.SheetError as exc:
        db.session.rollback()
        flash(explain(exc), "error")
        return _page(seat, answers, _translated(exc.errors), 409 if exc.code in ("stale", "locked") else 400)
    except StaleDataError:
        db.session.rollback()
        flash(_("This sheet was submitted in another window or device."), "error")
        return redirect(url_for(".sheet", seat_id=seat.id))
    flash(_("Submitted. Thank you: your sheet is now locked."), "success")
    return redirect(url_for(".sheet", seat_id=seat.id))


@bp.post("/seats/<int:seat_id>/conflict")
@roles_required(Role.MEMBER)
def declare_conflict(seat_id: int) -> Any:
    """Before submitting, a member may declare a conflict with the case: the seat is recused and refilled."""
    seat = _seat(seat_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(_("Please give a reason."), "error")
        return redirect(url_for(".sheet", seat_id=seat.id))
    sheet = ops.sheet_for(seat)
    if sheet.state != SheetState.DRAFT:
        flash(_("This sheet has been submitted and is locked."), "error")
        return redirect(url_for(".sheet", seat_id=seat.id))
    pool.declare_conflict(seat.member, form.reason.data, case_id=seat.panel.batch_item.case_id)  # recuses the seat
    db.session.commit()
    flash(_("Your conflict is recorded and you are recused from this case; a substitute takes the seat."), "success")
    return redirect(url_for("batches.my_seats"))


@bp.post("/seats/<int:seat_id>/revise")
@roles_required(Role.MEMBER)
def revise(seat_id: int) -> Any:
    seat = _seat(seat_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    answers = ops.parse_form(export_version(seat.panel.batch_item.batch.rubric_version), request.form)
    try:
        ops.revise(seat, answers, request.form.get("reason", ""), current_user.id)
        db.session.commit()
    except ops.SheetError as exc:
        db.session.rollback()
        flash(explain(exc), "error")
        return _page(seat, answers, _translated(exc.errors), 409 if exc.code == "locked" else 400)
    flash(_("Your revision is recorded with its reason."), "success")
    return redirect(url_for(".sheet", seat_id=seat.id))
