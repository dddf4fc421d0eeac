"""Contracts under an awarded project: the terms, the personal-information clauses (PIPL art. 21) confirmed before
the contract starts, milestones, payments with their approval, and progress against the case quota.

Operations flush; the request commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchItem
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.text import N_
from procurement.models import (
    Contract,
    ContractState,
    Deliverable,
    Payment,
    PaymentState,
    ProjectState,
    PurchaseProject,
)
from procurement.projects import ProcurementError, advance, contract_of


@dataclass(frozen=True)
class Terms:
    number: str
    amount: Decimal
    start_date: date
    end_date: date
    unit_price: Decimal | None
    case_quota: int | None
    pi_purpose: str
    pi_period: str
    pi_safeguards: str
    pi_return_date: date | None
    milestones: list[tuple[str, date, Decimal | None]]


def clauses_missing(contract: Contract) -> list[str]:
    missing = []
    if not (contract.pi_purpose or "").strip():
        missing.append(N_("the purpose of processing"))
    if not (contract.pi_period or "").strip():
        missing.append(N_("the period of processing"))
    if not (contract.pi_safeguards or "").strip():
        missing.append(N_("the protective measures"))
    if contract.pi_return_date is None:
        missing.append(N_("the date of return or deletion"))
    return missing


def sign(project: PurchaseProject, terms: Terms, user_id: int | None) -> Contract:
    """The contract with the awarded agency, in draft until its personal-information clauses are confirmed."""
    if project.state != ProjectState.AWARDED or project.awarded_bid is None:
        raise ProcurementError(N_("A contract is signed once the project is awarded."))
    if contract_of(project) is not None:
        raise ProcurementError(N_("This project already has a contract."))
    if terms.end_date < terms.start_date:
        raise ProcurementError(N_("The contract ends before it starts."), field="end_date")
    if db.session.scalar(sa.select(Contract.id).where(Contract.number == terms.number)) is not None:
        raise ProcurementError(N_("Another contract has this number."), field="number")
    contract = Contract(
        number=terms.number,
        project=project,
        agency_id=project.awarded_bid.agency_id,
        amount=terms.amount,
        start_date=terms.start_date,
        end_date=terms.end_date,
        unit_price=terms.unit_price,
        case_quota=terms.case_quota,
        pi_purpose=terms.pi_purpose.strip() or None,
        pi_period=terms.pi_period.strip() or None,
        pi_safeguards=terms.pi_safeguards.strip() or None,
        pi_return_date=terms.pi_return_date,
        state=ContractState.DRAFT,
    )
    for title, due, amount in terms.milestones:
        contract.deliverables.append(Deliverable(title=title, due_date=due, payment_amount=amount))
    db.session.add(contract)
    db.session.flush()
    record(
        "procurement.contract_signed",
        "contract",
        contract.id,
        {"number": contract.number, "amount": str(contract.amount), "project": project.code},
        actor_id=user_id,
    )
    return contract


def confirm_clauses(contract: Contract, user_id: int | None) -> None:
    """Confirm the PIPL clauses: the contract starts, and its project becomes contracted."""
    if contract.state != ContractState.DRAFT:
        raise ProcurementError(N_("The clauses of this contract are already confirmed."))
    missing = clauses_missing(contract)
    if missing:
        raise ProcurementError(
            N_("The contract lacks a personal-information clause: %(what)s."),
            also=[
                (N_("The contract lacks a personal-information clause: %(what)s."), {"what": m})
                for m in missing[1:]
            ],
            what=missing[0],
        )
    contract.state = ContractState.ACTIVE
    contract.pi_confirmed_dt, contract.pi_confirmed_by_id = utcnow(), user_id
    db.session.flush()
    record("procurement.clauses_confirmed", "contract", contract.id, {}, actor_id=user_id)
    if contract.project is not None and contract.project.state == ProjectState.AWARDED:
        advance(contract.project, ProjectState.CONTRACTED, user_id)


def complete(contract: Contract, user_id: int | None) -> None:
    if contract.state != ContractState.ACTIVE:
        raise ProcurementError(N_("Only a running contract can be completed."))
    contract.state = ContractState.COMPLETED
    db.session.flush()
    record("procurement.contract_completed", "contract", contract.id, {}, actor_id=user_id)


def quota_progress(contract: Contract) -> tuple[int, int | None]:
    """Cases reviewed in batches run under the contract, and the quota."""
    done = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(BatchItem)
        .join(Batch, Batch.id == BatchItem.batch_id)
        .where(Batch.contract_id == contract.id)
    )
    return int(done or 0), contract.case_quota


def accept_milestone(milestone: Deliverable, user_id: int | None) -> None:
    if milestone.accepted_dt is not None:
        raise ProcurementError(N_("This milestone is already accepted."))
    now = utcnow()
    milestone.delivered_dt = milestone.delivered_dt or now
    milestone.accepted_dt = now
    db.session.flush()
    record(
        "procurement.milestone_accepted",
        "deliverable",
        milestone.id,
        {"title": milestone.title},
        actor_id=user_id,
    )


def request_payment(contract: Contract, milestone: Deliverable, user_id: int | None) -> Payment:
    """The payment due on an accepted milestone, waiting for an organizer's approval."""
    if milestone.contract_id != contract.id:
        raise ProcurementError(N_("This milestone belongs to another contract."))
    if milestone.accepted_dt is None:
        raise ProcurementError(N_("A milestone is paid once it is accepted."))
    if milestone.payment_amount is None:
        raise ProcurementError(N_("This milestone has no payment."))
    if any(p.deliverable_id == milestone.id for p in contract.payments):
        raise ProcurementError(N_("This milestone's payment is already requested."))
    paid = sum((p.amount for p in contract.payments), Decimal(0))
    if paid + milestone.payment_amount > contract.amount:
        raise ProcurementError(N_("The payments would exceed the contract's amount."))
    payment = Payment(
        contract_id=contract.id,
        deliverable_id=milestone.id,
        amount=milestone.payment_amount,
        state=PaymentState.REQUESTED,
        requested_by_id=user_id,
        note=milestone.title,
    )
    db.session.add(payment)
    db.session.flush()
    record(
        "procurement.payment_requested",
        "payment",
        payment.id,
        {"amount": str(payment.amount)},
        actor_id=user_id,
    )
    return payment


def request_milestone_payment(milestone: Deliverable, user_id: int | None) -> Payment:
    contract = db.session.get_one(Contract, milestone.contract_id)
    return request_payment(contract, milestone, user_id)


def approve_payment(payment: Payment, user_id: int | None) -> None:
    """An organizer approves the payment; who and when are kept."""
    if payment.state != PaymentState.REQUESTED:
        raise ProcurementError(N_("Only a requested payment can be approved."))
    payment.state, payment.approved_by_id, payment.approved_dt = PaymentState.APPROVED, user_id, utcnow()
    db.session.flush()
    record("procurement.payment_approved", "payment", payment.id, {}, actor_id=user_id)


def mark_paid(payment: Payment, paid_on: date, user_id: int | None) -> None:
    if payment.state != PaymentState.APPROVED:
        raise ProcurementError(N_("A payment is paid once it is approved."))
    payment.state, payment.paid_date = PaymentState.PAID, paid_on
    db.session.flush()
    record(
        "procurement.payment_paid",
        "payment",
        payment.id,
        {"paid_date": paid_on.isoformat()},
        actor_id=user_id,
    )
