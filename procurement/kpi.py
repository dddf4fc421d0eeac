"""The agency's KPIs scored with a rubric of weights (100 points in all). Pure: no Flask, no database.

Each KPI is a share in 0–1 where more is better, except appeals and complaints, counted against it:

* batches on time — batches under the contract finalized by their closing time, of those that closed;
* quota delivered — cases reviewed of the contract's quota (capped at 1);
* panel agreement — the batches' mean Krippendorff's α, 0.8 or more earning every point, 0.667 two thirds, linearly
  down to nothing at 0 (Krippendorff's thresholds);
* appeals upheld — appeals accepted for re-review per assessment published; every point at none, nothing at 10
  percent or more;
* complaints — every point at none, one fifth less for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WEIGHTS = {
    "batches_on_time": Decimal(30),
    "quota_delivered": Decimal(25),
    "panel_agreement": Decimal(20),
    "appeals_upheld": Decimal(15),
    "complaints": Decimal(10),
}
ALPHA_FULL = Decimal("0.8")
APPEALS_NONE_AT = Decimal("0.10")
COMPLAINT_STEP = Decimal("0.2")


@dataclass(frozen=True)
class Measured:
    batches_closed: int
    batches_on_time: int
    cases_done: int
    case_quota: int | None
    mean_alpha: float | None
    assessments: int
    appeals_upheld: int
    complaints: int


def _clamp(value: Decimal) -> Decimal:
    return max(Decimal(0), min(Decimal(1), value))


def shares(m: Measured) -> dict[str, Decimal | None]:
    """Each KPI as a share of its points (None when it cannot be measured yet)."""
    alpha = None if m.mean_alpha is None else _clamp(Decimal(str(m.mean_alpha)) / ALPHA_FULL)
    appeal_rate = Decimal(m.appeals_upheld) / m.assessments if m.assessments else None
    return {
        "batches_on_time": Decimal(m.batches_on_time) / m.batches_closed if m.batches_closed else None,
        "quota_delivered": _clamp(Decimal(m.cases_done) / m.case_quota) if m.case_quota else None,
        "panel_agreement": alpha,
        "appeals_upheld": None if appeal_rate is None else _clamp(1 - appeal_rate / APPEALS_NONE_AT),
        "complaints": _clamp(1 - COMPLAINT_STEP * m.complaints),
    }


def score(m: Measured) -> tuple[dict[str, Decimal | None], Decimal]:
    """Points per KPI and the total out of 100; a KPI that cannot be measured is left out and the rest scaled to
    100, so a young contract is not punished for what has not happened yet."""
    found = shares(m)
    points: dict[str, Decimal | None] = {}
    earned, possible = Decimal(0), Decimal(0)
    for name, share in found.items():
        if share is None:
            points[name] = None
            continue
        points[name] = (share * WEIGHTS[name]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        earned += share * WEIGHTS[name]
        possible += WEIGHTS[name]
    total = earned / possible * 100 if possible else Decimal(0)
    return points, total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
