"""The panels' side of a period: agreement per batch over time, and each member's workload and timeliness."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from evaluation.batches.models import Batch, BatchItem
from evaluation.clock import to_local
from evaluation.extensions import db
from evaluation.results.standings import Period
from evaluation.scoring.models import ScoreSheet, SheetState
from panels.models import Member, Panel, Seat, SeatState
from rubrics.models import Criterion, CriterionRole


def agreement(period: Period) -> list[dict[str, Any]]:
    """Each batch finalized in the period, oldest first: its cases, α on the verdict and the mean of its scored
    criteria's α (those computable), with the reading of the verdict's."""
    start, end = period.bounds()
    batches = db.session.scalars(
        sa.select(Batch)
        .where(Batch.finalized_dt >= start, Batch.finalized_dt < end)
        .order_by(Batch.finalized_dt, Batch.id)
    ).all()
    roles = {
        (version_id, code): role
        for version_id, code, role in db.session.execute(
            sa.select(Criterion.version_id, Criterion.code, Criterion.role).where(
                Criterion.version_id.in_({b.rubric_version_id for b in batches})
            )
        )
    }
    sizes = dict(
        db.session.execute(
            sa.select(BatchItem.batch_id, sa.func.count(BatchItem.id))
            .where(BatchItem.batch_id.in_([b.id for b in batches]), BatchItem.withdrawn_dt.is_(None))
            .group_by(BatchItem.batch_id)
        ).all()
    )
    out = []
    for batch in batches:
        criteria = (batch.figures or {}).get("criteria", {})
        verdict: dict[str, Any] = next(
            (
                f
                for code, f in criteria.items()
                if roles.get((batch.rubric_version_id, code)) == CriterionRole.VERDICT
            ),
            {},
        )
        scored = [
            f["alpha"]
            for code, f in criteria.items()
            if roles.get((batch.rubric_version_id, code)) == CriterionRole.SCORE
            and f.get("alpha") is not None
        ]
        out.append(
            {
                "batch": batch,
                "finalized": to_local(batch.finalized_dt).date() if batch.finalized_dt else None,
                "cases": sizes.get(batch.id, 0),
                "verdict_alpha": verdict.get("alpha"),
                "reading": verdict.get("reading"),
                "criteria_alpha": sum(scored) / len(scored) if scored else None,
            }
        )
    return out


@dataclass
class Workload:
    member: str
    role: str
    seats: int
    submitted: int
    on_time: int
    median_hours: float | None  # from the scoring window's opening to the sheet's submission

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.submitted if self.submitted else None


def workload(period: Period) -> list[Workload]:
    """Every member who held an accepted seat in a batch whose window closed in the period; one query."""
    start, end = period.bounds()
    rows = db.session.execute(
        sa.select(
            Member.id,
            Member.name,
            Member.role,
            ScoreSheet.state,
            ScoreSheet.submitted_dt,
            Seat.deadline_dt,
            Batch.opens_dt,
            Batch.closes_dt,
        )
        .select_from(Seat)
        .join(Member, Member.id == Seat.member_id)
        .join(Panel, Panel.id == Seat.panel_id)
        .join(BatchItem, BatchItem.id == Panel.batch_item_id)
        .join(Batch, Batch.id == BatchItem.batch_id)
        .outerjoin(ScoreSheet, ScoreSheet.seat_id == Seat.id)
        .where(Seat.state == SeatState.ACCEPTED, Batch.closes_dt >= start, Batch.closes_dt < end)
    ).all()
    found: dict[int, dict[str, Any]] = {}
    for member_id, name, role, state, submitted, deadline, opens, closes in rows:
        entry = found.setdefault(
            member_id, {"name": name, "role": role, "seats": 0, "on_time": 0, "hours": []}
        )
        entry["seats"] += 1
        if state in (SheetState.SUBMITTED, SheetState.REVISED) and submitted is not None:
            entry["hours"].append((submitted - opens).total_seconds() / 3600 if opens else None)
            limit = deadline or closes
            entry["on_time"] += int(limit is None or submitted <= limit)
    return sorted(
        (
            Workload(
                e["name"],
                e["role"].value,
                e["seats"],
                len(e["hours"]),
                e["on_time"],
                statistics.median(h for h in e["hours"] if h is not None)
                if any(h is not None for h in e["hours"])
                else None,
            )
            for e in found.values()
        ),
        key=lambda w: (-w.seats, w.member),
    )
