"""A case's assessment as the organizer (or the batch's agency) reads it: the verdict and its figures, the
tallies of the verdict questions, and the dissent's reasons with identities masked."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.assessments.models import Assessment
from evaluation.assessments.results import criteria_titles, questions
from evaluation.batches.models import BatchItem
from evaluation.extensions import db
from evaluation.privacy import mask_text
from rubrics.operations import export_version

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


@bp.get("/<int:assessment_id>")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def show(assessment_id: int) -> str:
    assessment = get_or_403(Assessment, assessment_id, lambda a: a.batch_item.batch.can_see(current_user))
    item = db.session.execute(
        sa.select(BatchItem)
        .where(BatchItem.id == assessment.batch_item_id)
        .options(joinedload(BatchItem.batch), joinedload(BatchItem.case))
    ).scalar_one()
    spec = export_version(item.batch.rubric_version)
    versions = db.session.scalars(
        sa.select(Assessment).where(Assessment.case_id == assessment.case_id).order_by(Assessment.version)
    ).all()
    dissent = [
        {"verdict": d.get("verdict"), "reason": mask_text(d.get("reason"), name=item.case.citizen_name)}
        for d in assessment.dissent
    ]
    # What the organizer wrote may name people too: it is masked like the panel's reasons.
    tie_break = (
        mask_text(assessment.tie_break_reason, name=item.case.citizen_name)
        if assessment.tie_break_reason
        else None
    )
    return render_template(
        "evaluation/assessments/show.html",
        tie_break=tie_break,
        assessment=assessment,
        item=item,
        batch=item.batch,
        questions=questions(spec),
        titles=criteria_titles(spec),
        dissent=dissent,
        versions=versions,
    )
