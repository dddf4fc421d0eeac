"""Invitations: members are asked by e-mail (and in the app) to take their seats. A declined, expired or recused
seat is refilled from its ranked substitutes, and every step is logged. Operations flush; mail leaves after the
commit (evaluation.mailer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import Case, case_assisting_departments
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.jobs.runner import schedule
from evaluation.mailer import external_url, queue_template
from evaluation.scoring.models import ScoreSheet, SheetState
from evaluation.text import N_, UserError
from panels.draw import former_employment_cutoff, scoring_days
from panels.models import Conflict, ConflictState, Member, Panel, Seat, SeatState, batch_seats, through_items

SALT = "seat-invitation"
OPEN_STATES = {SeatState.DRAWN, SeatState.INVITED, SeatState.ACCEPTED}


class InvitationError(UserError):
    """The invitation cannot be answered so (already answered, expired, not this member's); says why."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def invitation_days() -> int:
    return int(current_app.config.get("EVALUATION_INVITATION_DAYS", 7))


def make_token(seat: Seat) -> str:
    return _serializer().dumps({"seat": seat.id, "member": seat.member_id})


def seat_from_token(token: str) -> Seat:
    try:
        data = _serializer().loads(token, max_age=invitation_days() * 86400)
    except SignatureExpired:
        raise InvitationError(N_("This invitation link has expired.")) from None
    except BadSignature:
        raise InvitationError(N_("This invitation link is not valid.")) from None
    seat = db.session.get(Seat, data.get("seat"))
    if seat is None or seat.member_id != data.get("member"):
        raise InvitationError(N_("This invitation link is not valid."))
    return seat


def _mail_invitation(seat: Seat) -> None:
    member, batch = seat.member, seat.panel.batch_item.batch
    if not member.email:
        return
    token = make_token(seat)
    accept_url = external_url("panels.invitation", token=token)
    deadline = seat.deadline_dt or batch.closes_dt
    queue_template(
        member.email,
        "panels/emails/invitation",
        (N_("Invitation to review: %(batch)s"), {"batch": batch.name}),
        member_name=member.name,
        batch_name=batch.name,
        accept_url=accept_url,
        decline_url=external_url("panels.invitation", token=token, answer="decline"),
        closes=to_local(deadline).strftime("%Y-%m-%d %H:%M") if deadline else "—",
        days=invitation_days(),
    )


def invite(seat: Seat, now: datetime | None = None) -> None:
    if seat.state != SeatState.DRAWN:
        raise InvitationError(N_("Only a drawn seat can be invited."))
    seat.state, seat.invited_dt = SeatState.INVITED, now or utcnow()
    _mail_invitation(seat)
    record("seat.invited", "seat", seat.id, {"member": seat.member_id, "panel": seat.panel_id})


def _schedule_expiry(batch: Batch, now: datetime) -> None:
    """A job that expires (and refills) the batch's invitations left unanswered, once their time is up.

    Invitations sent within one minute share one job (the dedupe key), due two minutes past that minute plus
    the invitation's days, so each of them is overdue when it runs; it looks at every open invitation of the
    batch."""
    due = now.replace(second=0, microsecond=0) + timedelta(days=invitation_days(), minutes=2)
    schedule("seats.expire", due, {"batch": batch.id}, dedupe_key=f"expire:{batch.id}:{due:%Y%m%d%H%M}")


def invite_batch(batch: Batch) -> int:
    seats = db.session.scalars(
        batch_seats(batch.id)
        .where(Seat.state == SeatState.DRAWN)
        .order_by(Seat.id)
        .options(joinedload(Seat.member), joinedload(Seat.panel).joinedload(Panel.batch_item))
    ).all()
    for seat in seats:
        invite(seat)
    if seats:
        _schedule_expiry(batch, utcnow())
    db.session.flush()
    return len(seats)


def accept(seat: Seat) -> None:
    if seat.state == SeatState.ACCEPTED:
        return
    if seat.state != SeatState.INVITED:
        raise InvitationError(N_("This invitation has already been answered."))
    seat.state, seat.responded_dt = SeatState.ACCEPTED, utcnow()
    record("seat.accepted", "seat", seat.id, {"member": seat.member_id})
    db.session.flush()


def decline(seat: Seat, reason: str) -> Seat | None:
    """The member declines (with a reason); the seat is refilled. Returns the new seat, if any."""
    if not reason.strip():
        raise InvitationError(N_("Please give a reason."))
    if seat.state not in (SeatState.INVITED, SeatState.ACCEPTED):
        raise InvitationError(N_("This invitation has already been answered."))
    seat.state, seat.responded_dt, seat.decline_reason = SeatState.DECLINED, utcnow(), reason.strip()
    record("seat.declined", "seat", seat.id, {"member": seat.member_id})
    return refill(seat, "declined")


def recuse(seat: Seat, reason: str) -> Seat | None:
    """A conflict declared on an assigned case: the seat is recused and refilled."""
    if seat.state not in OPEN_STATES:
        raise InvitationError(N_("This seat is no longer open."))
    seat.state, seat.responded_dt, seat.decline_reason = SeatState.RECUSED, utcnow(), reason.strip()
    record("seat.recused", "seat", seat.id, {"member": seat.member_id})
    return refill(seat, "recused")


def recuse_for(conflict: Conflict) -> list[Seat]:
    """An accepted conflict reaches the panels already drawn: every open seat of the member on a case it names,
    or on a case of the department it names (lead or assisting), is recused and refilled, unless the member
    has already submitted a sheet for it. Returns the recused seats."""
    if conflict.state != ConflictState.ACCEPTED:
        return []
    applies = []
    if conflict.case_id is not None:
        applies.append(Case.id == conflict.case_id)
    if conflict.department_id is not None:
        applies.append(Case.lead_department_id == conflict.department_id)
        applies.append(
            Case.id.in_(
                sa.select(case_assisting_departments.c.case_id).where(
                    case_assisting_departments.c.department_id == conflict.department_id
                )
            )
        )
    scored = sa.select(ScoreSheet.id).where(
        ScoreSheet.seat_id == Seat.id, ScoreSheet.state.in_([SheetState.SUBMITTED, SheetState.REVISED])
    )
    seats = db.session.scalars(
        through_items(sa.select(Seat))
        .join(Case, BatchItem.case_id == Case.id)
        .join(Batch, BatchItem.batch_id == Batch.id)
        .where(
            Seat.member_id == conflict.member_id,
            Seat.state.in_(OPEN_STATES),
            sa.or_(*applies),
            Batch.state.in_([BatchState.DRAFT, BatchState.PANELS_DRAWN, BatchState.SCORING]),
            ~sa.exists(scored),
        )
        .order_by(Seat.id)
    ).all()
    for seat in seats:
        recuse(seat, conflict.reason)
    return list(seats)


def expire_overdue(now: datetime | None = None, batch_id: int | None = None) -> int:
    """Invitations unanswered for longer than EVALUATION_INVITATION_DAYS expire and their seats are refilled
    (all batches, or one). Run by the ``seats.expire`` jobs that inviting schedules."""
    now = now or utcnow()
    cutoff = now - timedelta(days=invitation_days())
    query = sa.select(Seat).where(Seat.state == SeatState.INVITED, Seat.invited_dt < cutoff)
    if batch_id is not None:
        query = through_items(query).where(BatchItem.batch_id == batch_id)
    seats = db.session.scalars(query.order_by(Seat.id)).all()
    for seat in seats:
        seat.state, seat.responded_dt = SeatState.EXPIRED, now
        record("seat.expired", "seat", seat.id, {"member": seat.member_id})
        refill(seat, "expired", now)
    return len(seats)


def _eligible_substitute(seat: Seat, member: Member, panel_seats: list[Seat]) -> bool:
    """Still right for this panel now: active, available in the scoring window, under cap in this batch, not on
    the panel, no shared affiliation, not working (now or within three years) for the case's departments, not
    recused from the case or its departments. The draw ranked only members eligible then; this checks what may
    have changed since."""
    item = seat.panel.batch_item
    first_day, last_day = scoring_days(item.batch)
    if (
        not member.active
        or any(s.member_id == member.id for s in panel_seats)
        or member.unavailable_between(first_day, last_day)
    ):
        return False
    case = item.case
    departments = {case.lead_department_id, *(d.id for d in case.assisting_departments)}
    if (
        member.affiliation_id in departments
        or member.departments_left_since(former_employment_cutoff(first_day)) & departments
    ):
        return False
    others = {
        s.member.affiliation_id for s in panel_seats if s.state in OPEN_STATES and s.member.affiliation_id
    }
    if member.affiliation_id and member.affiliation_id in others:
        return False
    held = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                batch_seats(item.batch_id)
                .where(Seat.member_id == member.id, Seat.state.in_(OPEN_STATES))
                .subquery()
            )
        )
        or 0
    )
    if held >= member.max_cases:
        return False
    conflict = db.session.scalar(
        sa.select(Conflict.id)
        .where(
            Conflict.member_id == member.id,
            Conflict.state == ConflictState.ACCEPTED,
            sa.or_(Conflict.case_id == case.id, Conflict.department_id.in_(departments)),
        )
        .limit(1)
    )
    return conflict is None


def refill(
    seat: Seat, why: str, now: datetime | None = None, deadline: datetime | None = None
) -> Seat | None:
    """Take the first ranked substitute who still fits; invite them (with ``deadline``, their own, if given);
    log the replacement (or that none fits)."""
    panel_seats = list(seat.panel.seats)
    for substitute in seat.substitutes:
        member = substitute.member
        if not _eligible_substitute(seat, member, panel_seats):
            continue
        replacement = Seat(
            panel=seat.panel,
            member=member,
            role=seat.role,
            position=max(s.position for s in panel_seats) + 1,
            state=SeatState.DRAWN,
            deadline_dt=deadline,
        )
        for rank, later in enumerate(s for s in seat.substitutes if s.rank > substitute.rank):
            replacement.substitutes.append(type(later)(rank=rank, member_id=later.member_id))
        db.session.add(replacement)
        db.session.flush()
        seat.replaced_by_id = replacement.id
        record(
            "seat.refilled",
            "seat",
            seat.id,
            {"why": why, "replacement": replacement.id, "member": member.id, "rank": substitute.rank},
        )
        now = now or utcnow()
        invite(replacement, now)
        _schedule_expiry(seat.panel.batch_item.batch, now)
        db.session.flush()
        return replacement
    record("seat.unfilled", "seat", seat.id, {"why": why, "panel": seat.panel_id})
    db.session.flush()
    return None


def expire_job(payload: dict[str, Any], now: datetime) -> None:
    expire_overdue(now, batch_id=payload["batch"])


# --- a seat whose member is silent -------------------------------------------------------------------------------


def _unsubmitted(seat: Seat) -> bool:
    return (
        db.session.scalar(
            sa.select(ScoreSheet.id).where(
                ScoreSheet.seat_id == seat.id, ScoreSheet.state != SheetState.DRAFT
            )
        )
        is None
    )


def replace_silent(seat: Seat, deadline: datetime, by: int | None, now: datetime | None = None) -> Seat:
    """While scoring is open, a member who has not submitted gives way to the seat's next substitute, who is
    invited with a deadline of their own. Refused when no substitute still fits (the seat stays as it is)."""
    now = now or utcnow()
    batch = seat.panel.batch_item.batch
    if batch.state != BatchState.SCORING:
        raise InvitationError(N_("A member can only be replaced while scoring is open."))
    if seat.state not in (SeatState.INVITED, SeatState.ACCEPTED) or not _unsubmitted(seat):
        raise InvitationError(N_("Only a member who has not submitted a sheet can be replaced."))
    if deadline <= now:
        raise InvitationError(N_("The new deadline has to be in the future."))
    seat.state, seat.responded_dt = SeatState.REPLACED, now
    record("seat.replaced", "seat", seat.id, {"member": seat.member_id}, actor_id=by)
    replacement = refill(seat, "replaced", now, deadline)
    if replacement is None:
        raise InvitationError(
            N_(
                "No substitute of this seat fits any more. After the window, reopen the seat or "
                "withdraw the case."
            )
        )
    return replacement


def reopen(seat: Seat, deadline: datetime, by: int | None, now: datetime | None = None) -> None:
    """After the window has closed, give one member who has not submitted until ``deadline`` to do it; they
    are told by e-mail."""
    now = now or utcnow()
    batch = seat.panel.batch_item.batch
    if batch.state not in (BatchState.SCORING, BatchState.DELIBERATION) or (
        batch.closes_dt is not None and batch.closes_dt > now
    ):
        raise InvitationError(N_("A seat can be reopened once the scoring window has closed."))
    if seat.state != SeatState.ACCEPTED or not _unsubmitted(seat):
        raise InvitationError(N_("Only an accepted seat without a submitted sheet can be reopened."))
    if deadline <= now:
        raise InvitationError(N_("The new deadline has to be in the future."))
    seat.deadline_dt = deadline
    record(
        "seat.reopened",
        "seat",
        seat.id,
        {"member": seat.member_id, "until": deadline.isoformat()},
        actor_id=by,
    )
    if seat.member.email:
        queue_template(
            seat.member.email,
            "panels/emails/seat_reopened",
            (N_("Reopened for you: %(batch)s"), {"batch": batch.name}),
            member_name=seat.member.name,
            batch_name=batch.name,
            until=to_local(deadline).strftime("%Y-%m-%d %H:%M"),
            sheet_url=external_url("scoring.sheet", seat_id=seat.id),
        )
    db.session.flush()
