"""The administrator's pages: users (create, edit roles, department and agency, deactivate, reactivate, send a
password link) and the webhook deliveries (by state, dead ones sent again). The command line stays for scripts; nothing an office needs is only there."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from evaluation.access import roles_required
from evaluation.accounts import links
from evaluation.accounts.models import ApiClient, Role, User
from evaluation.accounts.operations import save_user
from evaluation.admin.forms import UserForm
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.org.models import Department
from evaluation.publication.models import OutboxMessage, OutboxState
from evaluation.publication.outbox import replay
from evaluation.text import UserError
from evaluation.web import mark, page_arg, refusal_to
from procurement.models import Agency

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@roles_required(Role.ADMIN)
def users() -> str:
    query = sa.select(User).options(selectinload(User.department)).order_by(User.username)
    needle = (request.args.get("q") or "").strip()
    if needle:
        query = query.where(
            sa.or_(
                *(
                    column.contains(needle, autoescape=True)
                    for column in (User.username, User.display_name, User.email)
                )
            )
        )
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    return render_template("evaluation/admin/users.html", page=page, q=needle)


def _form(user: User | None) -> UserForm:
    form = UserForm(obj=user) if request.method == "GET" and user is not None else UserForm()
    departments = db.session.execute(
        sa.select(Department.id, Department.code, Department.name).order_by(Department.code)
    )
    form.department.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(i), f"{n} ({c})") for i, c, n in departments
    ]
    agencies = db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name))
    form.agency.choices = [SelectChoice("", "—")] + [SelectChoice(str(i), n) for i, n in agencies]
    if request.method == "GET" and user is not None:
        form.roles.data = sorted(user.roles)
        form.department.data = str(user.department_id or "")
        form.agency.data = str(user.agency_id or "")
    return form


def _user_page(user: User | None) -> Any:
    form = _form(user)
    if form.validate_on_submit():
        values = {
            "username": form.username.data,
            "display_name": form.display_name.data,
            "email": form.email.data,
            "roles": form.roles.data or [],
            "active": form.active.data,
            "department_id": int(form.department.data) if form.department.data else None,
            "agency_id": int(form.agency.data) if form.agency.data else None,
        }
        try:
            saved = save_user(user, values, current_user.id)
        except UserError as exc:
            mark(form, exc)
        else:
            flash(
                _("User %(name)s saved.", name=saved.username)
                if user is not None
                else _(
                    "User %(name)s created; an e-mail with a link to set the password is on its way.",
                    name=saved.username,
                ),
                "success",
            )
            return redirect(url_for(".edit_user", user_id=saved.id))
    status = 400 if form.is_submitted() else 200
    return render_template("evaluation/admin/user.html", user=user, form=form, confirm=ConfirmForm()), status


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user() -> Any:
    return _user_page(None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    return _user_page(db.get_or_404(User, user_id))


def _to_user(user_id: int) -> str:
    return url_for("admin.edit_user", user_id=user_id)


@bp.post("/users/<int:user_id>/password-link")
@roles_required(Role.ADMIN)
@refusal_to(_to_user)
def send_password_link(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    links.send_reset(user, current_user.id)
    flash(
        _("An e-mail with a link to set a new password is on its way to %(email)s.", email=user.email),
        "success",
    )
    return redirect(_to_user(user.id))


# --- webhook deliveries: by state, with attempts and the last error; dead ones replayed ------------------------


@bp.get("/outbox")
@roles_required(Role.ADMIN)
def outbox() -> str:
    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)
        ).all()
    )
    shown = request.args.get("state") or "dead"
    try:
        state = OutboxState(shown)
    except ValueError:
        state = OutboxState.DEAD
    query = sa.select(OutboxMessage).where(OutboxMessage.state == state).order_by(OutboxMessage.id.desc())
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    clients = dict(db.session.execute(sa.select(ApiClient.id, ApiClient.name)).all())
    return render_template(
        "evaluation/admin/outbox.html",
        page=page,
        state=state,
        states=list(OutboxState),
        counts=counts,
        clients=clients,
        form=ConfirmForm(),
    )


@bp.post("/outbox/replay")
@roles_required(Role.ADMIN)
def replay_outbox() -> Any:
    """Dead messages due again: the ones ticked, or all of them."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ids = [int(i) for i in request.form.getlist("message_ids") if i.isdigit()]
    if not ids and request.form.get("all") != "yes":
        flash(_("Tick the messages to send again, or send all of them."), "error")
        return redirect(url_for(".outbox"))
    count = replay(None if request.form.get("all") == "yes" else ids)
    flash(_("%(n)d messages will be sent again.", n=count), "success")
    return redirect(url_for(".outbox", state="pending"))
