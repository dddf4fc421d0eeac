"""Batches: creating them from eligible cases and moving them through their states. Each transition checks its
preconditions and says what is missing. Operations flush; the request commits."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from evaluation.appeals.models import Appeal, AppealState
from evaluation.appeals.operations import awaiting_review
from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchItem, BatchState, ItemPurpose
from evaluation.cases.models import Case, CaseStatus
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.jobs.reminders import schedule_reminders
from evaluation.mailer import external_url, queue_template
from evaluation.org.models import Department
from evaluation.scoring.models import Answer, ScoreSheet, SheetState, late_seats
from evaluation.text import N_, Reason, UserError
from panels.invitations import OPEN_STATES
from panels.models import CompositionPolicy, Panel, Seat, SeatState, batch_seats, through_items
from procurement.models import Contract, ContractState
from rubrics.models import RubricVersion, VersionState
from rubrics.operations import export_version
from rubrics.scoring import disagreement


class BatchError(UserError):
    """A batch operation that cannot be done; its reasons list everything missing (message ids with params)."""

    def __init__(self, *reasons: Reason):
        (message, params), *rest = reasons
        super().__init__(message, also=rest, **params)


def eligible_case_ids(
    category: str | None = None, department_id: int | None = None, *, appeals_only: bool = False
) -> list[int]:
    """The eligible cases a new batch may take: of one category, of one department and the units under it, or
    only those waiting for a re-review after an accepted appeal."""
    query = sa.select(Case.id).where(Case.status == CaseStatus.ELIGIBLE)
    if appeals_only:
        query = query.where(
            Case.id.in_(sa.select(Appeal.case_id).where(Appeal.state == AppealState.ACCEPTED))
        )
    if category:
        query = query.where(Case.category == category)
    if department_id is not None:
        query = query.where(Case.lead_department_id.in_(Department.subtree_ids(department_id)))
    return list(db.session.scalars(query))


def sample_cases(case_ids: list[int], size: int | None, seed: str) -> list[int]:
    """A reproducible random sample: the same ids and seed always give the same cases."""
    ordered = sorted(case_ids)
    if size is None or size >= len(ordered):
        return ordered
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    return sorted(rng.sample(ordered, size))


def _purpose(case: Case, appealed: set[int]) -> ItemPurpose:
    """A case whose appeal was accepted is re-reviewed (复核); any other is reviewed."""
    return ItemPurpose.APPEAL_REVIEW if case.id in appealed else ItemPurpose.REVIEW


def _contract_problems(contract: Contract, cases: int) -> list[Reason]:
    from procurement.contracts import quota_progress  # its own module imports the batches' models

    if contract.state != ContractState.ACTIVE:
        return [(N_("Batches run only under a contract that has started and not ended."), {})]
    done, quota = quota_progress(contract)
    if quota is not None and done + cases > quota:
        return [
            (
                N_("The contract's quota has %(left)s cases left; this batch would have %(n)s."),
                {"left": max(0, quota - done), "n": cases},
            )
        ]
    return []


def create_batch(
    name: str,
    version: RubricVersion,
    policy: CompositionPolicy,
    opens: datetime | None,
    closes: datetime | None,
    case_ids: list[int],
    sample_seed: str | None,
    user_id: int | None,
    *,
    contract: Contract | None = None,
) -> Batch:
    """A draft batch of eligible cases; under ``contract`` (an agency's, running, with room in its case quota)
    when given."""
    problems: list[Reason] = []
    if contract is not None:
        problems += _contract_problems(contract, len(case_ids))
    if db.session.scalar(sa.select(Batch.id).where(Batch.name == name)) is not None:
        problems.append((N_("A batch with this name already exists."), {}))
    if version.state != VersionState.PUBLISHED:
        problems.append((N_("Only a published rubric version can be used."), {}))
    if opens and closes and closes <= opens:
        problems.append((N_("The scoring window closes before it opens."), {}))
    if closes and closes <= utcnow():
        problems.append((N_("The new closing time is in the past."), {}))
    cases = db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids))).all()
    not_eligible = [c.external_id for c in cases if c.status != CaseStatus.ELIGIBLE]
    if not cases:
        problems.append((N_("No eligible case matches."), {}))
    if not_eligible:
        problems.append(
            (
                N_("Only eligible cases can be put in a batch; not %(cases)s."),
                {"cases": "、".join(not_eligible[:5])},
            )
        )
    if problems:
        raise BatchError(*problems)
    batch = Batch(
        name=name,
        rubric_version=version,
        policy=policy,
        opens_dt=opens,
        closes_dt=closes,
        sample_seed=sample_seed,
        created_by_id=user_id,
        contract=contract,
    )
    appealed = awaiting_review([c.id for c in cases])
    for case in cases:
        batch.items.append(BatchItem(case=case, purpose=_purpose(case, appealed)))
        case.status = CaseStatus.QUEUED
    db.session.add(batch)
    db.session.flush()
    record(
        "batch.created",
        "batch",
        batch.id,
        {"cases": len(cases), "sample_seed": sample_seed, "contract": contract.number if contract else None},
        actor_id=user_id,
    )
    return batch


def _panel_gaps(batch: Batch) -> tuple[int, int]:
    """(cases without a complete panel, seats still waiting for an answer)."""
    size = batch.policy.panel_size if batch.policy else 5
    counts = dict(
        db.session.execute(
            sa.select(BatchItem.id, sa.func.count(Seat.id))
            .outerjoin(Panel, Panel.batch_item_id == BatchItem.id)
            .outerjoin(Seat, sa.and_(Seat.panel_id == Panel.id, Seat.state.in_(OPEN_STATES)))
            .where(BatchItem.batch_id == batch.id)
            .group_by(BatchItem.id)
        ).all()
    )
    incomplete = sum(1 for n in counts.values() if n < size)
    waiting = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                batch_seats(batch.id).where(Seat.state.in_([SeatState.DRAWN, SeatState.INVITED])).subquery()
            )
        )
        or 0
    )
    return incomplete, waiting


def readiness(batch: Batch) -> dict[str, int]:
    """What is not ready yet for scoring: cases without a full panel, invitations still unanswered."""
    incomplete, waiting = _panel_gaps(batch)
    return {"incomplete": incomplete, "waiting": waiting}


def open_scoring(batch: Batch, now: datetime | None = None, *, confirmed: bool = False) -> None:
    """panels_drawn -> scoring, in a window that has not closed. Panels below size or invitations still
    unanswered are said with their counts, and scoring opens despite them only when the organizer confirms."""
    now = now or utcnow()
    reasons: list[Reason] = []
    if batch.state != BatchState.PANELS_DRAWN:
        reasons.append((N_("Scoring opens after the panels are drawn."), {}))
    if batch.opens_dt is None or batch.closes_dt is None:
        reasons.append((N_("Set the scoring window first."), {}))
    elif batch.closes_dt <= now:
        reasons.append((N_("The scoring window has already closed; extend it first."), {}))
    if reasons:
        raise BatchError(*reasons)
    incomplete, waiting = _panel_gaps(batch)
    if not confirmed and (incomplete or waiting):
        unready: list[Reason] = []
        if incomplete:
            unready.append(
                (
                    N_("%(n)d cases have no complete panel (declined seats without a substitute)."),
                    {"n": incomplete},
                )
            )
        if waiting:
            unready.append((N_("%(n)d invitations are still unanswered."), {"n": waiting}))
        unready.append((N_("Tick the confirmation to open scoring all the same."), {}))
        raise BatchError(*unready)
    batch.state = BatchState.SCORING
    for item in batch.items:
        item.case.status = CaseStatus.IN_REVIEW
    record("batch.scoring_opened", "batch", batch.id, {"incomplete": incomplete, "waiting": waiting})
    db.session.flush()
    schedule_reminders(batch)


def extend_window(batch: Batch, closes: datetime, now: datetime | None = None) -> int:
    """Move the window's close; in scoring, every member with a sheet still to submit or an invitation still to
    answer is told. Returns how many."""
    now = now or utcnow()
    if batch.state not in (BatchState.DRAFT, BatchState.PANELS_DRAWN, BatchState.SCORING):
        raise BatchError((N_("The window can only be changed before deliberation."), {}))
    if closes <= now:
        raise BatchError((N_("The new closing time is in the past."), {}))
    if batch.opens_dt and closes <= batch.opens_dt:
        raise BatchError((N_("The scoring window closes before it opens."), {}))
    previous = batch.closes_dt
    batch.closes_dt = closes
    record(
        "batch.window_changed",
        "batch",
        batch.id,
        {"from": previous.isoformat() if previous else None, "to": closes.isoformat()},
    )
    db.session.flush()
    if batch.state != BatchState.SCORING:
        return 0
    schedule_reminders(batch)
    # Affected: whoever the old time was given to and still has to act by it (a sheet to submit, an invitation
    # to answer); a seat with a deadline of its own keeps it.
    affected = batch_seats(batch.id).where(
        Seat.deadline_dt.is_(None),
        sa.or_(Seat.id.in_(late_seats(batch.id).with_only_columns(Seat.id)), Seat.state == SeatState.INVITED),
    )
    members = {seat.member for seat in db.session.scalars(affected.options(selectinload(Seat.member)))}
    for member in sorted(members, key=lambda m: m.id):
        if member.email:
            queue_template(
                member.email,
                "evaluation/batches/emails/window_moved",
                (N_("New deadline: %(batch)s"), {"batch": batch.name}),
                member_name=member.name,
                batch_name=batch.name,
                closes=to_local(closes).strftime("%Y-%m-%d %H:%M"),
                seats_url=external_url("batches.my_seats"),
            )
    return len(members)


def batch_rows(batches: list[Batch]) -> list[dict[str, object]]:
    return [{"id": b.id, "name": b.name, "state": b.state.value} for b in batches]


def close_scoring(
    batch: Batch, spread_points: float, now: datetime | None = None, *, early: bool = False
) -> int:
    """scoring -> deliberation: flag the cases whose panel disagrees; returns how many were flagged.

    It closes when the window has closed, or earlier when every accepted seat has submitted. With sheets still
    missing in an open window it closes only when the organizer confirms (``early``): the window ends now, and
    what stands between the batch and finalizing (cases below quorum) is then resolved seat by seat."""
    now = now or utcnow()
    if batch.state != BatchState.SCORING:
        raise BatchError((N_("Only a batch in scoring can be closed."), {}))
    sheets = db.session.execute(
        sa.select(BatchItem.id, Seat.id, ScoreSheet)
        .join(Panel, Panel.batch_item_id == BatchItem.id)
        .join(Seat, Seat.panel_id == Panel.id)
        .outerjoin(ScoreSheet, ScoreSheet.seat_id == Seat.id)
        .where(BatchItem.batch_id == batch.id, Seat.state == SeatState.ACCEPTED)
    ).all()
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(late_seats(batch.id).subquery()))
    if batch.closes_dt is not None and now < batch.closes_dt and pending:
        if not early:
            raise BatchError(
                (N_("The window is still open and %(n)d sheets are not submitted."), {"n": pending}),
                (N_("Wait for them, or tick the confirmation to close the window now."), {}),
            )
        record(
            "batch.closed_early",
            "batch",
            batch.id,
            {"planned": batch.closes_dt.isoformat(), "unsubmitted": pending},
        )
        batch.closes_dt = now
    spec = export_version(batch.rubric_version)
    verdict_code = next(c["code"] for c in spec["criteria"] if c["role"] == "verdict")
    verdict_id = next(c.id for c in batch.rubric_version.criteria if c.code == verdict_code)
    by_item: dict[int, list[tuple[int, ScoreSheet]]] = {}
    for item_id, seat_id, sheet in sheets:
        if sheet is not None and sheet.state != SheetState.DRAFT:
            by_item.setdefault(item_id, []).append((seat_id, sheet))
    verdicts = dict(
        db.session.execute(
            sa.select(Answer.sheet_id, Answer.value_text).where(
                Answer.criterion_id == verdict_id,
                Answer.sheet_id.in_([sheet.id for pairs in by_item.values() for _s, sheet in pairs]),
            )
        ).all()
    )
    flagged = 0
    for item in batch.items:
        pairs = by_item.get(item.id, [])
        totals = [sheet.total or 0.0 for _s, sheet in pairs]
        found = disagreement(
            totals,
            [verdicts.get(sheet.id) for _s, sheet in pairs],
            spread_points=spread_points,
            outlier_sd=batch.rubric_version.outlier_threshold,
        )
        if found["reasons"]:
            flagged += 1
            item.in_deliberation = True
            item.deliberation = {
                **found,
                "outliers": [pairs[i][0] for i in found["outliers"]],
                "totals": sorted(round(t, 1) for t in totals),
            }
    batch.state = BatchState.DELIBERATION
    record("batch.scoring_closed", "batch", batch.id, {"flagged": flagged, "unsubmitted": pending})
    db.session.flush()
    return flagged


def add_cases(batch: Batch, cases: list[Case]) -> tuple[int, int]:
    """Hand-picked cases into a draft batch; returns (added, skipped: not eligible or already in it)."""
    if batch.state != BatchState.DRAFT:
        raise BatchError((N_("Cases can only be added to a batch in draft."), {}))
    present = {item.case_id for item in batch.items}
    appealed = awaiting_review([c.id for c in cases])
    added = skipped = 0
    for case in cases:
        if case.status != CaseStatus.ELIGIBLE or case.id in present:
            skipped += 1
            continue
        batch.items.append(BatchItem(case=case, purpose=_purpose(case, appealed)))
        case.status = CaseStatus.QUEUED
        added += 1
    db.session.flush()
    return added, skipped


# --- what stands between a batch and finalizing -------------------------------------------------------------------


@dataclass
class Blocker:
    """A case that keeps the batch from being finalized: below quorum (``submitted`` of ``quorum`` sheets), with
    the accepted seats still without a sheet, which the organizer can reopen."""

    item: BatchItem
    submitted: int
    quorum: int
    silent: list[Seat]


def blockers(batch: Batch) -> list[Blocker]:
    """The cases still in the batch that cannot be settled yet, in three queries whatever the batch's size."""
    quorum = batch.policy.quorum_size if batch.policy else 3
    counts = dict(
        db.session.execute(
            through_items(sa.select(BatchItem.id, sa.func.count(ScoreSheet.id)).select_from(Seat))
            .join(ScoreSheet, ScoreSheet.seat_id == Seat.id)
            .where(
                BatchItem.batch_id == batch.id,
                Seat.state == SeatState.ACCEPTED,
                ScoreSheet.state != SheetState.DRAFT,
            )
            .group_by(BatchItem.id)
        ).all()
    )
    short = [
        item
        for item in db.session.scalars(
            sa.select(BatchItem)
            .where(BatchItem.batch_id == batch.id, BatchItem.withdrawn_dt.is_(None))
            .options(selectinload(BatchItem.case))
            .order_by(BatchItem.id)
        )
        if counts.get(item.id, 0) < quorum
    ]
    silent: dict[int, list[Seat]] = defaultdict(list)
    if short:
        for seat, item_id in db.session.execute(
            late_seats(batch.id)
            .add_columns(Panel.batch_item_id)
            .where(BatchItem.id.in_([item.id for item in short]))
            .options(selectinload(Seat.member))
            .order_by(Seat.id)
        ).all():
            silent[item_id].append(seat)
    return [Blocker(item, counts.get(item.id, 0), quorum, silent[item.id]) for item in short]


def withdraw(item: BatchItem, reason: str, by: int | None, now: datetime | None = None) -> None:
    """A case below quorum leaves the batch with the organizer's reason and returns to the eligible cases; its
    panel, seats and sheets stay as the record of what happened."""
    now = now or utcnow()
    batch = item.batch
    if batch.state not in (BatchState.SCORING, BatchState.DELIBERATION):
        raise BatchError(
            (N_("Cases can only be withdrawn while the batch is scoring or in deliberation."), {})
        )
    if item.withdrawn_dt is not None:
        raise BatchError((N_("This case has already been withdrawn."), {}))
    if not reason.strip():
        raise BatchError((N_("Say why the case leaves the batch."), {}))
    blocked = {b.item.id for b in blockers(batch)}
    if item.id not in blocked:
        raise BatchError((N_("Only a case below quorum can be withdrawn; this one can be settled."), {}))
    item.withdrawn_dt, item.withdrawn_reason, item.withdrawn_by_id = now, reason.strip(), by
    item.in_deliberation = False
    item.case.status = CaseStatus.ELIGIBLE
    record("case.withdrawn", "case", item.case_id, {"batch": batch.id, "reason": reason.strip()}, actor_id=by)
    db.session.flush()
