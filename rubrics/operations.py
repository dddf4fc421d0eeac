"""Rubric operations: import and export of versions in the JSON form. They flush, never commit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from evaluation.audit.operations import record
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.text import N_, UserError
from rubrics.models import (
    Aggregation,
    Criterion,
    CriterionRole,
    Dimension,
    FrozenVersionError,
    Rubric,
    RubricPurpose,
    RubricVersion,
    VersionState,
)
from rubrics.spec import Problem, RubricSpecError, validate_spec

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_TEMPLATE = "unsatisfied_case_standard.json"
BID_TEMPLATE = "bid_technical_standard.json"


def load_template(name: str = DEFAULT_TEMPLATE) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((TEMPLATE_DIR / name).read_text(encoding="utf-8"))
    return spec


def _bilingual(zh: str | None, en: str | None) -> dict[str, str] | None:
    if zh is None and en is None:
        return None
    return {"zh": zh or "", "en": en or ""}


def export_criterion(c: Criterion) -> dict[str, Any]:
    item: dict[str, Any] = {
        "code": c.code,
        "dimension": c.dimension.value,
        "role": c.role.value,
        "weight": _number(c.weight),
        "required": c.required,
        "title": {"zh": c.title_zh, "en": c.title_en},
    }
    description = _bilingual(c.description_zh, c.description_en)
    if description is not None:
        item["description"] = description
    item["comment_required_at_or_below"] = _number(c.comment_required_at_or_below)
    item["scale"] = c.scale
    return item


def export_version(version: RubricVersion) -> dict[str, Any]:
    """A version in the JSON form; import_version(export_version(v)) recreates it exactly."""
    spec: dict[str, Any] = {
        "code": version.rubric.code,
        "name": {"zh": version.name_zh, "en": version.name_en},
        "aggregation": version.aggregation.value,
        "outlier_threshold": version.outlier_threshold,
        "criteria": [export_criterion(c) for c in version.criteria],
    }
    if version.rubric.purpose == RubricPurpose.BID:  # a case rubric's form stays as it always was
        spec["purpose"] = RubricPurpose.BID.value
    return spec


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def _build_version(rubric: Rubric, spec: dict[str, Any], number: int) -> RubricVersion:
    version = RubricVersion(
        rubric=rubric,
        number=number,
        name_zh=spec["name"]["zh"],
        name_en=spec["name"]["en"],
        aggregation=Aggregation(spec["aggregation"]),
        outlier_threshold=float(spec.get("outlier_threshold", 2.0)),
    )
    for position, c in enumerate(spec["criteria"]):
        version.criteria.append(_criterion_from_spec(c, position))
    db.session.add(version)
    return version


def _criterion_from_spec(c: dict[str, Any], position: int) -> Criterion:
    description = c.get("description") or {}
    return Criterion(
        position=position,
        code=c["code"],
        dimension=Dimension(c.get("dimension", "other")),
        role=CriterionRole(c.get("role", "score")),
        title_zh=c["title"]["zh"],
        title_en=c["title"]["en"],
        description_zh=description.get("zh") or None,
        description_en=description.get("en") or None,
        scale=c["scale"],
        weight=_number(c.get("weight", 0)),
        required=c.get("required", True),
        comment_required_at_or_below=c.get("comment_required_at_or_below"),
    )


def _next_number(rubric: Rubric) -> int:
    if rubric.id is None:
        return 1
    return 1 + (
        db.session.scalar(
            sa.select(sa.func.max(RubricVersion.number)).where(RubricVersion.rubric_id == rubric.id)
        )
        or 0
    )


def import_version(spec: dict[str, Any], *, publish: bool = False) -> RubricVersion:
    """Create the next version (a draft, or published) of the rubric named by ``spec["code"]``.

    Raises RubricSpecError listing every problem; nothing is added to the session then.
    """
    problems = validate_spec(spec)
    if problems:
        raise RubricSpecError(problems)
    rubric = db.session.scalar(sa.select(Rubric).where(Rubric.code == spec["code"]))
    if rubric is None:
        rubric = Rubric(
            code=spec["code"],
            name_zh=spec["name"]["zh"],
            name_en=spec["name"]["en"],
            purpose=RubricPurpose(spec.get("purpose", "case")),
        )
        db.session.add(rubric)
    elif rubric.purpose.value != spec.get("purpose", "case"):
        raise RubricSpecError(
            [
                Problem(
                    "purpose",
                    N_("must stay %(purpose)s, as the rubric's earlier versions"),
                    {"purpose": rubric.purpose.value},
                )
            ]
        )
    version = _build_version(rubric, spec, _next_number(rubric))
    if publish:
        version.state = VersionState.PUBLISHED
        version.published_dt = utcnow()
    db.session.flush()
    if publish:
        _record_published(version)
    return version


class RubricError(UserError):
    """An organizer's request that cannot be carried out."""


def _require_draft(version: RubricVersion) -> None:
    if version.state != VersionState.DRAFT:
        raise FrozenVersionError(
            f"rubric version {version.id} is {version.state.value}; edit a new version instead"
        )


def create_rubric(
    code: str, name_zh: str, name_en: str, *, from_template: bool, template: str = DEFAULT_TEMPLATE
) -> RubricVersion:
    """A new rubric with a first draft version: a built-in template's criteria, or none (a case rubric)."""
    if db.session.scalar(sa.select(Rubric.id).where(Rubric.code == code)) is not None:
        raise RubricError(N_("a rubric with this code already exists"))
    spec: dict[str, Any] = (
        load_template(template) if from_template else {"aggregation": "weighted_mean", "criteria": []}
    )
    purpose = RubricPurpose(str(spec.get("purpose", "case")))
    rubric = Rubric(code=code, name_zh=name_zh, name_en=name_en, purpose=purpose)
    db.session.add(rubric)
    spec = {**spec, "code": code, "name": {"zh": name_zh, "en": name_en}}
    version = _build_version(rubric, spec, 1)
    db.session.flush()
    return version


def new_draft(version: RubricVersion) -> RubricVersion:
    """The next version of the same rubric, as a draft copy of ``version`` (how a published rubric is edited)."""
    draft = _build_version(version.rubric, export_version(version), _next_number(version.rubric))
    db.session.flush()
    return draft


def copy_as_rubric(version: RubricVersion, code: str, name_zh: str, name_en: str) -> RubricVersion:
    """A new rubric whose first draft copies ``version``'s settings and criteria."""
    if db.session.scalar(sa.select(Rubric.id).where(Rubric.code == code)) is not None:
        raise RubricError(N_("a rubric with this code already exists"))
    rubric = Rubric(code=code, name_zh=name_zh, name_en=name_en)
    db.session.add(rubric)
    spec = {**export_version(version), "code": code, "name": {"zh": name_zh, "en": name_en}}
    copy = _build_version(rubric, spec, 1)
    db.session.flush()
    return copy


def update_settings(
    version: RubricVersion, name_zh: str, name_en: str, aggregation: str, outlier_threshold: float
) -> None:
    _require_draft(version)
    version.name_zh, version.name_en = name_zh, name_en
    version.aggregation = Aggregation(aggregation)
    version.outlier_threshold = outlier_threshold
    db.session.flush()


def criterion_problems(
    version: RubricVersion, spec: dict[str, Any], criterion: Criterion | None
) -> list[Problem]:
    """The problems that a criterion's JSON form would have within its version (paths as in the import)."""
    items = [export_criterion(c) for c in version.criteria]
    index = version.criteria.index(criterion) if criterion is not None else len(items)
    items[index : index + 1] = [spec]
    prefix = f"criteria[{index}]"
    version_spec = {**export_version(version), "criteria": items}
    return [p for p in validate_spec(version_spec) if p.path == prefix or p.path.startswith(prefix + ".")]


def save_criterion(version: RubricVersion, criterion: Criterion | None, spec: dict[str, Any]) -> Criterion:
    """Add (criterion None) or replace a criterion of a draft from its JSON form; refuses one with problems."""
    _require_draft(version)
    problems = criterion_problems(version, spec, criterion)
    if problems:
        raise RubricSpecError(problems)
    if criterion is None:
        criterion = _criterion_from_spec(spec, len(version.criteria))
        version.criteria.append(criterion)
    else:
        fresh = _criterion_from_spec(spec, criterion.position)
        for attr in (
            "code",
            "dimension",
            "role",
            "title_zh",
            "title_en",
            "description_zh",
            "description_en",
            "scale",
            "weight",
            "required",
            "comment_required_at_or_below",
        ):
            setattr(criterion, attr, getattr(fresh, attr))
    db.session.flush()
    return criterion


def remove_criterion(version: RubricVersion, criterion: Criterion) -> None:
    _require_draft(version)
    version.criteria.remove(criterion)
    _renumber(version)


def move_criterion(version: RubricVersion, criterion: Criterion, offset: int) -> None:
    _require_draft(version)
    items = list(version.criteria)
    old = items.index(criterion)
    new = max(0, min(len(items) - 1, old + offset))
    items.insert(new, items.pop(old))
    version.criteria[:] = items
    _renumber(version)


def _renumber(version: RubricVersion) -> None:
    for position, c in enumerate(version.criteria):
        c.position = position
    db.session.flush()


def version_problems(version: RubricVersion) -> list[Problem]:
    return validate_spec(export_version(version))


def publish(version: RubricVersion) -> None:
    """Freeze a valid draft. Raises RubricSpecError listing every problem."""
    _require_draft(version)
    problems = version_problems(version)
    if problems:
        raise RubricSpecError(problems)
    version.state = VersionState.PUBLISHED
    version.published_dt = utcnow()
    db.session.flush()
    _record_published(version)


def _record_published(version: RubricVersion) -> None:
    # What counts from now on: batches and projects may pin this version.
    record(
        "rubric.published",
        "rubric_version",
        version.id,
        {"rubric": version.rubric_id, "number": version.number},
    )


def retire(version: RubricVersion) -> None:
    """No new batch or project may pin a retired version; the ones that did keep it."""
    if version.state != VersionState.PUBLISHED:
        raise RubricError(N_("only a published version can be retired"))
    version.state = VersionState.RETIRED
    version.retired_dt = utcnow()
    db.session.flush()
    record(
        "rubric.retired",
        "rubric_version",
        version.id,
        {"rubric": version.rubric_id, "number": version.number},
    )


def delete_draft(version: RubricVersion) -> None:
    _require_draft(version)
    rubric = version.rubric
    db.session.delete(version)
    db.session.flush()
    if not db.session.scalar(
        sa.select(RubricVersion.id).where(RubricVersion.rubric_id == rubric.id).limit(1)
    ):
        db.session.delete(rubric)
        db.session.flush()
