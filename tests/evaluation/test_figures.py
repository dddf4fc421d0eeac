"""Finalizing computes a batch's figures once and stores them: agreement per criterion (or the reason it is not
computable), the verdict question's agreement on its labels, rater severity with its groups, and each case's
spread and adjusted total."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sqlalchemy as sa

from evaluation.assessments.models import Assessment
from evaluation.extensions import db
from evaluation.figures import batch_figures, reading
from rubrics.operations import load_template
from tests import factories


def _answers(spec, level: int, verdict: str) -> dict:
    out = {}
    for c in spec["criteria"]:
        scale = c["scale"]
        if scale["type"] == "ordinal":
            values = [lv["value"] for lv in scale["levels"]]
            out[c["code"]] = {"value": values[max(0, min(level, len(values) - 1))]}
        elif c["role"] == "verdict":
            out[c["code"]] = {"value": verdict}
        elif scale["type"] == "nominal":
            out[c["code"]] = {"value": scale["options"][0]["value"]}
    return out


def _panels(spec, cases: int, members: list[int], seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    panels = {}
    for case in range(cases):
        truth = int(rng.integers(0, 4))
        chosen = rng.choice(members, 5, replace=False)
        panels[case] = [
            (
                int(m),
                _answers(spec, truth + int(rng.integers(-1, 2)), "upheld" if truth >= 2 else "not_upheld"),
            )
            for m in chosen
        ]
    return panels


def test_readings_follow_krippendorff() -> None:
    assert [reading(a) for a in (0.95, 0.8, 0.7999, 0.667, 0.5)] == [
        "reliable",
        "reliable",
        "tentative",
        "tentative",
        "too_low",
    ]


def test_a_batch_with_variation_gets_every_figure() -> None:
    spec = load_template()
    figures = batch_figures(spec, _panels(spec, 60, list(range(20))))
    verdict_code = next(c["code"] for c in spec["criteria"] if c["role"] == "verdict")
    for code, f in figures.criteria.items():
        assert f["alpha"] is not None and -1 <= f["alpha"] <= 1, code
        low, high = f["alpha_interval"]
        assert low <= f["alpha"] <= high or low <= high
        assert f["reading"] in ("reliable", "tentative", "too_low")
    assert figures.criteria[verdict_code]["level"] == "nominal"  # on the labels "upheld", "not_upheld"
    scored = next(f for c, f in figures.criteria.items() if c != verdict_code)
    assert 0 <= scored["icc1"]["value"] <= scored["icc1k"]["value"] <= 1
    assert figures.severity["fitted"] and figures.severity["groups"] == 1
    case = figures.cases[0]
    assert case.spread["n"] == 5 and case.adjusted_total is not None and 0 <= case.adjusted_total <= 100
    json.dumps(figures.as_json())  # stored as JSON


def test_disjoint_pools_are_adjusted_within_their_own_group() -> None:
    spec = load_template()
    first = _panels(spec, 20, list(range(10)), seed=2)
    second = {100 + k: v for k, v in _panels(spec, 20, list(range(50, 60)), seed=3).items()}
    figures = batch_figures(spec, {**first, **second})
    assert figures.severity["groups"] == 2
    assert {figures.cases[k].group for k in first} != {figures.cases[k].group for k in second}


def test_what_cannot_be_computed_says_why_and_is_never_a_number() -> None:
    spec = load_template()
    same = {k: [(m, _answers(spec, 2, "upheld")) for m in range(5)] for k in range(4)}
    figures = batch_figures(spec, same)
    for f in figures.criteria.values():
        assert f["alpha"] is None and f["alpha_reason"]["code"] == "no_variation"
    one = batch_figures(spec, {0: [(m, _answers(spec, m % 4, "upheld")) for m in range(5)]})
    assert all(f["alpha_reason"]["code"] == "one_unit" for f in one.criteria.values())
    assert not one.severity["fitted"] and one.severity["reason"]["code"] == "too_few_scores"


@pytest.fixture
def closed(world):
    factories.close_with_every_sheet(world)
    db.session.commit()
    return world


def test_finalizing_by_command_stores_the_figures_and_the_pages_show_them(
    closed, runner, client, auth
) -> None:
    result = runner.invoke(args=["batches", "finalize", str(closed.batch.id), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["assessments"] == len(closed.batch.items) and report["figures"]["criteria"]
    db.session.expire_all()
    assessment = db.session.scalars(sa.select(Assessment)).first()
    assert assessment.agreement["spread"]["n"] == 5
    # The factory's members all answer alike: agreement is not computable, and the page says why.
    auth.login("organizer")
    page = client.get(f"/batches/{closed.batch.id}").get_data(as_text=True)
    assert "评议员之间的一致性" in page and "95% 区间" in page and "95%%" not in page
    assert "无法计算" in page and "所有评议员给出的答案相同" in page
    page = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "评议员总分的离散程度" in page
    again = runner.invoke(args=["batches", "finalize", str(closed.batch.id)])
    assert again.exit_code != 0 and "deliberation" in again.output
