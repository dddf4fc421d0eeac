"""rubrics.scoring: pure helpers on plain dicts (no app)."""

from __future__ import annotations

import pytest

from rubrics.scoring import TRIM_MIN_MEMBERS, sheet_total, summarise, tally, validate_answers

ORDINAL = {
    "code": "O",
    "role": "score",
    "weight": 40,
    "required": True,
    "comment_required_at_or_below": 1,
    "scale": {
        "type": "ordinal",
        "levels": [{"value": v, "label": {"zh": str(v), "en": str(v)}} for v in (0, 1, 2, 3)],
    },
}
RANGE = {
    "code": "R",
    "role": "score",
    "weight": 30,
    "required": True,
    "comment_required_at_or_below": None,
    "scale": {"type": "range", "min": 0, "max": 10, "step": 0.5},
}
BOOLEAN = {
    "code": "B",
    "role": "score",
    "weight": 30,
    "required": False,
    "comment_required_at_or_below": 0,
    "scale": {"type": "boolean"},
}
VERDICT = {
    "code": "V",
    "role": "verdict",
    "weight": 0,
    "required": True,
    "comment_required_at_or_below": None,
    "scale": {
        "type": "nominal",
        "options": [
            {"value": v, "label": {"zh": v, "en": v}} for v in ("upheld", "partly_upheld", "not_upheld")
        ],
    },
}


def spec(aggregation: str = "weighted_mean") -> dict:
    return {"code": "t", "aggregation": aggregation, "criteria": [ORDINAL, RANGE, BOOLEAN, VERDICT]}


def answers(o=3, r=10.0, b=True, v="not_upheld", **comments) -> dict:
    out = {"O": {"value": o}, "R": {"value": r}, "B": {"value": b}, "V": {"value": v}}
    for code, text in comments.items():
        out[code]["comment"] = text
    return {k: val for k, val in out.items() if val["value"] is not None}


def test_a_complete_valid_sheet() -> None:
    assert validate_answers(spec(), answers()) == []
    assert sheet_total(spec(), answers()) == pytest.approx(100.0)


def test_each_scale_type_normalises_to_its_share_of_the_weight() -> None:
    assert sheet_total(spec(), answers(o=0, r=0.0, b=False)) == pytest.approx(0.0)
    # ordinal 2 of 0..3 -> 2/3 of 40; range 5 of 0..10 -> half of 30; boolean yes -> 30
    assert sheet_total(spec(), answers(o=2, r=5.0, b=True, O="ok")) == pytest.approx(40 * 2 / 3 + 15 + 30)


@pytest.mark.parametrize(
    "code, value, message",
    [
        ("O", 4, "choose one of the levels"),
        ("O", "2", "enter a number"),
        ("R", 10.5, "must lie between the scale's minimum and maximum"),
        ("R", 2.25, "must be on the scale's steps"),
        ("B", 1, "answer yes or no"),
        ("V", "maybe", "choose one of the options"),
    ],
)
def test_values_off_the_scale_are_named(code, value, message) -> None:
    sheet = answers()
    sheet[code] = {"value": value}
    problems = validate_answers(spec(), sheet)
    assert [(p.path, p.message) for p in problems] == [(code, message)]


def test_required_answers_and_a_missing_optional_one() -> None:
    problems = validate_answers(spec(), {"B": {"value": True}})
    assert sorted(p.path for p in problems) == ["O", "R", "V"]
    assert all(p.message == "an answer is required" for p in problems)
    no_optional = answers(b=None)
    assert validate_answers(spec(), no_optional) == []
    # A blank optional criterion neither counts as zero nor inflates the rest: weights renormalise over 70.
    assert sheet_total(spec(), no_optional) == pytest.approx(100.0)
    assert sheet_total(spec(), answers(o=0, r=10.0, b=None, O="why")) == pytest.approx(100 * 30 / 70)


def test_a_draft_is_checked_for_values_only() -> None:
    assert validate_answers(spec(), {"O": {"value": 0}}, complete=False) == []
    assert [p.path for p in validate_answers(spec(), {"O": {"value": 9}}, complete=False)] == ["O"]


def test_comments_are_required_at_and_below_the_threshold() -> None:
    at = validate_answers(spec(), answers(o=1))
    assert [(p.path, p.params) for p in at] == [("O", {"threshold": "1"})]
    assert validate_answers(spec(), answers(o=2)) == []  # above the threshold
    assert validate_answers(spec(), answers(o=0, O="答复未回应诉求")) == []
    assert [p.path for p in validate_answers(spec(), answers(o=0, O="   "))] == ["O"]  # blank is no comment
    assert [p.path for p in validate_answers(spec(), answers(b=False))] == ["B"]  # booleans: no = 0


def test_unknown_criteria_are_refused() -> None:
    sheet = answers()
    sheet["X9"] = {"value": 1}
    assert [p.path for p in validate_answers(spec(), sheet)] == ["X9"]


def test_weighted_mean_of_criterion_means() -> None:
    sheets = [answers(o=3, r=10.0, b=True), answers(o=0, r=0.0, b=False, O="x", B="y")]
    summary = summarise(spec(), sheets)
    assert summary.rule == "weighted_mean"
    assert summary.total == pytest.approx(50.0)
    assert summary.criteria["O"].mean == pytest.approx(1.5) and summary.criteria["O"].n == 2
    assert summary.criteria["O"].median == pytest.approx(1.5)
    assert summary.criteria["O"].sd == pytest.approx(2.1213203435596424)
    assert summary.criteria["V"].n == 0  # nominal answers have no mean


def test_trimmed_mean_drops_the_highest_and_the_lowest_member() -> None:
    totals_of = [
        answers(o=o, r=r, b=b, O="c", B="c")
        for o, r, b in ((3, 10.0, True), (0, 0.0, False), (2, 5.0, True), (2, 6.0, True), (1, 4.0, False))
    ]
    summary = summarise(spec("trimmed_mean"), totals_of)
    member_totals = [sheet_total(spec(), s) for s in totals_of]
    assert summary.rule == "trimmed_mean"
    assert summary.total == pytest.approx(sum(sorted(member_totals)[1:-1]) / 3)
    assert summary.member_totals == member_totals


def test_trimmed_mean_needs_five_members() -> None:
    sheets = [answers(), answers(o=0, O="c")] * 2
    assert len(sheets) < TRIM_MIN_MEMBERS
    summary = summarise(spec("trimmed_mean"), sheets)
    assert summary.rule == "weighted_mean"
    assert summary.total == pytest.approx(summarise(spec(), sheets).total)


def test_tally_finds_the_majority_or_a_tie() -> None:
    assert tally(["upheld", "upheld", "not_upheld"]) == ("upheld", {"upheld": 2, "not_upheld": 1})
    assert tally(["upheld", "not_upheld", None])[0] is None
    assert tally([]) == (None, {})


def test_disagreement_flags() -> None:
    from rubrics.scoring import disagreement

    calm = disagreement([70, 72, 68, 71, 69], ["upheld"] * 5, spread_points=30, outlier_sd=2)
    assert calm["reasons"] == [] and calm["outliers"] == []
    wide = disagreement(
        [20, 55, 60, 62, 95],
        ["upheld", "upheld", "upheld", "not_upheld", "not_upheld"],
        spread_points=30,
        outlier_sd=2,
    )
    assert "spread" in wide["reasons"] and wide["spread"] == 75
    split = disagreement(
        [60, 61, 62, 63, 64],
        ["upheld", "upheld", "not_upheld", "not_upheld", "partly_upheld"],
        spread_points=30,
        outlier_sd=2,
    )
    assert split["reasons"] == ["split_verdict"]
    lone = disagreement([70, 71, 69, 70, 40], ["upheld"] * 5, spread_points=40, outlier_sd=2)
    assert lone["reasons"] == ["outlier"] and lone["outliers"] == [4]
    assert (
        disagreement([70, 10], ["upheld"] * 2, spread_points=100, outlier_sd=2)["outliers"] == []
    )  # too few
