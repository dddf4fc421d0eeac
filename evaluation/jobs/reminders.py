"""Reminders before a batch's deadline and an escalation to the organizers after it (jobs, sent after commit)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from evaluation.accounts.models import Role, User, UserRole
from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchState
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


def _late_seats(batch: Batch, member: Member | None = None) -> list[Seat]:
    query = late_seats(batch.id)
    if member is not None:
        query = query.where(Seat.member_id == member.id)
    return list(db.session.scalars(query.options(joinedload(Seat.member)).order_by(Seat.member_id, Seat.id)))


def remind_member(batch: Batch, member: Member, reason: str, late: int | None = None) -> bool:
    """Mail ``member`` how many of their cases are still to score (``late``, counted here if not given)."""
    count = len(_late_seats(batch, member)) if late is None else late
    if not count or not member.email:
        return False
    queue_template(
        member.email,
        "evaluation/jobs/emails/reminder",
        (N_("Reminder: %(batch)s"), {"batch": batch.name}),
        member_name=member.name,
        batch_name=batch.name,
        count=count,
        seats_url=external_url("batches.my_seats"),
        closes=to_local(batch.closes_dt).strftime("%Y-%m-%d %H:%M") if batch.closes_dt else "—",
    )
    record("reminder.sent", "batch", batch.id, {"member": member.id, "reason": reason, "cases": count})
    return True


def _current(payload: dict[str, Any]) -> Batch | None:
    batch = db.session.get(Batch, payload["batch"])
    if batch is None or batch.state != BatchState.SCORING or batch.closes_dt is None:
        return None
    if batch.closes_dt.isoformat() != payload["closes"]:
        return None  # the window moved: this job belongs to the old one
    return batch


def remind_job(payload: dict[str, Any], now: datetime) -> None:
    batch = _current(payload)
    if batch is None:
        return
    for member, late in Counter(seat.member for seat in _late_seats(batch)).items():
        remind_member(batch, member, reason=f"{payload['hours']}h", late=late)


def escalate_job(payload: dict[str, Any], now: datetime) -> None:
    batch = _current(payload)
    if batch is None:
        return
    late = _late_seats(batch)
    if not late:
        return
    names = sorted({seat.member.name for seat in late})
    addresses = db.session.scalars(
        sa.select(User.email)
        .join(UserRole)
        .where(UserRole.role == Role.ORGANIZER, User.active.is_(True), User.email.is_not(None))
    ).all()
    for address in filter(None, addresses):
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
