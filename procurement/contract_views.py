"""Contracts and money: the contract signed under an awarded project (its personal-information clauses confirmed
before it starts), milestones and their payments with approval, the agency's record, and the honoraria."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.batches.models import Batch
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.web import mark
from procurement import contracts as ops
from procurement.expert_models import AgencyReview
from procurement.forms import ContractForm, PaidForm
from procurement.models import Contract, Deliverable, Payment, ProjectState, PurchaseProject
from procurement.projects import ProcurementError, contract_of
from procurement.views import bp, button

MAX_AMOUNT = Decimal("1e11")  # what a contract's amount may be at most


def parse_milestones(text: str) -> tuple[list[tuple[str, date, Decimal | None]], str | None]:
    """Milestone lines "title | YYYY-MM-DD | amount"; the first fault named by its line."""
    out: list[tuple[str, date, Decimal | None]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) not in (2, 3) or not parts[0]:
            return out, _(
                "Line %(n)d: write the title, the due date and the payment, separated by |.", n=number
            )
        try:
            due = date.fromisoformat(parts[1])
        except ValueError:
            return out, _("Line %(n)d: the due date is not a date (YYYY-MM-DD).", n=number)
        amount: Decimal | None = None
        if len(parts) == 3 and parts[2]:
            try:
                amount = Decimal(parts[2].replace(",", ""))
            except InvalidOperation:
                return out, _("Line %(n)d: the payment is not an amount in yuan.", n=number)
            if not amount.is_finite() or not 0 < amount <= MAX_AMOUNT:
                return out, _("Line %(n)d: the payment is not an amount in yuan.", n=number)
        out.append((parts[0][:300], due, amount))
    return out, None


@bp.route("/projects/<int:project_id>/contract", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new_contract(project_id: int) -> Any:
    project = get_or_403(PurchaseProject, project_id)
    existing = contract_of(project)
    if existing is not None:
        return redirect(url_for("procurement.contract", contract_id=existing.id))
    if project.state != ProjectState.AWARDED or project.awarded_bid is None:
        flash(_("A contract is signed once the project is awarded."), "error")
        return redirect(url_for("procurement.project", project_id=project.id))
    form = ContractForm()
    if request.method == "GET":
        form.amount.data = project.awarded_bid.price
        form.number.data = project.code.replace("CG", "HT", 1)
    if form.validate_on_submit():
        milestones, fault = parse_milestones(form.milestones.data or "")
        if fault:
            form.milestones.errors = [fault]
        else:
            terms = ops.Terms(
                number=form.number.data.strip(),
                amount=form.amount.data,
                start_date=form.start_date.data,
                end_date=form.end_date.data,
                unit_price=form.unit_price.data,
                case_quota=form.case_quota.data,
                pi_purpose=form.pi_purpose.data or "",
                pi_period=form.pi_period.data or "",
                pi_safeguards=form.pi_safeguards.data or "",
                pi_return_date=form.pi_return_date.data,
                milestones=milestones,
            )
            try:
                contract = ops.sign(project, terms, current_user.id)
            except ProcurementError as exc:
                mark(form, exc)
            else:
                flash(
                    _(
                        "The contract is recorded. It starts once its personal-information clauses are confirmed."
                    ),
                    "success",
                )
                return redirect(url_for("procurement.contract", contract_id=contract.id))
    return render_template("procurement/contract_form.html", form=form, project=project), (
        400 if request.method == "POST" else 200
    )


def _may_see(contract: Contract) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True)).where(Contract.id == contract.id, Contract.visible_to(current_user))
        )
    )


@bp.get("/contracts/<int:contract_id>")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def contract(contract_id: int) -> str:
    """The contract: terms, clauses, milestones and payments, batches run under it and progress against the quota;
    the agency's users see their own contract, without the money's buttons."""
    contract = get_or_403(Contract, contract_id, _may_see)
    done, quota = ops.quota_progress(contract)
    batches = db.session.scalars(
        sa.select(Batch).where(Batch.contract_id == contract.id).order_by(Batch.created_dt.desc())
    ).all()
    reviews = db.session.scalars(
        sa.select(AgencyReview)
        .where(AgencyReview.contract_id == contract.id)
        .order_by(AgencyReview.id.desc())
    ).all()
    return render_template(
        "procurement/contract.html",
        contract=contract,
        done=done,
        quota=quota,
        batches=batches,
        reviews=reviews,
        missing=ops.clauses_missing(contract),
        confirm=ConfirmForm(),
        paid_form=PaidForm(),
        organizer=current_user.has_role(Role.ORGANIZER),
    )


def _to_contract(contract_id: int) -> Any:
    return redirect(url_for("procurement.contract", contract_id=contract_id))


def _checked() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _contract_url(obj: Contract | Deliverable | Payment) -> str:
    contract_id = obj.id if isinstance(obj, Contract) else obj.contract_id
    return url_for("procurement.contract", contract_id=contract_id)


@bp.post("/contracts/<int:contract_id>/confirm")
@roles_required(Role.ORGANIZER)
def confirm_clauses(contract_id: int) -> Any:
    done = _("The clauses are confirmed; the contract has started.")
    return button(Contract, contract_id, ops.confirm_clauses, done, _contract_url)


@bp.post("/contracts/<int:contract_id>/complete")
@roles_required(Role.ORGANIZER)
def complete_contract(contract_id: int) -> Any:
    return button(Contract, contract_id, ops.complete, _("The contract is completed."), _contract_url)


@bp.post("/milestones/<int:milestone_id>/accept")
@roles_required(Role.ORGANIZER)
def accept_milestone(milestone_id: int) -> Any:
    return button(
        Deliverable, milestone_id, ops.accept_milestone, _("The milestone is accepted."), _contract_url
    )


@bp.post("/milestones/<int:milestone_id>/payment")
@roles_required(Role.ORGANIZER)
def request_payment(milestone_id: int) -> Any:
    done = _("The payment is requested and waits for approval.")
    return button(Deliverable, milestone_id, ops.request_milestone_payment, done, _contract_url)


@bp.post("/payments/<int:payment_id>/approve")
@roles_required(Role.ORGANIZER)
def approve_payment(payment_id: int) -> Any:
    return button(Payment, payment_id, ops.approve_payment, _("The payment is approved."), _contract_url)


@bp.post("/payments/<int:payment_id>/paid")
@roles_required(Role.ORGANIZER)
def payment_paid(payment_id: int) -> Any:
    payment = get_or_403(Payment, payment_id)
    form = PaidForm()
    if not form.validate_on_submit():
        flash(_("Enter the day it was paid."), "error")
    else:
        ops.mark_paid(payment, form.paid_on.data, current_user.id)
        flash(_("The payment is recorded as paid."), "success")
    return _to_contract(payment.contract_id)


@bp.post("/contracts/<int:contract_id>/review")
@roles_required(Role.ORGANIZER)
def review_agency(contract_id: int) -> Any:
    """The agency evaluated on the contract's measured KPIs; the result enters its record."""
    from procurement.agency_record import review

    contract = db.session.scalar(
        sa.select(Contract).where(Contract.id == contract_id).options(selectinload(Contract.deliverables))
    )
    if contract is None:
        abort(404)
    _checked()
    complaints = request.form.get("complaints", "0").strip() or "0"
    if not complaints.isdigit() or int(complaints) > 10000:
        flash(_("Enter the number of complaints as a whole number."), "error")
        return _to_contract(contract.id)
    found = review(contract, (request.form.get("note") or "").strip(), current_user.id, int(complaints))
    flash(
        _("The agency's record now holds this review: %(score)s points.", score=f"{found.score:.1f}"),
        "success",
    )
    return _to_contract(contract.id)
