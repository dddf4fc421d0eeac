"""A batch's figures, computed once when it is finalized and stored: pure numpy, no Flask, no database.

Per case: the spread of the members' totals and the severity-adjusted total. Per scored criterion and for the
verdict question: Krippendorff's alpha at the scale's own level over the rubric's declared values, its bootstrap
interval, ICC(1) and ICC(1,k) with their intervals, and a reading in words. A statistic that is undefined on the
data is stored as ``None`` with its reason, never as a number.

Rater severity (``evaluation.severity``) is fitted on the members' totals over the batch's rater–case graph. The
graph may fall apart into groups that share no member (panels drawn from disjoint pools): severities are then
comparable only within a group, so each group's effects are centred on zero on their own and every case is
adjusted against its own group. The batch's figures say how many groups there were, and each case which group
it was in.
"""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evaluation.agreement import UndefinedStatistic, bootstrap_alpha, icc, krippendorff_alpha
from evaluation.severity import DisconnectedRatersWarning, rater_severity
from rubrics.scoring import numeric_value, sheet_total

Answers = Mapping[str, Mapping[str, Any]]
Panel = Sequence[tuple[Any, Answers]]  # (member id, that member's answers)

LEVEL_OF_SCALE = {"ordinal": "ordinal", "range": "interval", "boolean": "nominal", "nominal": "nominal"}
RELIABLE, TENTATIVE = 0.800, 0.667  # Krippendorff (2004): rely on α ≥ .800; tentative conclusions from .667
BOOTSTRAP = 1000


# Why a statistic is undefined, as a code the pages put in words (the exception's English stays in "detail").
REASONS = (
    ("one unit carries", "one_unit"),
    ("pairable values", "too_few_pairable"),
    ("no variation", "no_variation"),
    ("bootstrap replicates", "bootstrap_unstable"),
    ("agree perfectly", "perfect_agreement"),
    ("do not vary", "units_do_not_vary"),
    ("complete row", "too_few_complete"),
    ("two raters", "too_few_complete"),
    ("more scores than effects", "too_few_scores"),
)


def reason(exc: Exception) -> dict[str, str]:
    text = str(exc)
    code = next((code for phrase, code in REASONS if phrase in text), "undefined")
    return {"code": code, "detail": text}


def reading(alpha: float) -> str:
    """Krippendorff's reading of alpha: reliable, tentative, or too low to draw conclusions."""
    if alpha >= RELIABLE:
        return "reliable"
    if alpha >= TENTATIVE:
        return "tentative"
    return "too_low"


@dataclass
class CaseFigures:
    spread: dict[str, Any]  # n, sd, range of the members' totals
    adjusted_total: float | None = None
    group: int | None = None  # the rater–case group the case was adjusted within


@dataclass
class BatchFigures:
    criteria: dict[
        str, dict[str, Any]
    ]  # code -> alpha, interval, ICC, reading, or the reasons they are undefined
    severity: dict[str, Any]  # groups, raters, sigma, or the reason it could not be fitted
    cases: dict[Any, CaseFigures] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"criteria": self.criteria, "severity": self.severity}


def _round(value: float | None, places: int = 3) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), places)


def _matrix(criterion: Mapping[str, Any], panels: Sequence[Panel]) -> np.ndarray:
    """One row per case, one column per seat: the criterion's answers (labels kept for nominal scales)."""
    width = max((len(panel) for panel in panels), default=0)
    nominal = criterion["scale"]["type"] == "nominal"
    matrix = np.full((len(panels), width), None if nominal else np.nan, dtype=object if nominal else float)
    for row, panel in enumerate(panels):
        for column, (_member, answers) in enumerate(panel):
            value = (answers.get(criterion["code"]) or {}).get("value")
            if value is None or value == "":
                continue
            matrix[row, column] = value if nominal else numeric_value(criterion, value)
    return matrix


def _domain(criterion: Mapping[str, Any]) -> list[Any] | None:
    scale = criterion["scale"]
    if scale["type"] == "ordinal":
        return [level["value"] for level in scale["levels"]]
    if scale["type"] == "boolean":
        return [0.0, 1.0]
    if scale["type"] == "nominal":
        return [option["value"] for option in scale["options"]]
    return None  # a range: interval over the values given


def criterion_figures(criterion: Mapping[str, Any], panels: Sequence[Panel], seed: int = 0) -> dict[str, Any]:
    level = LEVEL_OF_SCALE[criterion["scale"]["type"]]
    matrix = _matrix(criterion, panels)
    domain = _domain(criterion)
    present = np.array([[v is not None and v == v for v in row] for row in matrix.tolist()], dtype=bool)
    out: dict[str, Any] = {"level": level, "units": int((present.sum(axis=1) >= 2).sum())}
    try:
        alpha = krippendorff_alpha(matrix, level, domain)  # type: ignore[arg-type]
        out.update(alpha=_round(alpha), reading=reading(alpha))
        try:
            low, high = bootstrap_alpha(matrix, level, BOOTSTRAP, seed, values=domain)  # type: ignore[arg-type]
            out["alpha_interval"] = [_round(low), _round(high)]
        except UndefinedStatistic as exc:
            out.update(alpha_interval=None, alpha_interval_reason=reason(exc))
    except UndefinedStatistic as exc:
        out.update(alpha=None, reading=None, alpha_reason=reason(exc))
    if level != "nominal":
        try:
            result = icc(matrix.astype(float))
            for key, name in (("icc1", "ICC1"), ("icc1k", "ICC1k")):
                r = result[name]
                out[key] = {
                    "value": _round(r.value),
                    "interval": [_round(r.ci_low), _round(r.ci_high)],
                    "units": r.n_units,
                }
        except UndefinedStatistic as exc:
            out.update(icc1=None, icc1k=None, icc_reason=reason(exc))
    return out


def _spread(totals: list[float]) -> dict[str, Any]:
    return {
        "n": len(totals),
        "sd": _round(statistics.stdev(totals), 2) if len(totals) > 1 else None,
        "range": _round(max(totals) - min(totals), 2) if totals else None,
    }


def batch_figures(spec: Mapping[str, Any], panels: Mapping[Any, Panel], seed: int = 0) -> BatchFigures:
    """Every figure of a batch from its panels' answers (case key -> [(member id, answers)])."""
    keys = list(panels)
    rows = [panels[key] for key in keys]
    measured = [c for c in spec["criteria"] if c.get("role", "score") in ("score", "verdict")]
    figures = BatchFigures({c["code"]: criterion_figures(c, rows, seed) for c in measured}, {})
    case_ids, rater_ids, scores = [], [], []
    for key, panel in zip(keys, rows, strict=True):
        totals = []
        for member, answers in panel:
            total = sheet_total(spec, answers)
            if total is not None:
                totals.append(total)
                case_ids.append(key)
                rater_ids.append(member)
                scores.append(total)
        figures.cases[key] = CaseFigures(_spread(totals))
    _severity(figures, case_ids, rater_ids, scores)
    return figures


def _severity(figures: BatchFigures, case_ids: list[Any], rater_ids: list[Any], scores: list[float]) -> None:
    if not scores:
        figures.severity = {
            "fitted": False,
            "reason": {"code": "too_few_scores", "detail": "no member totals"},
        }
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DisconnectedRatersWarning)  # reported below, as groups
            result = rater_severity(np.asarray(case_ids), np.asarray(rater_ids), np.asarray(scores))
    except UndefinedStatistic as exc:
        figures.severity = {"fitted": False, "reason": reason(exc)}
        return
    figures.severity = {
        "fitted": True,
        "groups": result.n_components,
        "raters": int(result.raters.size),
        "sigma": _round(result.sigma, 2),
    }
    for index, case in enumerate(result.cases.tolist()):
        adjusted = float(np.clip(result.adjusted[index], 0.0, 100.0))
        figures.cases[case].adjusted_total = round(adjusted, 2)
        figures.cases[case].group = int(result.case_component[index])
