"""A purchase project's states and the preconditions of each step, stated in words. Pure: no Flask, no database.

planning → announced → bidding_closed → evaluating → awarded → contracted → closed, or failed from announced,
bidding_closed or evaluating (for example with fewer valid bids than the method needs). Each function returns the
unmet preconditions as (message id, parameters); an empty list means the step may be taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from evaluation.text import N_

Unmet = list[tuple[str, dict[str, Any]]]

PLANNING, ANNOUNCED, BIDDING_CLOSED, EVALUATING = "planning", "announced", "bidding_closed", "evaluating"
AWARDED, CONTRACTED, CLOSED, FAILED = "awarded", "contracted", "closed", "failed"

NEXT = {
    PLANNING: ANNOUNCED,
    ANNOUNCED: BIDDING_CLOSED,
    BIDDING_CLOSED: EVALUATING,
    EVALUATING: AWARDED,
    AWARDED: CONTRACTED,
    CONTRACTED: CLOSED,
}
MAY_FAIL = frozenset({ANNOUNCED, BIDDING_CLOSED, EVALUATING})

# The fewest valid bids with which a method may go on: three for tenders, consultations, negotiations and
# inquiries (政府采购法 第三十六条, 财库〔2014〕214号), one for a single source.
MINIMUM_BIDS = {
    "open_tender": 3,
    "invited_tender": 3,
    "competitive_consultation": 3,
    "competitive_negotiation": 3,
    "inquiry": 3,
    "single_source": 1,
}
PRICE_WEIGHT_RANGE = (Decimal(10), Decimal(30))  # services: 10–30 points (财政部令第87号 第五十五条)
MINIMUM_EXPERTS = 5


@dataclass(frozen=True)
class Facts:
    """What the preconditions look at, read from the project, its bids, panel and contract."""

    state: str
    method: str
    now: datetime
    budget: Decimal = Decimal(0)
    price_weight: Decimal = Decimal(30)
    rubric_published: bool = False
    expert_count: int = 5
    bid_deadline: datetime | None = None
    valid_bids: int = 0
    unexamined_low_bids: int = 0  # flagged low without the panel's finding
    experts_seated: int = 0
    sheets_missing: int = 0  # (expert, valid bid) pairs not yet submitted
    confirmations_missing: int = 0
    contract_active: bool = False
    contract_finished: bool = False
    failed_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def minimum_bids(method: str) -> int:
    return MINIMUM_BIDS.get(method, 3)


def _planning(f: Facts) -> Unmet:
    unmet: Unmet = []
    if f.budget <= 0:
        unmet.append((N_("The budget must be more than zero."), {}))
    low, high = PRICE_WEIGHT_RANGE
    if not low <= f.price_weight <= high:
        unmet.append(
            (N_("The price weight must lie between %(low)s and %(high)s points."), {"low": low, "high": high})
        )
    if not f.rubric_published:
        unmet.append((N_("Choose a published technical rubric."), {}))
    if f.expert_count < MINIMUM_EXPERTS or f.expert_count % 2 == 0:
        unmet.append((N_("The expert panel must be odd and at least %(n)s."), {"n": MINIMUM_EXPERTS}))
    if f.bid_deadline is None:
        unmet.append((N_("Set the bid deadline."), {}))
    elif f.bid_deadline <= f.now:
        unmet.append((N_("The bid deadline must lie in the future."), {}))
    return unmet


def _evaluating(f: Facts) -> Unmet:
    unmet: Unmet = []
    if f.experts_seated < f.expert_count:
        unmet.append((N_("Draw the expert panel (%(n)s experts)."), {"n": f.expert_count}))
    if f.sheets_missing:
        unmet.append((N_("%(n)s technical scores are not yet submitted."), {"n": f.sheets_missing}))
    if f.unexamined_low_bids:
        unmet.append(
            (N_("Record the panel's finding on %(n)s abnormally low bids."), {"n": f.unexamined_low_bids})
        )
    if f.confirmations_missing:
        unmet.append((N_("%(n)s experts have not confirmed the report."), {"n": f.confirmations_missing}))
    if f.valid_bids < minimum_bids(f.method):
        unmet.append(_too_few(f))
    return unmet


def _too_few(f: Facts) -> tuple[str, dict[str, Any]]:
    return (
        N_("%(valid)s valid bids; the method needs at least %(needed)s."),
        {"valid": f.valid_bids, "needed": minimum_bids(f.method)},
    )


def unmet(target: str, f: Facts) -> Unmet:
    """The preconditions of moving a project in state ``f.state`` to ``target`` that do not hold."""
    if target == FAILED:
        if f.state not in MAY_FAIL:
            return [(N_("A project can fail only between its announcement and its award."), {})]
        return [] if f.failed_reason.strip() else [(N_("Say why the procurement failed."), {})]
    if NEXT.get(f.state) != target:
        return [(N_("This step does not follow from the project's state."), {})]
    if target == ANNOUNCED:
        return _planning(f)
    if target == BIDDING_CLOSED:
        if f.bid_deadline is not None and f.now < f.bid_deadline:
            return [(N_("Bidding closes at the deadline, not before."), {})]
        return []
    if target == EVALUATING:
        return [] if f.valid_bids >= minimum_bids(f.method) else [_too_few(f)]
    if target == AWARDED:
        return _evaluating(f)
    if target == CONTRACTED:
        return (
            []
            if f.contract_active
            else [(N_("Sign the contract and confirm its personal-information clauses."), {})]
        )
    return [] if f.contract_finished else [(N_("The contract has not ended yet."), {})]
