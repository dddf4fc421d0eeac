"""Screening and who may see a case. Operations flush; the request commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from evaluation.accounts.models import Role, User
from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.models import (
    Case,
    CaseStatus,
    CaseView,
    ExclusionReason,
    VerificationCall,
    case_assisting_departments,
)
from evaluation.db import takes_write_lock, writing_apart
from evaluation.extensions import db
from evaluation.org.models import Department
from evaluation.privacy import Visibility
from panels.models import Member, Seat, SeatState, through_items


def case_visibility(user: User, case: Case) -> Visibility | None:
    """What ``user`` may see of ``case``; None: nothing (403). Checks the object, not only the role."""
    if user.has_role(Role.ORGANIZER):
        return Visibility.FULL
    if user.has_role(Role.MEMBER):
        seated = db.session.scalar(
            through_items(sa.select(Seat.id))
            .join(Member, Seat.member_id == Member.id)
            .where(
                BatchItem.case_id == case.id,
                Member.user_id == user.id,
                # A seat the member still holds: one recused, declined, expired or replaced gives no access.
                Seat.state.in_([SeatState.INVITED, SeatState.ACCEPTED]),
            )
            .limit(1)
        )
        if seated is not None:
            return Visibility.MASKED
    if user.has_role(Role.DEPARTMENT) and user.department_id is not None:
        subtree = Department.subtree_ids(user.department_id)
        involved = db.session.scalar(
            sa.select(sa.literal(1)).where(
                sa.or_(
                    sa.literal(case.lead_department_id).in_(subtree),
                    sa.exists().where(
                        case_assisting_departments.c.case_id == case.id,
                        case_assisting_departments.c.department_id.in_(subtree),
                    ),
                )
            )
        )
        if involved:
            return Visibility.HIDDEN_CITIZEN if case.confidential else Visibility.MASKED
    if user.has_role(Role.AGENCY) and user.agency_id is not None:
        contracted = db.session.scalar(
            sa.select(BatchItem.id)
            .join(Batch, BatchItem.batch_id == Batch.id)
            .where(BatchItem.case_id == case.id, Batch.visible_to(user))
            .limit(1)
        )
        if contracted is not None:
            return Visibility.MASKED
    return None


def record_view(case: Case, user: User, visibility: Visibility) -> None:
    """Log that ``user`` read ``case``. A page that only reads logs it in a short transaction of its own, so the
    read never holds SQLite's write lock (the log stands even if the page then fails to render)."""
    if takes_write_lock():
        db.session.add(CaseView(case_id=case.id, user_id=user.id, context=visibility.value))
        return
    with writing_apart(db.engine) as connection:
        connection.execute(
            sa.insert(CaseView).values(case_id=case.id, user_id=user.id, context=visibility.value)
        )


class ScreeningAction(StrEnum):
    ELIGIBLE = "eligible"
    EXCLUDE = "exclude"
    BACK = "back"


# action -> (states it applies to, state it leads to)
TRANSITIONS = {
    ScreeningAction.ELIGIBLE: ({CaseStatus.RECEIVED, CaseStatus.EXCLUDED}, CaseStatus.ELIGIBLE),
    ScreeningAction.EXCLUDE: ({CaseStatus.RECEIVED, CaseStatus.ELIGIBLE}, CaseStatus.EXCLUDED),
    ScreeningAction.BACK: ({CaseStatus.ELIGIBLE, CaseStatus.EXCLUDED}, CaseStatus.RECEIVED),
}


def screen_cases(
    cases: Iterable[Case],
    action: ScreeningAction,
    reason: ExclusionReason | None = None,
    note: str | None = None,
) -> tuple[int, int]:
    """Apply a screening decision; returns (changed, skipped). Cases already in review are skipped."""
    if action == ScreeningAction.EXCLUDE and reason is None:
        raise ValueError("an exclusion needs a reason")
    sources, target = TRANSITIONS[action]
    changed = skipped = 0
    for case in cases:
        if case.status not in sources:
            skipped += 1
            continue
        detail: dict[str, str | None] = {"from": case.status.value, "to": target.value}
        if target == CaseStatus.EXCLUDED:
            detail["reason"] = reason.value if reason else None
        record("case.screened", "case", case.id, detail)  # what counts: a case taken in or left out
        case.status = target
        if target == CaseStatus.EXCLUDED:
            case.exclusion_reason, case.exclusion_note = reason, note
        else:
            case.exclusion_reason, case.exclusion_note = None, None
        changed += 1
    db.session.flush()
    return changed, skipped


def record_call(
    case: Case, caller_id: int, called_dt: datetime, reached: bool, account: str | None
) -> VerificationCall:
    """回访核实: the organizer's call to the citizen, which the panel then reads (masked)."""
    call = VerificationCall(
        case_id=case.id,
        caller_id=caller_id,
        called_dt=called_dt,
        reached=reached,
        account=(account or "").strip() or None,
    )
    db.session.add(call)
    db.session.flush()
    return call
