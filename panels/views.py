from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from panels import invitations
from panels.forms import DeclineForm
from panels.models import Member, MemberRole, Seat

bp = Blueprint("panels", __name__, url_prefix="/panels")


@bp.get("/members")
@roles_required(Role.ORGANIZER)
def index() -> str:
    role = request.args.get("role") or None
    query = sa.select(Member).options(joinedload(Member.affiliation)).order_by(Member.role, Member.name)
    if role in {r.value for r in MemberRole}:
        query = query.where(Member.role == role)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    return render_template("panels/index.html", page=page, role=role, roles=list(MemberRole))


# --- invitations -------------------------------------------------------------------------------------------------

def _answer(seat: Seat, form_kind: str) -> tuple[bool, Any]:
    """Accept or decline a seat; shared by the e-mailed link and the in-app buttons."""
    if form_kind == "accept":
        form = ConfirmForm()
        if form.validate_on_submit():
            invitations.accept(seat)
            db.session.commit()
            flash(_("Thank you: you have accepted the seat."), "success")
            return True, form
        return False, form
    form = DeclineForm()
    if form.validate_on_submit():
        replacement = invitations.decline(seat, form.reason.data)
        db.session.commit()
        flash(_("You have declined; the seat goes to a substitute.") if replacement
              else _("You have declined. The organizer will find someone for the seat."), "success")
        return True, form
    return False, form


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Any:
    """The page an invitation e-mail links to; the signed, expiring token stands for the member."""
    try:
        seat = invitations.seat_from_token(token)
    except invitations.InvitationError as exc:
        return render_template("panels/invitation.html", error=_(str(exc)), seat=None), 400
    decline_form, accept_form = DeclineForm(), ConfirmForm()
    if request.method == "POST":
        kind = "decline" if request.form.get("answer") == "decline" else "accept"
        try:
            done, form = _answer(seat, kind)
        except invitations.InvitationError as exc:
            db.session.rollback()
            flash(_(str(exc)), "error")
            return redirect(url_for(".invitation", token=token))
        if done:
            return redirect(url_for(".invitation", token=token))
        if kind == "decline":
            decline_form = form
        return render_template("panels/invitation.html", seat=seat, token=token, accept_form=accept_form,
                               decline_form=decline_form, show_decline=True), 400
    return render_template("panels/invitation.html", seat=seat, token=token, accept_form=accept_form,
                           decline_form=decline_form, show_decline=request.args.get("answer") == "decline")


def _own_seat(seat_id: int) -> Seat:
    seat = db.session.get(Seat, seat_id)
    if seat is None:
        abort(404)
    if seat.member.user_id != current_user.id:
        abort(403)
    return seat


@bp.post("/seats/<int:seat_id>/accept")
@roles_required(Role.MEMBER)
def accept_seat(seat_id: int) -> Any:
    seat = _own_seat(seat_id)
    try:
        _answer(seat, "accept")
    except invitations.InvitationError as exc:
        db.session.rollback()
        flash(_(str(exc)), "error")
    return redirect(url_for("batches.my_seats"))


@bp.post("/seats/<int:seat_id>/decline")
@roles_required(Role.MEMBER)
def decline_seat(seat_id: int) -> Any:
    seat = _own_seat(seat_id)
    try:
        done, form = _answer(seat, "decline")
    except invitations.InvitationError as exc:
        db.session.rollback()
        flash(_(str(exc)), "error")
        return redirect(url_for("batches.my_seats"))
    if not done:
        flash(_("Please give a reason."), "error")
    return redirect(url_for("batches.my_seats"))
