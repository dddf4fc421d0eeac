"""Publishing a finalized batch: in one transaction every latest assessment of it becomes published (its object
as the main system receives it, a content hash and a place in the order of publication), its case becomes
published, and one outbox message is written per assessment and subscribed client. A published assessment is
immutable; a correction is a new version that names the one it supersedes. Operations flush; the edge commits.

The order of publication is the pull API's cursor, so it must be the order in which publications become visible:
a publication takes the audit chain's lock (its event is recorded first) before it reads the last number, and
keeps it until it commits, so a later publication's numbers are never visible before an earlier one's."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from evaluation.accounts.models import ApiClient, User
from evaluation.appeals.operations import close_re_reviewed
from evaluation.assessments.models import Assessment
from evaluation.assessments.results import QUESTION_ROLES, batch_results
from evaluation.audit.operations import checkpoint_here, record
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import CaseStatus
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.mailer import external_url, queue_template
from evaluation.privacy import mask_text
from evaluation.publication.models import OutboxMessage
from evaluation.rectifications.operations import owe_for
from evaluation.scoring.models import ScoreSheet, SheetState
from evaluation.text import N_, UserError
from panels.models import Panel, Seat, SeatState
from rubrics.operations import export_version

PUBLISHED = "assessment.published"
CORRECTED = "assessment.corrected"


class PublishError(UserError):
    """A publication that cannot be made."""


def content_hash(obj: dict[str, Any]) -> str:
    """SHA-256 of the object's canonical JSON, without its own content_hash."""
    body = {k: v for k, v in obj.items() if k != "content_hash"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _panels(batch: Batch) -> dict[int, dict[str, Any]]:
    """Per batch item: the accepted seats by role and the sheets counted, in one query (never names)."""
    rows = db.session.execute(
        sa.select(Panel.batch_item_id, Seat.role, sa.func.count(Seat.id), sa.func.count(ScoreSheet.id))
        .join(Seat, Seat.panel_id == Panel.id)
        .join(BatchItem, BatchItem.id == Panel.batch_item_id)
        .outerjoin(
            ScoreSheet,
            sa.and_(
                ScoreSheet.seat_id == Seat.id,
                ScoreSheet.state.in_([SheetState.SUBMITTED, SheetState.REVISED]),
            ),
        )
        .where(BatchItem.batch_id == batch.id, Seat.state == SeatState.ACCEPTED)
        .group_by(Panel.batch_item_id, Seat.role)
    )
    out: dict[int, dict[str, Any]] = defaultdict(lambda: {"size": 0, "sheets": 0, "roles": {}})
    for item_id, role, seats, sheets in rows:
        out[item_id]["size"] += seats
        out[item_id]["sheets"] += sheets
        out[item_id]["roles"][role.value] = seats
    return out


def _majority(tally: dict[str, int]) -> str | None:
    if not tally:
        return None
    top = max(tally.values())
    winners = [value for value, count in tally.items() if count == top]
    return winners[0] if len(winners) == 1 else None


def _masked(reason: str | None, assessment: Assessment) -> str | None:
    """A member's reason as it leaves the office: the citizen's name and numbers masked, and for a confidential
    report (举报) taken out entirely, as the evaluated department's pages show it."""
    if not reason:
        return None
    case = assessment.case
    return mask_text(reason, name=case.citizen_name, remove=case.confidential)


def assessment_object(
    assessment: Assessment,
    batch: Batch,
    spec: dict[str, Any],
    panel: dict[str, Any],
    published: datetime,
    audit: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The assessment as the main system receives it (push and pull alike)."""
    figures = (batch.figures or {}).get("criteria", {})
    obj: dict[str, Any] = {
        "id": assessment.public_id,
        "version": assessment.version,
        "supersedes": assessment.supersedes.public_id if assessment.supersedes else None,
        "case": {"source": assessment.case.source, "external_id": assessment.case.external_id},
        "department": assessment.department.code,
        "batch": {"id": batch.id, "name": batch.name},
        "rubric": {"code": spec["code"], "version": batch.rubric_version.number},
        "panel": panel,
        "verdict": assessment.verdict.value,
        "answers": {
            role: _majority(assessment.votes.get(role, {}))
            for role in QUESTION_ROLES
            if role != "verdict" and role in assessment.votes
        },
        "total": assessment.total,
        "adjusted_total": assessment.adjusted_total,
        "criteria": assessment.criteria,
        "dissent": {
            "count": len(assessment.dissent),
            "reasons": [
                {
                    "verdict": d.get("verdict"),
                    "reason": _masked(d.get("reason"), assessment),
                }
                for d in assessment.dissent
            ],
        },
        "agreement": {
            "spread": assessment.agreement.get("spread"),
            "batch": {
                code: {"alpha": f.get("alpha"), "reading": f.get("reading")} for code, f in figures.items()
            },
        },
        "published_at": published.isoformat(),
        "audit": audit,
    }
    obj["content_hash"] = content_hash(obj)
    return obj


def publish_batch(batch: Batch, user_id: int | None) -> int:
    """finalized -> published; returns how many assessments were published."""
    if batch.state != BatchState.FINALIZED:
        raise PublishError(N_("Only a finalized batch can be published."))
    now = utcnow()
    assessments = [a for a in batch_results(batch) if a.published_dt is None]
    record("batch.published", "batch", batch.id, {"assessments": len(assessments)}, actor_id=user_id)
    # After the event: the chain's lock is held until commit, so the numbers below follow commit order, and the
    # audit chain's signed length and head, carried in every assessment, anchor it in the main system's hands.
    anchor = checkpoint_here(now).as_json()
    last = db.session.scalar(sa.select(sa.func.max(Assessment.published_seq))) or 0
    spec = export_version(batch.rubric_version)
    panels = _panels(batch)
    clients = _subscribers()
    loaded = db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.id.in_([a.id for a in assessments]))
        .options(
            joinedload(Assessment.case), joinedload(Assessment.department), joinedload(Assessment.supersedes)
        )
        .order_by(Assessment.id)
    ).all()
    for number, assessment in enumerate(loaded, start=last + 1):
        obj = assessment_object(
            assessment, batch, spec, panels.get(assessment.batch_item_id, {}), now, anchor
        )
        assessment.published_dt, assessment.published_seq = now, number
        assessment.publication, assessment.content_hash = obj, obj["content_hash"]
        assessment.case.status = CaseStatus.PUBLISHED
        event = CORRECTED if assessment.supersedes_id else PUBLISHED
        for client in clients:
            db.session.add(
                OutboxMessage(
                    event=event,
                    client_id=client.id,
                    payload={"type": event, "timestamp": now.isoformat(), "data": obj},
                )
            )
    batch.state, batch.published_dt = BatchState.PUBLISHED, now
    close_re_reviewed(loaded)
    owe_for(loaded, now)
    db.session.flush()
    _tell_departments(batch, loaded)
    return len(loaded)


def _tell_departments(batch: Batch, published: Sequence[Assessment]) -> None:
    """Each evaluated department's users hear of their results by e-mail, sent once the publication commits."""
    per_department: dict[int, int] = defaultdict(int)
    for assessment in published:
        per_department[assessment.department_id] += 1
    for user in db.session.scalars(User.department_readers(list(per_department))).all():
        queue_template(
            user.email or "",
            "evaluation/publication/emails/published",
            (N_("Evaluation results published: %(batch)s"), {"batch": batch.name}),
            user_name=user.display_name,
            batch_name=batch.name,
            count=per_department[user.department_id or 0],
            results_url=external_url("results.index"),
        )


def _subscribers() -> list[ApiClient]:
    """The clients that receive assessments by webhook: a webhook address, the scope, not revoked."""
    clients = db.session.scalars(
        sa.select(ApiClient).where(ApiClient.webhook_url.is_not(None), ApiClient.revoked_dt.is_(None))
    ).all()
    return [c for c in clients if c.has_scope("assessments:read")]
