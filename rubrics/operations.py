"""Rubric operations: import and export of versions in the JSON form. They flush, never commit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from evaluation.db import utcnow
from evaluation.extensions import db
from rubrics.models import (
    Aggregation,
    Criterion,
    CriterionRole,
    Dimension,
    Rubric,
    RubricVersion,
    VersionState,
)
from rubrics.spec import RubricSpecError, validate_spec

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_TEMPLATE = "unsatisfied_case_standard.json"


def load_template(name: str = DEFAULT_TEMPLATE) -> dict[str, Any]:
    return json.loads((TEMPLATE_DIR / name).read_text(encoding="utf-8"))


def _bilingual(zh: str | None, en: str | None) -> dict[str, str] | None:
    if zh is None and en is None:
        return None
    return {"zh": zh or "", "en": en or ""}


def export_version(version: RubricVersion) -> dict[str, Any]:
    """A version in the JSON form; import_version(export_version(v)) recreates it exactly."""
    criteria = []
    for c in version.criteria:
        item: dict[str, Any] = {
            "code": c.code, "dimension": c.dimension.value, "role": c.role.value, "weight": _weight(c.weight),
            "required": c.required, "title": {"zh": c.title_zh, "en": c.title_en},
        }
        description = _bilingual(c.description_zh, c.description_en)
        if description is not None:
            item["description"] = description
        item["comment_required_at_or_below"] = c.comment_required_at_or_below
        item["scale"] = c.scale
        criteria.append(item)
    return {
        "code": version.rubric.code,
        "name": {"zh": version.name_zh, "en": version.name_en},
        "aggregation": version.aggregation.value,
        "outlier_threshold": version.outlier_threshold,
        "criteria": criteria,
    }


def _weight(value: Any) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def import_version(spec: dict[str, Any], *, publish: bool = False) -> RubricVersion:
    """Create the next version (a draft, or published) of the rubric named by ``spec["code"]``.

    Raises RubricSpecError listing every problem; nothing is added to the session then.
    """
    problems = validate_spec(spec)
    if problems:
        raise RubricSpecError(problems)
    rubric = db.session.scalar(sa.select(Rubric).where(Rubric.code == spec["code"]))
    if rubric is None:
        rubric = Rubric(code=spec["code"], name_zh=spec["name"]["zh"], name_en=spec["name"]["en"])
        db.session.add(rubric)
        number = 1
    else:
        number = 1 + (db.session.scalar(
            sa.select(sa.func.max(RubricVersion.number)).where(RubricVersion.rubric_id == rubric.id)
        ) or 0)
    version = RubricVersion(
        rubric=rubric, number=number, name_zh=spec["name"]["zh"], name_en=spec["name"]["en"],
        aggregation=Aggregation(spec["aggregation"]), outlier_threshold=float(spec.get("outlier_threshold", 2.0)),
    )
    for position, c in enumerate(spec["criteria"]):
        description = c.get("description") or {}
        version.criteria.append(Criterion(
            position=position, code=c["code"], dimension=Dimension(c.get("dimension", "other")),
            role=CriterionRole(c.get("role", "score")), title_zh=c["title"]["zh"], title_en=c["title"]["en"],
            description_zh=description.get("zh"), description_en=description.get("en"),
            scale=c["scale"], weight=_weight(c.get("weight", 0)), required=c.get("required", True),
            comment_required_at_or_below=c.get("comment_required_at_or_below"),
        ))
    if publish:
        version.state = VersionState.PUBLISHED
        version.published_dt = utcnow()
    db.session.add(version)
    db.session.flush()
    return version
