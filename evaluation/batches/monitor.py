"""What the organizer's monitor shows of a batch in scoring: cases × seats with their sheets' states, who is
late, and counts per member. Reads only, a fixed number of queries whatever the batch's size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from evaluation.audit.models import AuditEvent
from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.models import Case
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.scoring.models import ScoreSheet, SheetState, not_submitted
from panels.models import Member, Panel, Seat, SeatState, through_items

FILTERS = ("all", "incomplete", "deliberation")


@dataclass
class Monitor:
    page: Pagination
    sheets: dict[int, SheetState]  # seat id -> its sheet's state
    per_member: list[Any]  # (member id, name, e-mail, accepted seats, submitted sheets)
    late: bool  # the window closes within a day (or has closed)
    reminders: dict[int, tuple[int, datetime]]  # member id -> (reminders sent, the last one's time)


def monitor(batch: Batch, show: str, needle: str, page: int, per_page: int) -> Monitor:
    """One page of the batch's cases, filtered (``show``: all, incomplete, deliberation; ``needle``: case number)."""
    waiting = (
        sa.select(Seat.id)
        .join(Panel, Seat.panel_id == Panel.id)
        .where(Panel.batch_item_id == BatchItem.id, Seat.state == SeatState.ACCEPTED, not_submitted())
    )
    query = (
        sa.select(BatchItem)
        .join(Case, BatchItem.case_id == Case.id)
        .where(BatchItem.batch_id == batch.id)
        .options(
            selectinload(BatchItem.case),
            selectinload(BatchItem.panel).selectinload(Panel.seats).selectinload(Seat.member),
        )
        .order_by(BatchItem.id)
    )
    if show == "incomplete":
        query = query.where(sa.exists(waiting))
    elif show == "deliberation":
        query = query.where(BatchItem.in_deliberation.is_(True))
    if needle:
        query = query.where(Case.external_id.contains(needle, autoescape=True))
    items = db.paginate(query, page=page, per_page=per_page, error_out=False)
    seat_ids = [s.id for item in items.items if item.panel for s in item.panel.seats]
    sheets = (
        dict(
            db.session.execute(
                sa.select(ScoreSheet.seat_id, ScoreSheet.state).where(ScoreSheet.seat_id.in_(seat_ids))
            ).all()
        )
        if seat_ids
        else {}
    )
    per_member = db.session.execute(
        through_items(
            sa.select(
                Member.id,
                Member.name,
                Member.email,
                sa.func.count(Seat.id),
                sa.func.count(ScoreSheet.id).filter(ScoreSheet.state != SheetState.DRAFT),
            )
            .select_from(Seat)
            .join(Member, Seat.member_id == Member.id)
        )
        .outerjoin(ScoreSheet, ScoreSheet.seat_id == Seat.id)
        .where(BatchItem.batch_id == batch.id, Seat.state == SeatState.ACCEPTED)
        .group_by(Member.id, Member.name, Member.email)
        .order_by(Member.name)
    ).all()
    late = batch.closes_dt is not None and utcnow() > batch.closes_dt - timedelta(hours=24)
    reminders: dict[int, tuple[int, datetime]] = {}
    for data, at in db.session.execute(
        sa.select(AuditEvent.data, AuditEvent.occurred_dt)
        .where(
            AuditEvent.action == "reminder.sent",
            AuditEvent.object_type == "batch",
            AuditEvent.object_id == str(batch.id),
        )
        .order_by(AuditEvent.id)
    ).all():
        count, _last = reminders.get(data["member"], (0, at))
        reminders[data["member"]] = (count + 1, at)
    return Monitor(items, sheets, list(per_member), late, reminders)
