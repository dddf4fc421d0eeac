"""Rectifications (整改): owed for each upheld or partly upheld case once published, reported by the department
by the due date, accepted or returned by the organizer. Operations flush; the request commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from evaluation.accounts.models import User
from evaluation.assessments.models import Assessment, Verdict
from evaluation.audit.operations import record
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.rectifications.models import Rectification, RectificationState
from evaluation.text import N_, UserError

UPHELD = (Verdict.UPHELD, Verdict.PARTLY_UPHELD)
OPEN = (RectificationState.DUE, RectificationState.RETURNED)
TEXT_MAX = 8000


class RectificationError(UserError):
    """A report that cannot be filed or reviewed now."""


class RectificationReviewed(RectificationError):
    status = 409


def owe_for(published: Sequence[Assessment], now: datetime) -> None:
    """At publication: an upheld case owes a rectification (once); a re-review that no longer upholds it
    cancels one not yet accepted."""
    by_case = {r.case_id: r for r in db.session.scalars(
        sa.select(Rectification).where(Rectification.case_id.in_([a.case_id for a in published]))
    )}  # fmt: skip
    due = to_local(now).date() + timedelta(days=current_app.config["EVALUATION_RECTIFICATION_DAYS"])
    for assessment in published:
        owed = by_case.get(assessment.case_id)
        if assessment.verdict in UPHELD and owed is None:
            db.session.add(
                Rectification(
                    case_id=assessment.case_id,
                    assessment_id=assessment.id,
                    department_id=assessment.department_id,
                    due_date=due,
                )
            )
        elif (
            assessment.verdict not in UPHELD
            and owed is not None
            and owed.state != RectificationState.ACCEPTED
        ):
            owed.state = RectificationState.CANCELLED


def file_report(rectification: Rectification, user: User, report: str, now: datetime | None = None) -> None:
    """due or returned -> filed, with the department's report."""
    if rectification.state not in OPEN:
        raise RectificationReviewed(N_("This rectification is not waiting for a report."))
    text = (report or "").strip()
    if not text:
        raise RectificationError(N_("Describe what the department has done."), field="report")
    if len(text) > TEXT_MAX:
        raise RectificationError(N_("At most %(n)d characters."), field="report", n=TEXT_MAX)
    now = now or utcnow()
    rectification.report, rectification.state = text, RectificationState.FILED
    rectification.filed_by_id, rectification.filed_dt = user.id, now
    rectification.first_filed_dt = rectification.first_filed_dt or now
    db.session.flush()
    record(
        "rectification.filed",
        "rectification",
        rectification.id,
        {"case": rectification.case_id},
        actor_id=user.id,
    )


def review(
    rectification: Rectification, accept: bool, note: str, user: User, now: datetime | None = None
) -> None:
    """filed -> accepted, or returned with a note saying what is missing."""
    note = (note or "").strip()
    if not accept and not note:
        raise RectificationError(N_("Say what is missing: the department reads it."), field="note")
    state = RectificationState.ACCEPTED if accept else RectificationState.RETURNED
    done = db.session.execute(
        sa.update(Rectification)
        .where(Rectification.id == rectification.id, Rectification.state == RectificationState.FILED)
        .values(state=state, reviewed_by_id=user.id, reviewed_dt=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise RectificationReviewed(N_("This report has already been reviewed, or was not filed."))
    db.session.refresh(rectification)
    rectification.review_note = note or None
    db.session.flush()
    record(f"rectification.{state.value}", "rectification", rectification.id, {}, actor_id=user.id)


def on_time(rectification: Rectification) -> bool | None:
    """Whether the first report came by the due date (Beijing time); None while none has come."""
    if rectification.first_filed_dt is None:
        return None
    return to_local(rectification.first_filed_dt).date() <= rectification.due_date
