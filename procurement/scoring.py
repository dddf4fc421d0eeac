"""Bid evaluation by the comprehensive scoring method (综合评分法), in exact decimals. Pure: no Flask, no database.

price score = lowest valid price ÷ the bid's price × the price weight in points (政府采购货物和服务招标投标管理办法,
第五十五条); technical score = the experts' mean, or the mean without the highest and the lowest when the rubric
trims and five or more experts scored; total = technical + price; rank by total, ties by the lower price, then by the
higher technical score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from evaluation.text import N_

POINTS = Decimal("0.01")  # scores are shown and compared to the hundredth, as evaluation reports print them
LOW_PRICE_RATIO = Decimal(
    "0.8"
)  # below 80 % of the valid bids' mean: abnormally low, for the panel to examine


def _points(value: Decimal) -> Decimal:
    return value.quantize(POINTS, rounding=ROUND_HALF_UP)


def price_score(price: Decimal, lowest_valid_price: Decimal, weight_points: Decimal) -> Decimal:
    """lowest valid price ÷ price × weight points, to the hundredth."""
    if price <= 0 or lowest_valid_price <= 0:
        raise ValueError("prices must be positive")
    if lowest_valid_price > price:
        raise ValueError("the lowest valid price cannot exceed a valid bid's price")
    return _points(lowest_valid_price / price * weight_points)


def technical_score(scores: Sequence[Decimal], *, trimmed: bool = False) -> Decimal:
    """The experts' mean (without the highest and the lowest when ``trimmed`` and five or more scored)."""
    if not scores:
        raise ValueError("no expert has scored")
    ordered = sorted(scores)
    if trimmed and len(ordered) >= 5:
        ordered = ordered[1:-1]
    return _points(sum(ordered, Decimal(0)) / len(ordered))


def invalid_reason(
    price: Decimal,
    budget: Decimal,
    submitted: datetime,
    deadline: datetime | None,
    agency_status: str,
) -> str | None:
    """Why a bid is invalid (a message id), or None: above the budget, late, or from a suspended or blacklisted
    agency."""
    if agency_status == "blacklisted":
        return N_("The agency is blacklisted.")
    if agency_status == "suspended":
        return N_("The agency is suspended.")
    if deadline is not None and submitted > deadline:
        return N_("The bid came after the deadline.")
    if price > budget:
        return N_("The price is above the budget.")
    if price <= 0:
        return N_("The price is not positive.")
    return None


def flagged_low(valid_prices: Sequence[Decimal], ratio: Decimal = LOW_PRICE_RATIO) -> list[bool]:
    """For each valid price: below ``ratio`` of the valid bids' mean (the panel examines it and records a finding)."""
    if not valid_prices:
        return []
    mean = sum(valid_prices, Decimal(0)) / len(valid_prices)
    return [price < ratio * mean for price in valid_prices]


@dataclass(frozen=True)
class Scored:
    key: object
    price: Decimal
    technical: Decimal
    price_score: Decimal
    total: Decimal
    rank: int


def rank_bids(bids: Sequence[tuple[object, Decimal, Decimal]], weight_points: Decimal) -> list[Scored]:
    """Valid bids as ``(key, price, technical score)``: their price scores, totals and ranks, best first."""
    if not bids:
        return []
    lowest = min(price for _key, price, _technical in bids)
    scored = [
        (key, price, technical, ps := price_score(price, lowest, weight_points), _points(technical + ps))
        for key, price, technical in bids
    ]
    scored.sort(key=lambda s: (-s[4], s[1], -s[2]))
    out: list[Scored] = []
    for index, (key, price, technical, ps, total) in enumerate(scored):
        previous = out[-1] if out else None
        tied = previous is not None and (previous.total, previous.price, previous.technical) == (
            total,
            price,
            technical,
        )
        out.append(
            Scored(key, price, technical, ps, total, previous.rank if tied and previous else index + 1)
        )
    return out
