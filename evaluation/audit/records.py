"""Records checked against the events that recorded them.

A submitted score sheet, a settled assessment and a draw each keep the hash of the audit event written when they
were made (``audit_hash``), and that event keeps a digest of what they said. Someone with the database can edit a
sheet's answers or an assessment's verdict; they cannot make its event say so without the audit key (the event's
hash would no longer follow). ``verify_records`` names every record whose event is missing, is about another
object, or holds another digest, and every settled record that has lost its anchor."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from evaluation.assessments.models import Assessment
from evaluation.audit.models import AuditEvent
from evaluation.extensions import db
from evaluation.scoring.models import ScoreSheet, SheetState
from panels.models import Draw


def _digest(content: Any) -> str:
    body = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def sheet_digest(sheet: ScoreSheet) -> str:
    answers = sorted([a.criterion_id, a.value_num, a.value_text, a.comment or ""] for a in sheet.answers)
    return _digest(["sheet", sheet.seat_id, sheet.total, answers])


def assessment_digest(assessment: Assessment) -> str:
    return _digest(
        [
            "assessment",
            assessment.case_id,
            assessment.batch_item_id,
            assessment.verdict.value,
            assessment.total,
            assessment.adjusted_total,
            assessment.criteria,
            assessment.votes,
        ]
    )


def draw_digest(draw: Draw) -> str:
    return _digest(["draw", draw.batch_id, draw.seed_hash, draw.seed, draw.result])


@dataclass(frozen=True)
class Kind:
    name: str
    model: Any
    digest: Callable[[Any], str]
    actions: frozenset[str]  # the events that record it
    object_id: Callable[[Any], str]  # what the event names as its object
    settled: Callable[[], Any]  # which of them must carry an anchor (built when asked: the mappers are ready)
    load: Callable[[], tuple[Any, ...]] = tuple


KINDS = (
    Kind(
        "sheet",
        ScoreSheet,
        sheet_digest,
        frozenset({"score.submitted", "score.revised"}),
        lambda s: str(s.id),
        lambda: ScoreSheet.state != SheetState.DRAFT,
        lambda: (selectinload(ScoreSheet.answers),),
    ),
    Kind(
        "assessment",
        Assessment,
        assessment_digest,
        frozenset({"verdict.settled"}),
        lambda a: str(a.case_id),
        sa.true,
    ),
    Kind(
        "draw",
        Draw,
        draw_digest,
        frozenset({"draw.made"}),
        lambda d: str(d.id),
        lambda: Draw.result.is_not(None),
    ),
)


@dataclass(frozen=True)
class RecordProblem:
    kind: str
    id: int
    problem: str  # in words, for the operator

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "problem": self.problem}


def verify_records(limit: int = 100) -> tuple[int, list[RecordProblem]]:
    """(records checked, the first ``limit`` problems)."""
    checked = 0
    problems: list[RecordProblem] = []
    for kind in KINDS:
        for record, event in _records_with_events(kind):
            checked += 1
            problem = _problem(kind, record, event)
            if problem:
                problems.append(RecordProblem(kind.name, record.id, problem))
                if len(problems) >= limit:
                    return checked, problems
    return checked, problems


def _records_with_events(kind: Kind) -> Iterator[tuple[Any, AuditEvent | None]]:
    query = (
        sa.select(kind.model, AuditEvent)
        .outerjoin(AuditEvent, AuditEvent.hash == kind.model.audit_hash)
        .where(kind.settled())
        .order_by(kind.model.id)
        .options(*kind.load())
    )
    yield from db.session.execute(query).yield_per(500)


def _problem(kind: Kind, record: Any, event: AuditEvent | None) -> str | None:
    if record.audit_hash is None:
        return f"{kind.name} {record.id} carries no audit event (its anchor was removed)"
    if event is None:
        return f"{kind.name} {record.id} names an audit event that is not in the chain"
    if event.action not in kind.actions or event.object_id != kind.object_id(record):
        return f"{kind.name} {record.id} names event {event.id}, which is about another object"
    if "digest" in event.data:
        same = event.data["digest"] == kind.digest(record)
    else:  # recorded before events carried a digest: checked by what the event did record
        same = all(_said(record, key) == event.data[key] for key in LEGACY_FIELDS if key in event.data)
    if not same:
        return f"{kind.name} {record.id} differs from what event {event.id} recorded (edited since)"
    return None


LEGACY_FIELDS = ("total", "verdict", "seed", "seed_hash")


def _said(record: Any, key: str) -> Any:
    value = getattr(record, key)
    return getattr(value, "value", value)
