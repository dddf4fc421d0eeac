"""The rubric version's JSON form: validation that names every problem by its JSON path.

Pure code: no Flask, no database. Messages are English message ids with ``%(name)s`` parameters, marked
with ``N_`` for extraction; the interface translates them, the command line prints them as they are.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from evaluation.text import N_

AGGREGATIONS = ("weighted_mean", "trimmed_mean")
DIMENSIONS = ("procedure", "content", "goal", "other")
ROLES = ("score", "claim_reasonable", "duty_done", "verdict", "responsibility", "recommendation", "note")
SCALE_TYPES = ("ordinal", "range", "boolean", "nominal")
VERDICT_VALUES = ("upheld", "partly_upheld", "not_upheld")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
WEIGHT_TOTAL = 100.0
PURPOSES = ("case", "bid")  # what a rubric scores: unsatisfied cases, or bids' technical proposals


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return f"{self.path}: {self.message % self.params if self.params else self.message}"


class RubricSpecError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.text() for p in problems))


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, **params: Any) -> None:
        self.problems.append(Problem(path, message, params))

    def text(
        self, obj: dict[str, Any], key: str, path: str, *, required: bool = True, max_len: int = 200
    ) -> None:
        value = obj.get(key)
        if value is None:
            if required:
                self.add(_join(path, key), N_("is required"))
        elif not isinstance(value, str) or not value.strip():
            self.add(_join(path, key), N_("must be a non-empty text"))
        elif len(value) > max_len:
            self.add(_join(path, key), N_("must have at most %(n)d characters"), n=max_len)

    def unique_code(
        self,
        value: Any,
        path: str,
        seen: dict[str, int],
        index: int,
        *,
        max_len: int,
        bad: str,
        duplicate: str,
    ) -> None:
        """A code-like value, unique among its siblings (criteria codes, option values)."""
        if not isinstance(value, str) or not CODE_RE.match(value) or len(value) > max_len:
            self.add(path, bad)
        elif value in seen:
            self.add(path, duplicate, other=seen[value])
        else:
            seen[value] = index

    def bilingual(
        self, obj: dict[str, Any], key: str, path: str, *, required: bool = True, max_len: int = 200
    ) -> None:
        value = obj.get(key)
        if value is None:
            if required:
                self.add(_join(path, key), N_("is required"))
            return
        if not isinstance(value, dict):
            self.add(_join(path, key), N_('must be an object with "zh" and "en" texts'))
            return
        for lang in ("zh", "en"):
            self.text(value, lang, _join(path, key), required=required, max_len=max_len)


def validate_spec(data: Any) -> list[Problem]:
    """Every problem in a rubric version's JSON form; an empty list means it is valid."""
    c = _Checker()
    if not isinstance(data, dict):
        c.add("$", N_("must be a JSON object"))
        return c.problems
    code = data.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code) or len(code) > 64:
        c.add("code", N_("must be a code of letters, digits, '-', '_' or '.' (at most 64 characters)"))
    c.bilingual(data, "name", "")
    if data.get("aggregation") not in AGGREGATIONS:
        c.add("aggregation", N_("must be one of %(choices)s"), choices=", ".join(AGGREGATIONS))
    purpose = data.get("purpose", "case")
    if purpose not in PURPOSES:
        c.add("purpose", N_("must be one of %(choices)s"), choices=", ".join(PURPOSES))
    threshold = data.get("outlier_threshold", 2.0)
    if not _is_number(threshold) or threshold <= 0:
        c.add("outlier_threshold", N_("must be a number greater than 0"))
    criteria = data.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        c.add("criteria", N_("must be a non-empty list"))
        return c.problems
    seen_codes: dict[str, int] = {}
    weight_sum = 0.0
    verdicts = []
    for i, crit in enumerate(criteria):
        path = f"criteria[{i}]"
        if not isinstance(crit, dict):
            c.add(path, N_("must be a JSON object"))
            continue
        role, weight = _check_criterion(c, crit, path, i, seen_codes)
        if role == "verdict":
            verdicts.append(i)
        elif role == "score":
            weight_sum += weight
    if abs(weight_sum - WEIGHT_TOTAL) > 1e-9:
        c.add(
            "criteria",
            N_("the weights of the scored criteria sum to %(total)s, not 100"),
            total=f"{weight_sum:g}",
        )
    if purpose == "bid":  # a bid's technical proposal is scored, never judged upheld or not
        for index in verdicts:
            c.add(f"criteria[{index}].role", N_('a rubric for bids has no criterion of the role "verdict"'))
        return c.problems
    if not verdicts:
        c.add("criteria", N_('no criterion has the role "verdict"'))
    for extra in verdicts[1:]:
        c.add(f"criteria[{extra}].role", N_('only one criterion may have the role "verdict"'))
    return c.problems


def _check_criterion(
    c: _Checker, crit: dict[str, Any], path: str, i: int, seen_codes: dict[str, int]
) -> tuple[str, float]:
    """One criterion's problems; returns its role and its weight (0 where the weight is no number)."""
    c.unique_code(
        crit.get("code"),
        f"{path}.code",
        seen_codes,
        i,
        max_len=32,
        bad=N_("must be a code of letters, digits, '-', '_' or '.' (at most 32 characters)"),
        duplicate=N_("duplicates the code of criteria[%(other)d]"),
    )
    if crit.get("dimension", "other") not in DIMENSIONS:
        c.add(f"{path}.dimension", N_("must be one of %(choices)s"), choices=", ".join(DIMENSIONS))
    role = crit.get("role", "score")
    if role not in ROLES:
        c.add(f"{path}.role", N_("unknown role; must be one of %(choices)s"), choices=", ".join(ROLES))
    if not isinstance(crit.get("required", True), bool):
        c.add(f"{path}.required", N_("must be true or false"))
    c.bilingual(crit, "title", path)
    c.bilingual(crit, "description", path, required=False, max_len=4000)
    weight = crit.get("weight", 0)
    if not _is_number(weight) or weight < 0:
        c.add(f"{path}.weight", N_("must be a number of at least 0"))
        weight = 0
    scale = crit.get("scale")
    stype = _check_scale(c, scale, f"{path}.scale")
    if role == "score":
        if weight <= 0:
            c.add(f"{path}.weight", N_("a scored criterion needs a weight greater than 0"))
        if stype == "nominal":
            c.add(f"{path}.scale.type", N_("a scored criterion needs an ordinal, range or boolean scale"))
    else:
        if weight:
            c.add(f"{path}.weight", N_("only scored criteria carry a weight; use 0"))
        if role not in ("note",) and stype not in (None, "nominal"):
            c.add(f"{path}.scale.type", N_("a verdict question needs a nominal scale of options"))
    if role == "verdict" and stype == "nominal":
        values = {o.get("value") for o in (scale or {}).get("options", []) if isinstance(o, dict)}
        missing = [v for v in VERDICT_VALUES if v not in values]
        if missing:
            c.add(
                f"{path}.scale.options",
                N_("the verdict needs the options %(values)s"),
                values=", ".join(VERDICT_VALUES),
            )
    threshold_at = crit.get("comment_required_at_or_below")
    if threshold_at is not None:
        if not _is_number(threshold_at):
            c.add(f"{path}.comment_required_at_or_below", N_("must be a number or null"))
        elif stype == "nominal":
            c.add(f"{path}.comment_required_at_or_below", N_("cannot apply to a nominal scale; use null"))
    return role, weight


def _check_scale(c: _Checker, scale: Any, path: str) -> str | None:
    if not isinstance(scale, dict):
        c.add(path, N_("is required and must be a JSON object"))
        return None
    stype = str(scale.get("type") or "")
    if stype not in SCALE_TYPES:
        c.add(
            f"{path}.type",
            N_("unknown scale type; must be one of %(choices)s"),
            choices=", ".join(SCALE_TYPES),
        )
        return None
    if stype == "ordinal":
        levels = scale.get("levels")
        if not isinstance(levels, list) or len(levels) < 2:
            c.add(f"{path}.levels", N_("an ordinal scale needs at least two levels"))
            return stype
        seen: dict[float, int] = {}
        for j, level in enumerate(levels):
            lpath = f"{path}.levels[{j}]"
            if not isinstance(level, dict):
                c.add(lpath, N_("must be a JSON object"))
                continue
            value = level.get("value")
            if not _is_number(value):
                c.add(f"{lpath}.value", N_("must be a number"))
            elif value in seen:
                c.add(f"{lpath}.value", N_("duplicates the value of levels[%(other)d]"), other=seen[value])
            else:
                seen[value] = j
            c.bilingual(level, "label", lpath)
            c.bilingual(level, "descriptor", lpath, required=False, max_len=2000)
    elif stype == "range":
        lo, hi, step = scale.get("min"), scale.get("max"), scale.get("step", 1)
        for key, value in (("min", lo), ("max", hi), ("step", step)):
            if not _is_number(value):
                c.add(f"{path}.{key}", N_("must be a number"))
        if _is_number(lo) and _is_number(hi) and lo >= hi:
            c.add(f"{path}.max", N_("must be greater than min"))
        elif _is_number(step) and step <= 0:
            c.add(f"{path}.step", N_("must be greater than 0"))
        elif _is_number(lo) and _is_number(hi) and _is_number(step):
            steps = (hi - lo) / step
            if abs(steps - round(steps)) > 1e-9:
                c.add(f"{path}.step", N_("must divide the range from min to max evenly"))
    elif stype == "nominal":
        options = scale.get("options")
        if not isinstance(options, list) or len(options) < 2:
            c.add(f"{path}.options", N_("a nominal scale needs at least two options"))
            return stype
        seen_values: dict[str, int] = {}
        for j, option in enumerate(options):
            opath = f"{path}.options[{j}]"
            if not isinstance(option, dict):
                c.add(opath, N_("must be a JSON object"))
                continue
            c.unique_code(
                option.get("value"),
                f"{opath}.value",
                seen_values,
                j,
                max_len=64,
                bad=N_("must be a code of letters, digits, '-', '_' or '.'"),
                duplicate=N_("duplicates the value of options[%(other)d]"),
            )
            c.bilingual(option, "label", opath)
    return stype
