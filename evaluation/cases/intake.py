"""Bringing cases in: from the main system's API and from organizers' CSV/XLSX uploads.

Each item is atomic and gets its own result. Everything is validated before anything is written; the
departments and the existing cases of a whole request are loaded in one query each, and the writes go out in
one flush. Only if that flush collides with a concurrent writer are the items retried one by one, each in
its own savepoint, so one item's failure never takes another with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from evaluation.audit.operations import record
from evaluation.cases.models import (
    CallbackRating,
    Case,
    CaseAttachment,
    CaseStatus,
    CaseType,
    Channel,
    HandlingStep,
    StepAction,
    case_assisting_departments,
)
from evaluation.cases.schemas import CaseIn, field_errors
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.org.models import Department
from evaluation.privacy import mask_text

# A case may still change while it is being screened; once it is in a batch it is frozen for the panel.
CHANGEABLE = frozenset({CaseStatus.RECEIVED, CaseStatus.ELIGIBLE, CaseStatus.EXCLUDED})
UNSATISFIED = frozenset({"unsatisfied", "very_unsatisfied"})


@dataclass
class ItemResult:
    index: int
    source: str | None
    external_id: str | None
    result: str  # created | updated | unchanged | rejected
    status: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    conflict: bool = False  # rejected because the case is already under review (409 for a single object)

    def as_json(self, with_index: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "external_id": self.external_id, "result": self.result}
        if with_index:
            out = {"index": self.index, **out}
        if self.status is not None:
            out["status"] = self.status
        if self.errors:
            out["errors"] = self.errors
        return out


@dataclass
class _Valid:
    index: int
    case: CaseIn
    digest: str
    prefix: str


def payload_digest(case: CaseIn) -> str:
    """SHA-256 of the validated payload; timestamps are already in UTC and field order is the model's."""
    return hashlib.sha256(case.model_dump_json().encode()).hexdigest()


def _identity(raw: Any) -> tuple[str | None, str | None]:
    if isinstance(raw, dict):
        source, external_id = raw.get("source"), raw.get("external_id")
        return (
            source if isinstance(source, str) else None,
            external_id if isinstance(external_id, str) else None,
        )
    return None, None


def ingest_cases(raw_items: list[Any], *, list_mode: bool) -> list[ItemResult]:
    """Create, update or leave unchanged each case; flushes, the caller commits."""
    results: list[ItemResult | None] = [None] * len(raw_items)
    valid: list[_Valid] = []
    for index, raw in enumerate(raw_items):
        prefix = f"cases[{index}]" if list_mode else ""
        source, external_id = _identity(raw)
        try:
            case = CaseIn.model_validate(raw)
        except ValidationError as exc:
            results[index] = ItemResult(
                index, source, external_id, "rejected", errors=field_errors(exc, prefix)
            )
            continue
        valid.append(_Valid(index, case, payload_digest(case), prefix))

    codes = {code for v in valid for code in _department_codes(v.case)}
    departments = (
        {d.code: d for d in db.session.scalars(sa.select(Department).where(Department.code.in_(codes)))}
        if codes
        else {}
    )
    checked: list[_Valid] = []
    for v in valid:
        errors = _semantic_errors(v, departments)
        if errors:
            results[v.index] = ItemResult(
                v.index, v.case.source, v.case.external_id, "rejected", errors=errors
            )
        else:
            checked.append(v)

    identities = {(v.case.source, v.case.external_id) for v in checked}
    existing = _existing(identities)
    try:
        with db.session.begin_nested():
            _write(checked, existing, departments, results)
    except IntegrityError:
        # A concurrent request inserted one of these cases first: redo item by item, each in its own savepoint.
        existing = _existing(identities)
        for v in checked:
            try:
                with db.session.begin_nested():
                    _write([v], existing, departments, results)
            except IntegrityError:
                results[v.index] = ItemResult(
                    v.index,
                    v.case.source,
                    v.case.external_id,
                    "rejected",
                    errors=[
                        {
                            "field": v.prefix or "$",
                            "code": "concurrent_write",
                            "message": gettext(
                                "Another request wrote this case at the same time; send it again."
                            ),
                        }
                    ],
                )
    return [r for r in results if r is not None]


def record_intake(results: list[ItemResult], via: str, **detail: Any) -> None:
    """One audit event for an import or an API request that created or changed cases: who, how, and which."""
    counts = {
        key: sum(r.result == key for r in results) for key in ("created", "updated", "unchanged", "rejected")
    }
    written = [f"{r.source}/{r.external_id}" for r in results if r.result in ("created", "updated")]
    if written:
        record("cases.imported", "intake", via, {**counts, **detail, "cases": written})


def _department_codes(case: CaseIn) -> set[str]:
    codes = {case.lead_department, *case.assisting_departments}
    codes.update(step.department for step in case.steps if step.department)
    return codes


def _join(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix else path


def _semantic_errors(v: _Valid, departments: dict[str, Department]) -> list[dict[str, str]]:
    case, errors = v.case, []
    if case.callback.rating not in UNSATISFIED:
        errors.append(
            {
                "field": _join(v.prefix, "callback.rating"),
                "code": "not_unsatisfied",
                "message": gettext(
                    "Only cases rated unsatisfied or very unsatisfied are evaluated, not %(rating)s.",
                    rating=case.callback.rating,
                ),
            }
        )
    if case.due_at is not None and case.due_at < case.received_at:
        errors.append(
            {
                "field": _join(v.prefix, "due_at"),
                "code": "due_before_receipt",
                "message": gettext("The due date is before the case was received."),
            }
        )
    if case.lead_department not in departments:
        errors.append(
            {
                "field": _join(v.prefix, "lead_department"),
                "code": "unknown_department",
                "message": gettext(
                    "No department has the code %(code)s; the main system sends the department first "
                    "(PUT /api/v1/departments/<code>).",
                    code=case.lead_department,
                ),
            }
        )
    for i, code in enumerate(case.assisting_departments):
        if code not in departments:
            errors.append(
                {
                    "field": _join(v.prefix, f"assisting_departments[{i}]"),
                    "code": "unknown_department",
                    "message": gettext("No department has the code %(code)s.", code=code),
                }
            )
    for i, step in enumerate(case.steps):
        if step.department and step.department not in departments:
            errors.append(
                {
                    "field": _join(v.prefix, f"steps[{i}].department"),
                    "code": "unknown_department",
                    "message": gettext("No department has the code %(code)s.", code=step.department),
                }
            )
    return errors


def _existing(identities: set[tuple[str, str]]) -> dict[tuple[str, str], Case]:
    if not identities:
        return {}
    found: dict[tuple[str, str], Case] = {}
    pairs = sorted(identities)
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        query = (
            sa.select(Case)
            .where(sa.tuple_(Case.source, Case.external_id).in_(chunk))
            .options(
                selectinload(Case.steps),
                selectinload(Case.attachments),
                selectinload(Case.assisting_departments),
            )
        )
        for case in db.session.scalars(query):
            found[(case.source, case.external_id)] = case
    return found


def _write(
    items: list[_Valid],
    existing: dict[tuple[str, str], Case],
    departments: dict[str, Department],
    results: list[ItemResult | None],
) -> None:
    """Updates go through the ORM; new cases, the bulk of any push, through bulk INSERT … RETURNING."""
    new: dict[tuple[str, str], _Valid] = {}
    for v in items:
        key = (v.case.source, v.case.external_id)
        case = existing.get(key)
        if case is None:
            earlier = new.get(key)  # the same case twice in one request: the later one wins
            outcome = (
                "created" if earlier is None else ("unchanged" if earlier.digest == v.digest else "updated")
            )
            new[key] = v
            results[v.index] = ItemResult(v.index, *key, outcome, status=CaseStatus.RECEIVED.value)
            continue
        if case.payload_hash == v.digest:
            outcome = "unchanged"
        elif case.status not in CHANGEABLE:
            results[v.index] = ItemResult(
                v.index,
                *key,
                "rejected",
                status=case.status.value,
                conflict=True,
                errors=[
                    {
                        "field": v.prefix or "$",
                        "code": "in_review",
                        "message": f"the case is already {case.status.value} in a review batch and can no longer change",
                    }
                ],
            )
            continue
        else:
            _apply(case, v.case, v.digest, departments)
            outcome = "updated"
        results[v.index] = ItemResult(v.index, *key, outcome, status=case.status.value)
    db.session.flush()
    if new:
        _insert_new(list(new.values()), departments)


def _case_row(data: CaseIn, digest: str, departments: dict[str, Department]) -> dict[str, Any]:
    citizen = data.citizen
    return {
        "source": data.source,
        "external_id": data.external_id,
        "channel": Channel(data.channel),
        "case_type": CaseType(data.type),
        "category": data.category,
        "region_code": data.region_code,
        "received_dt": data.received_at,
        "dispatched_dt": data.dispatched_at,
        "due_dt": data.due_at,
        "replied_dt": data.replied_at,
        "lead_department_id": departments[data.lead_department].id,
        # Core inserts skip the mapper's events: the masked copies are made here (as Case's events do).
        "title_enc": data.title,
        "request_text_enc": data.request_text,
        "reply_text_enc": data.reply_text,
        "title_masked": mask_text(data.title, name=citizen.name if citizen else None)[:300] or None,
        "request_masked": mask_text(data.request_text, name=citizen.name if citizen else None),
        "callback_dt": data.callback.at,
        "callback_rating": CallbackRating(data.callback.rating),
        "callback_reason_enc": data.callback.reason,
        "citizen_name_enc": citizen.name if citizen else None,
        "citizen_phone_enc": citizen.phone if citizen else None,
        "citizen_id_number_enc": citizen.id_number if citizen else None,
        "citizen_address_enc": citizen.address if citizen else None,
        # A whistle-blowing report is confidential whatever the sender says.
        "confidential": data.confidential or data.type == "report",
        "status": CaseStatus.RECEIVED,
        "payload_hash": digest,
    }


def _insert_new(items: list[_Valid], departments: dict[str, Department]) -> None:
    """Core executemany, then one SELECT for the new ids: on PostgreSQL a pipelined executemany beats one
    INSERT … RETURNING carrying tens of thousands of parameters, and on SQLite it is as fast."""
    connection = db.session.connection()
    now = utcnow()
    rows = [{**_case_row(v.case, v.digest, departments), "created_dt": now, "updated_dt": now} for v in items]
    connection.execute(sa.insert(Case), rows)
    ids = {
        (source, external_id): case_id
        for case_id, source, external_id in connection.execute(
            sa.select(Case.id, Case.source, Case.external_id).where(
                sa.tuple_(Case.source, Case.external_id).in_(
                    [(v.case.source, v.case.external_id) for v in items]
                )
            )
        )
    }
    steps, assisting, attachments = [], [], []
    for v in items:
        case_id = ids[(v.case.source, v.case.external_id)]
        steps += [
            {
                "case_id": case_id,
                "position": i,
                "action": StepAction(s.action),
                "at_dt": s.at,
                "note_enc": s.note,
                "department_id": departments[s.department].id if s.department else None,
            }
            for i, s in enumerate(v.case.steps)
        ]
        assisting += [
            {"case_id": case_id, "department_id": departments[code].id}
            for code in dict.fromkeys(v.case.assisting_departments)
        ]
        attachments += [
            {"case_id": case_id, "name_enc": a.name, "url_enc": a.url} for a in v.case.attachments
        ]
    if steps:
        connection.execute(sa.insert(HandlingStep), steps)
    if assisting:
        connection.execute(sa.insert(case_assisting_departments), assisting)
    if attachments:
        connection.execute(sa.insert(CaseAttachment), attachments)


def _apply(case: Case, data: CaseIn, digest: str, departments: dict[str, Department]) -> None:
    case.channel = Channel(data.channel)
    case.case_type = CaseType(data.type)
    case.category = data.category
    case.region_code = data.region_code
    case.received_dt = data.received_at
    case.dispatched_dt = data.dispatched_at
    case.due_dt = data.due_at
    case.replied_dt = data.replied_at
    case.lead_department = departments[data.lead_department]
    case.assisting_departments = [departments[c] for c in dict.fromkeys(data.assisting_departments)]
    case.title = data.title
    case.request_text = data.request_text
    case.reply_text = data.reply_text
    case.callback_dt = data.callback.at
    case.callback_rating = CallbackRating(data.callback.rating)
    case.callback_reason = data.callback.reason
    citizen = data.citizen
    case.citizen_name = citizen.name if citizen else None
    case.citizen_phone = citizen.phone if citizen else None
    case.citizen_id_number = citizen.id_number if citizen else None
    case.citizen_address = citizen.address if citizen else None
    # A whistle-blowing report is confidential whatever the sender says.
    case.confidential = data.confidential or data.type == "report"
    case.steps = [
        HandlingStep(
            position=i,
            action=StepAction(s.action),
            at_dt=s.at,
            note=s.note,
            department=departments[s.department] if s.department else None,
        )
        for i, s in enumerate(data.steps)
    ]
    case.attachments = [CaseAttachment(name=a.name, url=a.url) for a in data.attachments]
    case.payload_hash = digest
