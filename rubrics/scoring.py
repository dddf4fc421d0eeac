"""Pure scoring helpers, shared by panel scoring and bid evaluation. No Flask, no database.

A rubric version is given in its JSON form (``rubrics.spec``); one member's answers are a mapping
``{criterion code: {"value": ..., "comment": ...}}``.

Conventions:

* Each scored criterion's answer is normalised to 0–1 on its scale (ordinal: position of the value between
  the lowest and highest level values; range: between min and max; boolean: yes = 1).
* A member's total is ``100 × Σ wᵢ·xᵢ / Σ wᵢ`` over the scored criteria they answered, so an optional
  criterion left blank neither counts as zero nor inflates the rest.
* A case's total under ``weighted_mean`` is the same formula applied to the per-criterion means across
  members. Under ``trimmed_mean``, when at least 5 members scored, the highest and the lowest member totals
  are dropped and the rest averaged (the custom of Chinese expert panels); with fewer it falls back to the
  weighted mean.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evaluation.text import N_
from rubrics.spec import Problem

Answers = Mapping[str, Mapping[str, Any]]
TRIM_MIN_MEMBERS = 5


def _scale_bounds(scale: Mapping[str, Any]) -> tuple[float, float]:
    if scale["type"] == "ordinal":
        values = [level["value"] for level in scale["levels"]]
        return min(values), max(values)
    if scale["type"] == "range":
        return scale["min"], scale["max"]
    return 0.0, 1.0


def normalised(criterion: Mapping[str, Any], value: Any) -> float:
    """An answer on a numeric scale mapped to 0–1."""
    scale = criterion["scale"]
    if scale["type"] == "boolean":
        return 1.0 if value else 0.0
    lo, hi = _scale_bounds(scale)
    return (float(value) - lo) / (hi - lo)


def numeric_value(criterion: Mapping[str, Any], value: Any) -> float | None:
    """The value compared with ``comment_required_at_or_below`` (booleans as 0/1); None for nominal."""
    stype = criterion["scale"]["type"]
    if stype == "nominal" or value is None:
        return None
    if stype == "boolean":
        return 1.0 if value else 0.0
    return float(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_value(criterion: Mapping[str, Any], value: Any) -> str | None:
    """None if ``value`` is a valid answer on the criterion's scale, else a message id."""
    scale = criterion["scale"]
    stype = scale["type"]
    if stype == "boolean":
        return None if isinstance(value, bool) else N_("answer yes or no")
    if stype == "nominal":
        options = [o["value"] for o in scale["options"]]
        return None if value in options else N_("choose one of the options")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return N_("enter a number")
    if stype == "ordinal":
        levels = [level["value"] for level in scale["levels"]]
        return None if any(abs(value - v) < 1e-9 for v in levels) else N_("choose one of the levels")
    lo, hi, step = scale["min"], scale["max"], scale.get("step", 1)
    if value < lo - 1e-9 or value > hi + 1e-9:
        return N_("must lie between the scale's minimum and maximum")
    steps = (value - lo) / step
    return None if abs(steps - round(steps)) < 1e-9 else N_("must be on the scale's steps")


def validate_answers(spec: Mapping[str, Any], answers: Answers, *, complete: bool = True) -> list[Problem]:
    """Problems with one member's answers. ``complete=False`` checks a draft: values only, no required ones."""
    problems: list[Problem] = []
    known = {c["code"] for c in spec["criteria"]}
    for code in answers:
        if code not in known:
            problems.append(Problem(code, N_("is not a criterion of this rubric")))
    for criterion in spec["criteria"]:
        code = criterion["code"]
        answer = answers.get(code) or {}
        value = answer.get("value")
        comment = answer.get("comment")
        if _blank(value):
            if complete and criterion.get("required", True):
                problems.append(Problem(code, N_("an answer is required")))
            continue
        message = check_value(criterion, value)
        if message:
            problems.append(Problem(code, message))
            continue
        threshold = criterion.get("comment_required_at_or_below")
        number = numeric_value(criterion, value)
        if (
            complete
            and threshold is not None
            and number is not None
            and number <= threshold + 1e-9
            and _blank(comment)
        ):
            problems.append(
                Problem(
                    code,
                    N_("a comment is required for a score at or below %(threshold)s"),
                    {"threshold": f"{threshold:g}"},
                )
            )
    return problems


def _scored(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in spec["criteria"] if c.get("role", "score") == "score"]


def sheet_total(spec: Mapping[str, Any], answers: Answers) -> float | None:
    """One member's weighted total on 0–100, or None when no scored criterion is answered."""
    num = den = 0.0
    for criterion in _scored(spec):
        value = (answers.get(criterion["code"]) or {}).get("value")
        if _blank(value):
            continue
        num += criterion["weight"] * normalised(criterion, value)
        den += criterion["weight"]
    return None if den == 0 else 100.0 * num / den


@dataclass(frozen=True)
class CriterionStats:
    n: int
    mean: float | None
    median: float | None
    sd: float | None  # sample standard deviation; None below two answers


@dataclass(frozen=True)
class CaseSummary:
    criteria: dict[str, CriterionStats]
    member_totals: list[float | None]
    total: float | None
    rule: str  # the rule actually applied: weighted_mean or trimmed_mean


def _sample_sd(values: Sequence[float]) -> float:
    """The sample standard deviation in floating point (statistics.stdev computes exactly, with fractions, at
    some hundred times the cost: a 5,000-case batch settles 45,000 of them)."""
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def summarise(spec: Mapping[str, Any], sheets: Sequence[Answers]) -> CaseSummary:
    """Per-criterion mean, median, SD and n, and the case total by the version's aggregation rule."""
    stats: dict[str, CriterionStats] = {}
    means: dict[str, float] = {}
    for criterion in spec["criteria"]:
        code = criterion["code"]
        values = [numeric_value(criterion, (sheet.get(code) or {}).get("value")) for sheet in sheets]
        present = [v for v in values if v is not None]
        if present:
            stats[code] = CriterionStats(
                n=len(present),
                mean=statistics.fmean(present),
                median=statistics.median(present),
                sd=_sample_sd(present) if len(present) > 1 else None,
            )
            if criterion.get("role", "score") == "score":
                means[code] = statistics.fmean(normalised(criterion, v) for v in present)
        else:
            stats[code] = CriterionStats(n=0, mean=None, median=None, sd=None)
    member_totals = [sheet_total(spec, sheet) for sheet in sheets]
    scored_totals = [t for t in member_totals if t is not None]
    if spec.get("aggregation") == "trimmed_mean" and len(scored_totals) >= TRIM_MIN_MEMBERS:
        ordered = sorted(scored_totals)[1:-1]
        return CaseSummary(stats, member_totals, statistics.fmean(ordered), "trimmed_mean")
    num = den = 0.0
    for criterion in _scored(spec):
        if criterion["code"] in means:
            num += criterion["weight"] * means[criterion["code"]]
            den += criterion["weight"]
    return CaseSummary(stats, member_totals, None if den == 0 else 100.0 * num / den, "weighted_mean")


def tally(values: Sequence[str | None]) -> tuple[str | None, dict[str, int]]:
    """Majority of the given nominal answers: (winner, counts); winner None on a tie for first place."""
    counts: dict[str, int] = {}
    for value in values:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    if not counts:
        return None, counts
    best = max(counts.values())
    leaders = [v for v, n in counts.items() if n == best]
    return (leaders[0] if len(leaders) == 1 else None), counts


OUTLIER_SD_FLOOR = 1.0  # points: a panel that agrees exactly still has room for rounding


def disagreement(
    totals: Sequence[float], verdicts: Sequence[str | None], *, spread_points: float, outlier_sd: float
) -> dict[str, Any]:
    """Why a panel disagrees: the spread of totals, a verdict without a majority, members far from the rest.

    A member is an outlier when their total lies more than ``outlier_sd`` standard deviations of the others'
    totals (at least ``OUTLIER_SD_FLOOR`` points) from the others' mean; it takes three others to say so.
    Returns {"reasons": [...], "outliers": [indices], "spread": …, "verdicts": {value: count}}."""
    reasons: list[str] = []
    spread = (max(totals) - min(totals)) if totals else 0.0
    if spread > spread_points:
        reasons.append("spread")
    winner, counts = tally(verdicts)
    answered = sum(counts.values())
    if counts and max(counts.values()) * 2 <= answered:
        reasons.append("split_verdict")
    outliers = []
    for i, total in enumerate(totals):
        others = [t for j, t in enumerate(totals) if j != i]
        if len(others) < 3:
            continue
        sd = max(statistics.stdev(others), OUTLIER_SD_FLOOR)
        if abs(total - statistics.fmean(others)) > outlier_sd * sd:
            outliers.append(i)
    if outliers:
        reasons.append("outlier")
    return {"reasons": reasons, "outliers": outliers, "spread": spread, "verdicts": counts}
