"""Honoraria (劳务费) of a project's experts, computed from their recorded session by the tier table
(``procurement.honoraria``), approved by an organizer and exported for finance. Government staff are never paid.

Operations flush; the request commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchItem
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.org.models import DepartmentKind
from evaluation.scoring.models import ScoreSheet, SheetState
from evaluation.text import N_
from panels.models import Member, Seat, SeatState, through_items
from procurement.expert_models import ExpertSeat
from procurement.honoraria import Session, Tiers, day_honorarium, honorarium, parse_tiers
from procurement.models import Honorarium, HonorariumState, PurchaseProject
from procurement.projects import ProcurementError

GOVERNMENT = (DepartmentKind.MUNICIPAL, DepartmentKind.DISTRICT, DepartmentKind.TOWNSHIP)


def tiers() -> Tiers:
    try:
        return parse_tiers(current_app.config["PROCUREMENT_HONORARIUM_TIERS"])
    except ValueError as exc:
        raise ProcurementError(
            N_("The honorarium tier table is misconfigured: %(why)s"), why=str(exc)
        ) from exc


def paid_role(member: Member) -> str:
    """What the tier table sees: government staff (an official, or an expert employed by a government unit) are
    never paid."""
    if member.affiliation is not None and member.affiliation.kind in GOVERNMENT:
        return "official"
    return member.role.value


def _local_naive(value: datetime) -> datetime:
    """Days are counted in Beijing time: a session past local midnight counts on each day."""
    return to_local(value.replace(tzinfo=value.tzinfo or UTC))


def compute(project: PurchaseProject, user_id: int | None) -> list[Honorarium]:
    """Each expert's honorarium from the recorded session; an approved or paid one is left as it is."""
    table = tiers()
    seats = db.session.scalars(
        sa.select(ExpertSeat)
        .where(ExpertSeat.project_id == project.id)
        .options(selectinload(ExpertSeat.member).selectinload(Member.affiliation))
    ).all()
    timed = [s for s in seats if s.checked_in_dt and s.checked_out_dt]
    if not timed:
        raise ProcurementError(N_("Record the experts' arrival and departure first."))
    existing = {
        h.member_id: h
        for h in db.session.scalars(sa.select(Honorarium).where(Honorarium.project_id == project.id))
    }
    out = []
    for seat in timed:
        assert seat.checked_in_dt is not None and seat.checked_out_dt is not None
        start, end = _local_naive(seat.checked_in_dt), _local_naive(seat.checked_out_dt)
        row = existing.get(seat.member_id)
        if row is not None and row.state != HonorariumState.COMPUTED:
            out.append(row)
            continue
        row = row or Honorarium(member_id=seat.member_id, project_id=project.id)
        row.minutes = int((end - start).total_seconds() // 60)
        row.amount = honorarium(paid_role(seat.member), [Session(start, end)], table)
        row.state = HonorariumState.COMPUTED
        db.session.add(row)
        out.append(row)
    db.session.flush()
    record(
        "procurement.honoraria_computed",
        "purchase_project",
        project.id,
        {str(r.member_id): str(r.amount) for r in out},
        actor_id=user_id,
    )
    return out


@dataclass(frozen=True)
class BatchWork:
    """A panel member's work on a batch: the seats they held and sheets they submitted, and the recorded time."""

    member: Member
    sheets: int
    honorarium: Honorarium | None


def batch_work(batch: Batch) -> list[BatchWork]:
    """Every member who held an accepted seat in the batch, with the sheets they submitted and their honorarium."""
    counts = db.session.execute(
        through_items(
            sa.select(Seat.member_id, sa.func.count(ScoreSheet.id)).outerjoin(
                ScoreSheet, (ScoreSheet.seat_id == Seat.id) & (ScoreSheet.state != SheetState.DRAFT)
            )
        )
        .where(BatchItem.batch_id == batch.id, Seat.state.in_([SeatState.ACCEPTED, SeatState.REPLACED]))
        .group_by(Seat.member_id)
    ).all()
    members = {
        m.id: m
        for m in db.session.scalars(
            sa.select(Member)
            .where(Member.id.in_([member_id for member_id, _n in counts]))
            .options(selectinload(Member.affiliation))
        )
    }
    rows = {
        h.member_id: h
        for h in db.session.scalars(sa.select(Honorarium).where(Honorarium.batch_id == batch.id))
    }
    out = [BatchWork(members[member_id], int(n), rows.get(member_id)) for member_id, n in counts]
    return sorted(out, key=lambda w: (w.member.role.value, w.member.name))


def compute_batch(batch: Batch, entries: dict[int, tuple[date, int]], user_id: int | None) -> int:
    """Honoraria for a batch from each member's recorded day and minutes; an approved or paid one is kept."""
    table = tiers()
    work = {w.member.id: w for w in batch_work(batch)}
    changed = 0
    for member_id, (day, minutes) in sorted(entries.items()):
        found = work.get(member_id)
        if found is None:
            raise ProcurementError(N_("Only the batch's members are paid for it."))
        row = found.honorarium
        if row is not None and row.state != HonorariumState.COMPUTED:
            continue
        row = row or Honorarium(member_id=member_id, batch_id=batch.id)
        row.cases_scored, row.minutes, row.work_date = found.sheets, minutes, day
        row.amount = day_honorarium(paid_role(found.member), day, minutes, table)
        row.state = HonorariumState.COMPUTED
        db.session.add(row)
        changed += 1
    db.session.flush()
    record("procurement.honoraria_computed", "batch", batch.id, {"members": changed}, actor_id=user_id)
    return changed


def approve(row: Honorarium, user_id: int | None) -> None:
    if row.state != HonorariumState.COMPUTED:
        raise ProcurementError(N_("Only a computed honorarium can be approved."))
    row.state, row.approved_by_id, row.approved_dt = HonorariumState.APPROVED, user_id, utcnow()
    db.session.flush()
    record(
        "procurement.honorarium_approved", "honorarium", row.id, {"amount": str(row.amount)}, actor_id=user_id
    )


def mark_paid(row: Honorarium, user_id: int | None) -> None:
    if row.state != HonorariumState.APPROVED:
        raise ProcurementError(N_("An honorarium is paid once it is approved."))
    row.state, row.paid_dt = HonorariumState.PAID, utcnow()
    db.session.flush()
    record("procurement.honorarium_paid", "honorarium", row.id, {}, actor_id=user_id)
