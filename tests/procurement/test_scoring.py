"""The comprehensive scoring method: price scores (90,000 / 100,000 / 120,000 with 30 points → 30 / 27 / 22.5),
technical means with and without trimming, invalid and flagged bids, and ranks with their tie-breaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from procurement.scoring import flagged_low, invalid_reason, price_score, rank_bids, technical_score

D = Decimal


def test_the_price_score_examples() -> None:
    lowest = D("90000")
    assert [price_score(D(p), lowest, D("30")) for p in ("90000", "100000", "120000")] == [
        D("30.00"),
        D("27.00"),
        D("22.50"),
    ]
    assert price_score(D("110000"), lowest, D("30")) == D("24.55")  # 24.5454… to the hundredth
    with pytest.raises(ValueError, match="positive"):
        price_score(D("0"), lowest, D("30"))
    with pytest.raises(ValueError, match="cannot exceed"):
        price_score(D("80000"), lowest, D("30"))


def test_technical_scores() -> None:
    scores = [D("60"), D("62"), D("64"), D("66"), D("90")]
    assert technical_score(scores) == D("68.40")
    assert technical_score(scores, trimmed=True) == D("64.00")  # without 60 and 90
    assert technical_score(scores[:3], trimmed=True) == D("62.00")  # fewer than five: no trimming
    with pytest.raises(ValueError):
        technical_score([])


def test_invalid_and_flagged_bids() -> None:
    deadline = datetime(2026, 12, 1, 9, tzinfo=UTC)
    on_time = deadline - timedelta(hours=1)
    budget = D("120000")
    assert invalid_reason(D("100000"), budget, on_time, deadline, "active") is None
    assert (
        invalid_reason(D("130000"), budget, on_time, deadline, "active") == "The price is above the budget."
    )
    assert invalid_reason(D("100000"), budget, deadline + timedelta(seconds=1), deadline, "active") == (
        "The bid came after the deadline."
    )
    assert invalid_reason(D("100000"), budget, on_time, deadline, "suspended") == "The agency is suspended."
    assert (
        invalid_reason(D("100000"), budget, on_time, deadline, "blacklisted") == "The agency is blacklisted."
    )
    # mean 90,000: below 72,000 is abnormally low
    assert flagged_low([D("70000"), D("100000"), D("100000")]) == [True, False, False]
    assert flagged_low([D("90000"), D("100000"), D("120000")]) == [False, False, False]
    assert flagged_low([]) == []


def test_ranks_break_ties_by_price_then_technical_score() -> None:
    bids = [("A", D("100000"), D("60")), ("B", D("90000"), D("57")), ("C", D("120000"), D("64.5"))]
    ranked = rank_bids(bids, D("30"))
    assert [(s.key, s.price_score, s.total, s.rank) for s in ranked] == [
        ("B", D("30.00"), D("87.00"), 1),  # three equal totals: the lower price goes first
        ("A", D("27.00"), D("87.00"), 2),
        ("C", D("22.50"), D("87.00"), 3),
    ]
    same = rank_bids([("X", D("90000"), D("60")), ("Y", D("90000"), D("60"))], D("30"))
    assert [s.rank for s in same] == [1, 1]
    assert rank_bids([], D("30")) == []
