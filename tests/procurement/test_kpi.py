"""The agency's KPIs scored with weights; what cannot be measured yet is left out and the rest scaled to 100."""

from __future__ import annotations

from decimal import Decimal

from procurement.kpi import Measured, score


def test_a_perfect_contract_earns_every_point() -> None:
    points, total = score(Measured(4, 4, 2000, 2000, 0.85, 1800, 0, 0))
    assert total == Decimal("100.00") and points["panel_agreement"] == Decimal("20.00")


def test_each_kpi_costs_what_its_weight_says() -> None:
    points, total = score(Measured(4, 3, 1000, 2000, 0.4, 1000, 50, 2))
    assert points == {
        "batches_on_time": Decimal("22.50"),  # 3 of 4 × 30
        "quota_delivered": Decimal("12.50"),  # half × 25
        "panel_agreement": Decimal("10.00"),  # 0.4 / 0.8 × 20
        "appeals_upheld": Decimal("7.50"),  # 5 in 100 assessments: half-way to nothing at 10 in 100; × 15
        "complaints": Decimal("6.00"),  # two complaints: 3/5 × 10
    }
    assert total == Decimal("58.50")


def test_a_young_contract_is_scored_on_what_can_be_measured() -> None:
    points, total = score(Measured(0, 0, 0, None, None, 0, 0, 0))
    assert points["batches_on_time"] is None and points["quota_delivered"] is None
    assert points["complaints"] == Decimal("10.00") and total == Decimal("100.00")
