"""Every step of a purchase project states its unmet preconditions in words; with them met, it may be taken."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from procurement import transitions as t

NOW = datetime(2027, 1, 10, 2, tzinfo=UTC)
READY = {
    t.PLANNING: t.Facts(
        state=t.PLANNING,
        method="open_tender",
        now=NOW,
        budget=Decimal(100000),
        rubric_published=True,
        bid_deadline=NOW + timedelta(days=20),
    ),
    t.ANNOUNCED: t.Facts(
        state=t.ANNOUNCED, method="open_tender", now=NOW, bid_deadline=NOW - timedelta(minutes=1)
    ),
    t.BIDDING_CLOSED: t.Facts(state=t.BIDDING_CLOSED, method="open_tender", now=NOW, valid_bids=3),
    t.EVALUATING: t.Facts(state=t.EVALUATING, method="open_tender", now=NOW, valid_bids=3, experts_seated=5),
    t.AWARDED: t.Facts(state=t.AWARDED, method="open_tender", now=NOW, contract_active=True),
    t.CONTRACTED: t.Facts(state=t.CONTRACTED, method="open_tender", now=NOW, contract_finished=True),
}


def _messages(target: str, facts: t.Facts) -> list[str]:
    return [message % params if params else message for message, params in t.unmet(target, facts)]


@pytest.mark.parametrize("state", list(READY))
def test_with_its_preconditions_met_each_step_may_be_taken(state: str) -> None:
    assert t.unmet(t.NEXT[state], READY[state]) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"budget": Decimal(0)}, "The budget must be more than zero."),
        ({"price_weight": Decimal(35)}, "The price weight must lie between 10 and 30 points."),
        ({"price_weight": Decimal("9.5")}, "The price weight must lie between 10 and 30 points."),
        ({"rubric_published": False}, "Choose a published technical rubric."),
        ({"expert_count": 4}, "The expert panel must be odd and at least 5."),
        ({"expert_count": 6}, "The expert panel must be odd and at least 5."),
        ({"bid_deadline": None}, "Set the bid deadline."),
        ({"bid_deadline": NOW - timedelta(seconds=1)}, "The bid deadline must lie in the future."),
    ],
)
def test_announcing_needs_a_complete_plan(change: dict[str, object], expected: str) -> None:
    assert _messages(t.ANNOUNCED, replace(READY[t.PLANNING], **change)) == [expected]  # type: ignore[arg-type]


def test_bidding_closes_at_the_deadline_not_before() -> None:
    early = replace(READY[t.ANNOUNCED], bid_deadline=NOW + timedelta(minutes=1))
    assert _messages(t.BIDDING_CLOSED, early) == ["Bidding closes at the deadline, not before."]


@pytest.mark.parametrize(("method", "needed"), [("open_tender", 3), ("inquiry", 3), ("single_source", 1)])
def test_the_evaluation_needs_the_method_s_valid_bids(method: str, needed: int) -> None:
    for valid in range(needed + 1):
        facts = replace(READY[t.BIDDING_CLOSED], method=method, valid_bids=valid)
        expected = [] if valid >= needed else [f"{valid} valid bids; the method needs at least {needed}."]
        assert _messages(t.EVALUATING, facts) == expected


def test_the_award_needs_every_score_finding_and_confirmation() -> None:
    facts = replace(
        READY[t.EVALUATING],
        experts_seated=0,
        sheets_missing=15,
        unexamined_low_bids=1,
        confirmations_missing=5,
    )
    assert _messages(t.AWARDED, facts) == [
        "Draw the expert panel (5 experts).",
        "15 technical scores are not yet submitted.",
        "Record the panel's finding on 1 abnormally low bids.",
        "5 experts have not confirmed the report.",
    ]


def test_contracting_and_closing_need_the_contract() -> None:
    assert _messages(t.CONTRACTED, replace(READY[t.AWARDED], contract_active=False)) == [
        "Sign the contract and confirm its personal-information clauses."
    ]
    assert _messages(t.CLOSED, replace(READY[t.CONTRACTED], contract_finished=False)) == [
        "The contract has not ended yet."
    ]


def test_a_step_out_of_order_is_refused() -> None:
    assert _messages(t.EVALUATING, READY[t.PLANNING]) == [
        "This step does not follow from the project's state."
    ]
    assert _messages(t.PLANNING, READY[t.CONTRACTED]) == [
        "This step does not follow from the project's state."
    ]


@pytest.mark.parametrize("state", [t.ANNOUNCED, t.BIDDING_CLOSED, t.EVALUATING])
def test_a_project_fails_between_announcement_and_award_with_a_reason(state: str) -> None:
    facts = t.Facts(state=state, method="open_tender", now=NOW)
    assert _messages(t.FAILED, facts) == ["Say why the procurement failed."]
    assert t.unmet(t.FAILED, replace(facts, failed_reason="有效投标不足三家")) == []


@pytest.mark.parametrize("state", [t.PLANNING, t.AWARDED, t.CONTRACTED, t.CLOSED, t.FAILED])
def test_no_failure_before_the_announcement_or_after_the_award(state: str) -> None:
    facts = t.Facts(state=state, method="open_tender", now=NOW, failed_reason="理由")
    assert _messages(t.FAILED, facts) == ["A project can fail only between its announcement and its award."]
