"""Reminders before a batch's deadline and an escalation to the organizers after it (jobs, sent after commit)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import joinedload

from evaluation.accounts.models import User
from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import Case
from evaluation.clock import to_local
from evaluation.extensions import db
from evaluation.jobs.runner import schedule
from evaluation.mailer import external_url, queue_template
from evaluation.scoring.models import late_seats
from evaluation.text import N_
from panels.models import Member, Seat


def offsets() -> list[int]:
    raw = str(current_app.config.get("EVALUATION_REMINDER_HOURS", "72,24,2"))
    return sorted({int(x) for x in raw.split(",") if x.strip()}, reverse=True)


def schedule_reminders(batch: Batch) -> int:
    """Reminder jobs at each offset before the window closes, and an escalation an hour after; keyed by the
    closing time, so changing the window schedules anew and the old jobs find themselves stale."""
    if batch.closes_dt is None:
        return 0
    stamp = batch.closes_dt.isoformat()
    made = 0
    for hours in offsets():
        made += (
            schedule(
                "batch.remind",
                batch.closes_dt - timedelta(hours=hours),
                {"batch": batch.id, "closes": stamp, "hours": hours},
                dedupe_key=f"remind:{batch.id}:{stamp}:{hours}",
            )
            is not None
        )
    made += (
        schedule(
            "batch.escalate",
            batch.closes_dt + timedelta(hours=1),
            {"batch": batch.id, "closes": stamp},
            dedupe_key=f"escalate:{batch.id}:{stamp}",
        )
        is not None
    )
    return made


Late = list[tuple[int, str]]  # (seat id, case number) of the sheets a member has still to submit


def _late_by_member(batch: Batch, member: Member | None = None) -> dict[Member, Late]:
    """Each member with sheets still to submit in the batch, and which: one query."""
    query = (
        late_seats(batch.id)
        .join(Case, BatchItem.case_id == Case.id)
        .add_columns(Case.external_id)
        .options(joinedload(Seat.member))
        .order_by(Seat.member_id, Seat.id)
    )
    if member is not None:
        query = query.where(Seat.member_id == member.id)
    grouped: dict[Member, Late] = defaultdict(list)
    for seat, number in db.session.execute(query).all():
        grouped[seat.member].append((seat.id, number))
    return grouped


def remind_member(batch: Batch, member: Member, reason: str, late: Late | None = None) -> bool:
    """Mail ``member`` one reminder listing the cases of the batch still to score (``late``, looked up if not
    given)."""
    late = _late_by_member(batch, member).get(member, []) if late is None else late
    if not late or not member.email:
        return False
    queue_template(
        member.email,
        "evaluation/jobs/emails/reminder",
        (N_("Reminder: %(batch)s"), {"batch": batch.name}),
        member_name=member.name,
        batch_name=batch.name,
        count=len(late),
        cases=[(number, external_url("scoring.sheet", seat_id=seat_id)) for seat_id, number in late],
        seats_url=external_url("batches.my_seats"),
        closes=to_local(batch.closes_dt).strftime("%Y-%m-%d %H:%M") if batch.closes_dt else "—",
    )
    record("reminder.sent", "batch", batch.id, {"member": member.id, "reason": reason, "cases": len(late)})
    return True


def _current(payload: dict[str, Any]) -> Batch | None:
    batch = db.session.get(Batch, payload["batch"])
    if batch is None or batch.state != BatchState.SCORING or batch.closes_dt is None:
        return None
    if batch.closes_dt.isoformat() != payload["closes"]:
        return None  # the window moved: this job belongs to the old one
    return batch


def superseded(batch: Batch, hours: int, now: datetime) -> bool:
    """A reminder that a worker catching up after downtime finds overtaken: a later one is due too, or the
    window has closed (the escalation speaks then). Only the latest due reminder goes out."""
    closes = batch.closes_dt
    if closes is None or now > closes:
        return True
    return any(h < hours and closes - timedelta(hours=h) <= now for h in offsets())


def remind_job(payload: dict[str, Any], now: datetime) -> None:
    batch = _current(payload)
    if batch is None or superseded(batch, int(payload["hours"]), now):
        return
    for member, late in _late_by_member(batch).items():
        remind_member(batch, member, reason=f"{payload['hours']}h", late=late)


def escalate_job(payload: dict[str, Any], now: datetime) -> None:
    batch = _current(payload)
    if batch is None:
        return
    late_members = _late_by_member(batch)
    if not late_members:
        return
    names = sorted(member.name for member in late_members)
    late = [entry for entries in late_members.values() for entry in entries]
    for address in filter(None, db.session.scalars(User.organizer_addresses()).all()):
        queue_template(
            address,
            "evaluation/jobs/emails/escalation",
            (N_("Overdue: %(batch)s"), {"batch": batch.name}),
            batch_name=batch.name,
            count=len(late),
            names=names,
            monitor_url=external_url("batches.monitor", batch_id=batch.id),
        )
    record("reminder.escalated", "batch", batch.id, {"late": len(late)})
