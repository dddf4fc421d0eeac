"""Agencies (第三方评议机构): the organizer's list, and the form that creates or edits one — the credit code checked
by its check character, the status with its reason and period."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role, User
from evaluation.audit.operations import record
from evaluation.extensions import db
from procurement.expert_models import AgencyReview
from procurement.forms import AgencyForm
from procurement.models import Agency, AgencyStatus
from procurement.views import bp

FIELDS = (
    "name",
    "qualifications",
    "contact_name",
    "contact_phone",
    "email",
    "address",
    "status_reason",
    "status_until",
)


@bp.get("/agencies")
@roles_required(Role.ORGANIZER)
def agencies() -> str:
    rows = db.session.scalars(sa.select(Agency).order_by(Agency.name)).all()
    return render_template("procurement/agencies.html", agencies=rows)


def _save(agency: Agency | None, form: AgencyForm) -> Agency | None:
    """The form's values into ``agency`` (a new one when None); None when the credit code is taken."""
    code = form.credit_code.data.strip().upper()
    taken = db.session.scalar(sa.select(Agency.id).where(Agency.credit_code == code))
    if taken is not None and (agency is None or taken != agency.id):
        form.credit_code.errors = [_("Another agency has this credit code.")]
        return None
    agency = agency or Agency()
    for name in FIELDS:
        value = getattr(form, name).data
        setattr(agency, name, (value.strip() or None) if isinstance(value, str) else value)
    agency.name, agency.credit_code = form.name.data.strip(), code
    agency.status = AgencyStatus(form.status.data)
    if agency.status == AgencyStatus.ACTIVE:
        agency.status_reason = agency.status_until = None
    db.session.add(agency)
    db.session.flush()
    record(
        "agency.saved",
        "agency",
        agency.id,
        {"credit_code": code, "status": agency.status.value},
        actor_id=current_user.id,
    )
    return agency


@bp.route("/agencies/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new_agency() -> Any:
    form = AgencyForm()
    if form.validate_on_submit() and _save(None, form) is not None:
        flash(_("The agency is saved."), "success")
        return redirect(url_for("procurement.agencies"))
    return render_template("procurement/agency_form.html", form=form, agency=None, reviews=[], users=[]), (
        400 if request.method == "POST" else 200
    )


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def edit_agency(agency_id: int) -> Any:
    agency = get_or_403(Agency, agency_id)
    form = AgencyForm(obj=agency) if request.method == "GET" else AgencyForm()
    if request.method == "GET":
        form.status.data = agency.status.value
    if form.validate_on_submit() and _save(agency, form) is not None:
        flash(_("The agency is saved."), "success")
        return redirect(url_for("procurement.agencies"))
    reviews = db.session.scalars(
        sa.select(AgencyReview)
        .where(AgencyReview.agency_id == agency.id)
        .options(selectinload(AgencyReview.contract))
        .order_by(AgencyReview.created_dt.desc())
    ).all()
    users = db.session.scalars(
        sa.select(User).where(User.agency_id == agency.id).order_by(User.username)
    ).all()
    return render_template(
        "procurement/agency_form.html", form=form, agency=agency, reviews=reviews, users=users
    ), (400 if request.method == "POST" else 200)
