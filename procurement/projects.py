"""Purchase projects and their bids: the facts the state machine looks at, the steps, and recording a bid.

Operations flush; the request commits. A refused step raises ``ProcurementError`` with every unmet
precondition, in words (``procurement.transitions``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from evaluation.audit.operations import record
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.text import N_, UserError
from procurement import transitions
from procurement.expert_models import AgencyReview, BidScore, ExpertSeat
from procurement.models import (
    Agency,
    Bid,
    BidState,
    Contract,
    ContractState,
    ProjectState,
    PurchaseProject,
)
from procurement.scoring import flagged_low, invalid_reason
from rubrics.models import VersionState

MAX_PROPOSAL_BYTES = 20 * 1024 * 1024
PROPOSAL_TYPES = (".pdf", ".doc", ".docx", ".zip")


class ProcurementError(UserError):
    """A procurement step that cannot be taken, with the reasons."""


def valid_bids(project: PurchaseProject) -> list[Bid]:
    return [b for b in project.bids if b.state == BidState.VALID]


def low_flags(project: PurchaseProject) -> dict[int, bool]:
    """For each valid bid: whether its price is abnormally low (below 80 percent of the valid bids' mean)."""
    valid = valid_bids(project)
    return dict(zip((b.id for b in valid), flagged_low([b.price for b in valid]), strict=True))


def contract_of(project: PurchaseProject) -> Contract | None:
    return db.session.scalar(sa.select(Contract).where(Contract.project_id == project.id).limit(1))


def facts(project: PurchaseProject, now: datetime | None = None) -> transitions.Facts:
    """What the state machine's preconditions look at, read in a handful of queries."""
    now = now or utcnow()
    valid = valid_bids(project)
    flags = low_flags(project)
    seats = db.session.scalars(sa.select(ExpertSeat).where(ExpertSeat.project_id == project.id)).all()
    submitted = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(BidScore)
        .join(ExpertSeat, ExpertSeat.id == BidScore.seat_id)
        .join(Bid, Bid.id == BidScore.bid_id)
        .where(
            ExpertSeat.project_id == project.id,
            BidScore.submitted_dt.is_not(None),
            Bid.state == BidState.VALID,
        )
    )
    contract = contract_of(project)
    version = project.rubric_version
    return transitions.Facts(
        state=project.state.value,
        method=project.method.value,
        now=now,
        budget=project.budget or Decimal(0),
        price_weight=Decimal(str(project.price_weight)),
        rubric_published=version is not None and version.state == VersionState.PUBLISHED,
        expert_count=project.expert_count,
        bid_deadline=project.bid_deadline_dt,
        valid_bids=len(valid),
        unexamined_low_bids=sum(1 for b in valid if flags.get(b.id) and not (b.low_finding or "").strip()),
        experts_seated=len(seats),
        sheets_missing=max(0, len(seats) * len(valid) - (submitted or 0)),
        confirmations_missing=sum(1 for s in seats if s.confirmed_dt is None),
        contract_active=contract is not None
        and contract.state in (ContractState.ACTIVE, ContractState.COMPLETED),
        contract_finished=contract is not None and contract.state == ContractState.COMPLETED,
        failed_reason=project.failed_reason or "",
    )


def _refuse(unmet: transitions.Unmet) -> None:
    if unmet:
        (message, params), *rest = unmet
        raise ProcurementError(message, also=rest, **params)


def advance(project: PurchaseProject, target: ProjectState, user_id: int | None) -> None:
    """Take the project to its next state, when every precondition holds; else refuse naming each."""
    _refuse(transitions.unmet(target.value, facts(project)))
    if target == ProjectState.EVALUATING:
        revalidate(project)
        _refuse(transitions.unmet(target.value, facts(project)))
    if target == ProjectState.ANNOUNCED:
        project.announced_dt = utcnow()
    if target == ProjectState.AWARDED:
        _award(project)
    previous = project.state
    project.state = target
    db.session.flush()
    record(
        "procurement.state",
        "purchase_project",
        project.id,
        {"from": previous.value, "to": target.value},
        actor_id=user_id,
    )


def fail(project: PurchaseProject, reason: str, user_id: int | None) -> None:
    project.failed_reason = reason.strip() or None
    _refuse(transitions.unmet(transitions.FAILED, facts(project)))
    previous = project.state
    project.state = ProjectState.FAILED
    db.session.flush()
    record(
        "procurement.state",
        "purchase_project",
        project.id,
        {"from": previous.value, "to": "failed", "reason": reason.strip()},
        actor_id=user_id,
    )


def _award(project: PurchaseProject) -> None:
    """Fix the bids' scores as the report prints them and award the first ranked (ties by price, then
    technical score)."""
    from procurement.evaluation import bid_results

    results = bid_results(project)
    for bid in project.bids:
        row = results.get(bid.id)
        bid.technical_score = float(row.technical) if row else None
        bid.price_score = float(row.price_score) if row else None
        bid.total_score = float(row.total) if row else None
        bid.rank = row.rank if row else None
    winner = min(results.values(), key=lambda r: r.rank)
    project.awarded_bid_id = int(str(winner.key))
    project.awarded_dt = utcnow()


def status_on(agency: Agency, day: datetime) -> str:
    """The agency's status on the day a bid came: a suspension or listing whose period ended before it is over."""
    if agency.status_until is not None and agency.status_until < day.date():
        return "active"
    return agency.status.value


def revalidate(project: PurchaseProject) -> None:
    """Check every recorded bid again (above budget, late, agency suspended or blacklisted)."""
    for bid in project.bids:
        if bid.state == BidState.WITHDRAWN:
            continue
        reason = invalid_reason(
            bid.price,
            project.budget,
            bid.submitted_dt,
            project.bid_deadline_dt,
            status_on(bid.agency, bid.submitted_dt),
        )
        bid.state = BidState.INVALID if reason else BidState.VALID
        bid.invalid_reason = reason
    db.session.flush()


def record_bid(
    project: PurchaseProject,
    agency: Agency,
    price: Decimal,
    submitted: datetime,
    proposal: tuple[str, bytes] | None,
    user_id: int | None,
) -> Bid:
    """A bid as received: valid or invalid with the reason; its proposal encrypted with its SHA-256 kept."""
    if project.state not in (ProjectState.ANNOUNCED, ProjectState.BIDDING_CLOSED):
        raise ProcurementError(N_("Bids are recorded between the announcement and the evaluation."))
    if any(b.agency_id == agency.id for b in project.bids):
        raise ProcurementError(N_("This agency has already bid."), field="agency")
    bid = Bid(project=project, agency=agency, price=price, submitted_dt=submitted, recorded_by_id=user_id)
    if proposal is not None:
        name, data = proposal
        bid.proposal_name, bid.proposal, bid.proposal_sha256 = name, data, hashlib.sha256(data).hexdigest()
    reason = invalid_reason(
        price, project.budget, submitted, project.bid_deadline_dt, status_on(agency, submitted)
    )
    bid.state = BidState.INVALID if reason else BidState.VALID
    bid.invalid_reason = reason
    db.session.add(bid)
    db.session.flush()
    record(
        "procurement.bid",
        "bid",
        bid.id,
        {"project": project.code, "agency": agency.credit_code, "price": str(price), "valid": reason is None},
        actor_id=user_id,
    )
    return bid


def record_finding(bid: Bid, finding: str, user_id: int | None) -> None:
    """The panel's finding on an abnormally low price (it may keep the bid or declare it invalid)."""
    if bid.project.state not in (ProjectState.BIDDING_CLOSED, ProjectState.EVALUATING):
        raise ProcurementError(N_("Findings are recorded during the evaluation."))
    if not finding.strip():
        raise ProcurementError(N_("Write the panel's finding."), field="finding")
    bid.low_finding = finding.strip()
    db.session.flush()
    record("procurement.low_finding", "bid", bid.id, {"finding": bid.low_finding}, actor_id=user_id)


def latest_reviews(agency_ids: list[int]) -> dict[int, AgencyReview]:
    """Each agency's latest review on its record (what an organizer sees beside its bid)."""
    rows = db.session.scalars(
        sa.select(AgencyReview)
        .where(AgencyReview.agency_id.in_(agency_ids))
        .order_by(AgencyReview.created_dt)
    ).all()
    return {r.agency_id: r for r in rows}


def editable(project: PurchaseProject) -> bool:
    return project.state == ProjectState.PLANNING
