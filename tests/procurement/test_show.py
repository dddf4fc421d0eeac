"""`procurement show CODE --json`: the project with its state and price weight, and its bids with validity, the
low-price flag and the scores by the comprehensive method, exact decimals as strings."""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa

from evaluation.extensions import db
from procurement.credit_code import check_character
from procurement.models import Agency, Bid, BidState, ProjectState, PurchaseProject


def _agency(name: str, prefix: str) -> Agency:
    return Agency(name=name, credit_code=prefix + check_character(prefix))


def test_the_project_and_its_bids_as_json(app_ctx, runner) -> None:
    project = PurchaseProject(
        code="CG-1",
        title="评议服务",
        budget=Decimal("130000"),
        price_weight=30.0,
        state=ProjectState.EVALUATING,
    )
    bids = [
        Bid(
            agency=_agency("甲", "52510107MJ6CX3Q2K"),
            price=Decimal("90000"),
            technical_score=57.0,
            state=BidState.VALID,
        ),
        Bid(
            agency=_agency("乙", "52510100MJ0123456"),
            price=Decimal("100000"),
            technical_score=60.0,
            state=BidState.VALID,
        ),
        Bid(
            agency=_agency("丙", "91510100MA61R8KX5"),
            price=Decimal("120000"),
            technical_score=64.5,
            state=BidState.VALID,
        ),
        Bid(
            agency=_agency("丁", "91510100MA61R8KX6"),
            price=Decimal("140000"),
            state=BidState.INVALID,
            invalid_reason="The price is above the budget.",
        ),
    ]
    project.bids.extend(bids)
    db.session.add(project)
    db.session.commit()
    out = runner.invoke(args=["procurement", "show", "CG-1", "--json"])
    assert out.exit_code == 0, out.output
    shown = json.loads(out.output)
    assert shown["state"] == "evaluating" and shown["price_weight"] == "30.0"
    assert [(b["agency"], b["price_score"], b["total"], b["rank"]) for b in shown["bids"]] == [
        ("甲", "30.00", "87.00", 1),
        ("乙", "27.00", "87.00", 2),
        ("丙", "22.50", "87.00", 3),
        ("丁", None, None, None),
    ]
    assert (
        shown["bids"][3]["valid"] is False
        and shown["bids"][3]["invalid_reason"] == "The price is above the budget."
    )
    assert set(shown["bids"][0]) == {
        "agency",
        "price",
        "valid",
        "invalid_reason",
        "flagged_low",
        "technical",
        "price_score",
        "total",
        "rank",
    }
    assert [b["flagged_low"] for b in shown["bids"]] == [False, False, False, False]
    missing = runner.invoke(args=["procurement", "show", "NOPE", "--json"])
    assert missing.exit_code != 0 and "no purchase project NOPE" in missing.output


def test_the_expert_draw_replays_from_the_command_line(app_ctx, runner) -> None:
    from procurement import evaluation as ev
    from procurement.expert_models import ExpertDraw
    from procurement.models import ProjectState
    from tests.procurement.world import procurement

    world = procurement()
    project = PurchaseProject(
        code="CG-9", title="评议服务", budget=Decimal(100), state=ProjectState.EVALUATING
    )
    project.bids.append(Bid(agency=world.agencies[0], price=Decimal(90), state=BidState.VALID))
    db.session.add(project)
    db.session.flush()
    ev.run_draw(ev.open_draw(project, None), None)
    db.session.commit()
    out = runner.invoke(args=["procurement", "verify-draw", "CG-9", "--json"])
    assert out.exit_code == 0 and json.loads(out.output) == {
        "project": "CG-9",
        "verified": True,
        "detail": "the draw replays exactly",
    }
    draw = db.session.scalars(sa.select(ExpertDraw)).one()
    draw.result = {**draw.result, "seats": draw.result["seats"][:-1]}
    db.session.commit()
    tampered = runner.invoke(args=["procurement", "verify-draw", "CG-9", "--json"])
    assert tampered.exit_code == 1 and json.loads(tampered.output)["verified"] is False
    assert runner.invoke(args=["procurement", "verify-draw", "NONE"]).exit_code == 1
