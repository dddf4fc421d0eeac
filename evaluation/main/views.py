from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from evaluation.accounts.models import Role
from evaluation.assessments.models import Assessment
from evaluation.batches.models import Batch
from evaluation.cases.models import Case
from evaluation.extensions import db
from evaluation.jobs.models import Job, JobState
from evaluation.mailer import SEND_JOB
from evaluation.org.models import Department
from panels.models import Member, Seat

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return redirect(url_for("accounts.login"))


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    """One overview, with a section per role the user holds; each counts only what that user may see."""
    sections: dict[str, object] = {}
    if current_user.has_role(Role.ORGANIZER):
        sections["cases_by_status"] = dict(
            db.session.execute(sa.select(Case.status, sa.func.count()).group_by(Case.status)).all()
        )
        sections["batches"] = db.session.scalars(
            sa.select(Batch).order_by(Batch.created_dt.desc()).limit(10)
        ).all()
        # Mail that could not leave: waiting for the worker's retry, or given up after the last attempt.
        sections["unsent_mail"] = db.session.scalars(
            sa.select(Job)
            .where(Job.kind == SEND_JOB, Job.state.in_([JobState.PENDING, JobState.RUNNING, JobState.FAILED]))
            .order_by(Job.created_dt.desc())
            .limit(20)
        ).all()
    if current_user.has_role(Role.MEMBER):
        member = db.session.scalar(sa.select(Member).where(Member.user_id == current_user.id))
        sections["member"] = member
        if member is not None:
            sections["seat_count"] = db.session.scalar(
                sa.select(sa.func.count()).select_from(Seat).where(Seat.member_id == member.id)
            )
    if current_user.has_role(Role.DEPARTMENT) and current_user.department_id:
        sections["published_results"] = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Assessment)
            .where(
                Assessment.published_dt.is_not(None),
                Assessment.department_id.in_(Department.subtree_ids(current_user.department_id)),
            )
        )
    return render_template("evaluation/main/dashboard.html", sections=sections)
