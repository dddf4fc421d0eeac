"""Honoraria (劳务费) of a project's experts, computed from their recorded session by the tier table
(``procurement.honoraria``), approved by an organizer and exported for finance. Government staff are never paid.

Operations flush; the request commits."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from evaluation.audit.operations import record
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.org.models import DepartmentKind
from evaluation.text import N_
from panels.models import Member
from procurement.expert_models import ExpertSeat
from procurement.honoraria import Session, Tiers, honorarium, parse_tiers
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
