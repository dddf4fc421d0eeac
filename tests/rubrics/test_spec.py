"""rubrics.spec: an invalid rubric file is refused with every problem named by its JSON path."""

from __future__ import annotations

import copy

from rubrics.operations import load_template
from rubrics.spec import validate_spec


def _paths(problems) -> dict[str, str]:
    return {p.path: p.text() for p in problems}


def test_the_builtin_template_is_valid() -> None:
    assert validate_spec(load_template()) == []


def test_every_problem_is_reported_with_its_path() -> None:
    spec = copy.deepcopy(load_template())
    spec["criteria"][0]["weight"] = 7  # weights now sum to 101
    spec["criteria"][1]["code"] = "P1"  # duplicate code
    spec["criteria"][2]["scale"]["levels"][1]["value"] = 0  # duplicate level value
    spec["criteria"][3]["scale"] = {"type": "ordinal", "levels": []}  # a scale without levels
    spec["criteria"][4]["scale"] = {"type": "slider"}  # unknown scale type
    spec["criteria"][11]["role"] = "opinion"  # unknown role
    spec["criteria"][12]["role"] = "note"  # the only verdict criterion is gone
    problems = validate_spec(spec)
    paths = _paths(problems)
    assert "criteria" in paths and "sum to 101" in " ".join(p.text() for p in problems)
    assert "duplicates the code of criteria[0]" in paths["criteria[1].code"]
    assert "duplicates the value of levels[0]" in paths["criteria[2].scale.levels[1].value"]
    assert "at least two levels" in paths["criteria[3].scale.levels"]
    assert "unknown scale type" in paths["criteria[4].scale.type"]
    assert "unknown role" in paths["criteria[11].role"]
    assert any('no criterion has the role "verdict"' in p.text() for p in problems)
    assert len(problems) >= 7


def test_structural_problems() -> None:
    assert [p.path for p in validate_spec([])] == ["$"]
    problems = _paths(
        validate_spec(
            {
                "code": "bad code!",
                "name": {"zh": ""},
                "aggregation": "median",
                "outlier_threshold": -1,
                "criteria": [],
            }
        )
    )
    assert {"code", "name.zh", "name.en", "aggregation", "outlier_threshold", "criteria"} <= set(problems)


def test_scale_rules() -> None:
    spec = copy.deepcopy(load_template())
    spec["criteria"][0]["scale"] = {"type": "range", "min": 10, "max": 0, "step": 1}
    spec["criteria"][1]["scale"] = {"type": "range", "min": 0, "max": 10, "step": 3}
    spec["criteria"][2]["scale"] = {
        "type": "nominal",
        "options": [
            {"value": "a", "label": {"zh": "甲", "en": "A"}},
            {"value": "b", "label": {"zh": "乙", "en": "B"}},
        ],
    }
    spec["criteria"][10]["weight"] = 5  # a verdict question cannot weigh
    spec["criteria"][12]["scale"]["options"].pop()  # verdict without not_upheld
    spec["criteria"][5]["comment_required_at_or_below"] = "low"
    paths = _paths(validate_spec(spec))
    assert "greater than min" in paths["criteria[0].scale.max"]
    assert "divide the range" in paths["criteria[1].scale.step"]
    assert "ordinal, range or boolean" in paths["criteria[2].scale.type"]
    assert "only scored criteria carry a weight" in paths["criteria[10].weight"]
    assert "upheld, partly_upheld, not_upheld" in paths["criteria[12].scale.options"]
    assert "number or null" in paths["criteria[5].comment_required_at_or_below"]


def test_a_rubric_for_bids_has_no_verdict() -> None:
    bid = load_template("bid_technical_standard.json")
    assert bid["purpose"] == "bid" and validate_spec(bid) == []
    with_verdict = load_template()
    with_verdict["purpose"] = "bid"
    problems = {(p.path, p.message) for p in validate_spec(with_verdict)}
    assert ("criteria[12].role", 'a rubric for bids has no criterion of the role "verdict"') in problems
    assert validate_spec({**bid, "purpose": "tender"})[0].path == "purpose"
