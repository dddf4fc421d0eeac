"""Appeals (申请复核): filed by the evaluated department within the appeal period, decided by the organizer.

An accepted appeal returns its case to the eligible cases; the organizer puts it in a later batch, where the draw
recuses every member of its earlier panels (``RecusalRule.EARLIER_PANEL``), and the re-review, once finalized,
is the assessment's next version, published as ``assessment.corrected``. Operations flush; the request commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from evaluation.accounts.models import Role, User
from evaluation.appeals.models import Appeal, AppealState
from evaluation.assessments.models import Assessment, Verdict
from evaluation.audit.operations import record
from evaluation.cases.models import CaseStatus
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.mailer import external_url, queue_template
from evaluation.org.models import Department
from evaluation.privacy import mask_text
from evaluation.text import N_, Reason, UserError

TEXT_MAX = 4000


class AppealError(UserError):
    """An appeal that cannot be filed or decided now."""


class AppealDecided(AppealError):
    status = 409


def deadline(assessment: Assessment) -> datetime | None:
    """The end of the appeal period: ``EVALUATION_APPEAL_DAYS`` days after publication."""
    if assessment.published_dt is None:
        return None
    return assessment.published_dt + timedelta(days=current_app.config["EVALUATION_APPEAL_DAYS"])


def is_latest(assessment: Assessment) -> bool:
    later = sa.select(Assessment.id).where(
        Assessment.case_id == assessment.case_id, Assessment.version > assessment.version
    )
    return db.session.scalar(later.limit(1)) is None


def why_not(assessment: Assessment, now: datetime | None = None) -> Reason | None:
    """Why the department cannot appeal this assessment now, or None when it can."""
    now = now or utcnow()
    end = deadline(assessment)
    if end is None:
        return N_("Only a published assessment can be appealed."), {}
    if assessment.verdict == Verdict.NOT_UPHELD:
        return N_("The panel found the complaint not upheld; there is nothing to appeal."), {}
    if db.session.scalar(sa.select(Appeal.id).where(Appeal.case_id == assessment.case_id)) is not None:
        return N_("This case has already been appealed; the re-review's result is final."), {}
    if not is_latest(assessment):
        return N_("A later version of this assessment exists."), {}
    if now > end:
        return N_("The appeal period ended on %(date)s."), {"date": to_local(end).strftime("%Y-%m-%d %H:%M")}
    return None


def _clean(text: str | None, field: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise AppealError(what, field=field)
    if len(text) > TEXT_MAX:
        raise AppealError(N_("At most %(n)d characters."), field=field, n=TEXT_MAX)
    return text


def file_appeal(
    assessment: Assessment, user: User, reason: str, recontact: str, now: datetime | None = None
) -> Appeal:
    """The department's appeal, with its grounds and the record of its renewed contact with the citizen."""
    now = now or utcnow()
    refusal = why_not(assessment, now)
    if refusal is not None:
        raise AppealError(refusal[0], **refusal[1])
    appeal = Appeal(
        case_id=assessment.case_id,
        assessment=assessment,
        department_id=assessment.department_id,
        filed_by_id=user.id,
        reason=_clean(reason, "reason", N_("State the grounds of the appeal.")),
        recontact_record=_clean(
            recontact, "recontact_record", N_("Record how the department contacted the citizen again.")
        ),
        filed_dt=now,
    )
    db.session.add(appeal)
    assessment.case.status = CaseStatus.APPEALED
    db.session.flush()  # a second appeal of the case, filed a moment ago, fails here: a lost race (409)
    record("appeal.filed", "appeal", appeal.id, {"assessment": assessment.public_id}, actor_id=user.id)
    _tell_organizers(appeal)
    return appeal


def decide_appeal(appeal: Appeal, accept: bool, note: str, user: User, now: datetime | None = None) -> None:
    """filed -> accepted (the case waits for a re-review) or rejected (the assessment stands), with a reason."""
    note = _clean(note, "note", N_("Give the reason for the decision; the department reads it."))
    state = AppealState.ACCEPTED if accept else AppealState.REJECTED
    now = now or utcnow()
    # Only one organizer decides: the second of two at once finds it decided.
    decided = db.session.execute(
        sa.update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.state == AppealState.FILED)
        .values(state=state, decided_by_id=user.id, decided_dt=now)
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        raise AppealDecided(N_("This appeal has already been decided."))
    db.session.refresh(appeal)
    appeal.decision_note = note
    appeal.case.status = CaseStatus.ELIGIBLE if accept else CaseStatus.PUBLISHED
    db.session.flush()
    record(f"appeal.{state.value}", "appeal", appeal.id, {"case": appeal.case_id}, actor_id=user.id)
    _tell_department(appeal)


def awaiting_review(case_ids: Sequence[int]) -> set[int]:
    """Which of these cases wait for a re-review after an accepted appeal."""
    if not case_ids:
        return set()
    rows = db.session.scalars(
        sa.select(Appeal.case_id).where(Appeal.case_id.in_(case_ids), Appeal.state == AppealState.ACCEPTED)
    )
    return set(rows)


def close_re_reviewed(published: Sequence[Assessment]) -> None:
    """A re-review's result published: the appeal that asked for it is decided, and links the new version."""
    by_case = {a.case_id: a for a in published if a.supersedes_id is not None}
    if not by_case:
        return
    appeals = db.session.scalars(
        sa.select(Appeal).where(Appeal.case_id.in_(list(by_case)), Appeal.state == AppealState.ACCEPTED)
    ).all()
    for appeal in appeals:
        appeal.state, appeal.result_id = AppealState.DECIDED, by_case[appeal.case_id].id
        record("appeal.re_reviewed", "appeal", appeal.id, {"result": by_case[appeal.case_id].public_id})


def note_for_department(appeal: Appeal) -> str:
    """The organizer's reason as the department reads it: the citizen's identity masked like everything else that
    leaves the organizer's view (taken out entirely for a confidential report)."""
    case = appeal.case
    return mask_text(appeal.decision_note, name=case.citizen_name, remove=case.confidential)


def visible_to(user: User) -> sa.ColumnElement[bool]:
    """The appeals ``user`` may read: an organizer every one, a department user its own unit's and those under it."""
    if user.has_role(Role.ORGANIZER):
        return sa.true()
    if user.has_role(Role.DEPARTMENT) and user.department_id is not None:
        return Appeal.department_id.in_(Department.subtree_ids(user.department_id))
    return sa.false()


def _tell_organizers(appeal: Appeal) -> None:
    for address in filter(None, db.session.scalars(User.organizer_addresses()).all()):
        queue_template(
            address,
            "evaluation/appeals/emails/filed",
            (N_("Appeal filed: %(case)s"), {"case": appeal.case.external_id}),
            case_number=appeal.case.external_id,
            department=appeal.department.name,
            appeal_url=external_url("appeals.show", appeal_id=appeal.id),
        )


def _tell_department(appeal: Appeal) -> None:
    for user in db.session.scalars(User.department_readers([appeal.department_id])).all():
        queue_template(
            user.email or "",
            "evaluation/appeals/emails/decided",
            (N_("Your appeal on %(case)s has been decided"), {"case": appeal.case.external_id}),
            user_name=user.display_name,
            case_number=appeal.case.external_id,
            accepted=appeal.state == AppealState.ACCEPTED,
            note=note_for_department(appeal),
            result_url=external_url("results.assessment", assessment_id=appeal.assessment_id),
        )
