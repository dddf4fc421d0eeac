"""What an evaluated department reads: its published results and those of the units under it (属地管理、分级负责),
never a sibling's or a parent's; each result as the main system received it, and the appeal it may file."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.appeals import operations as appeal_ops
from evaluation.appeals.forms import AppealForm
from evaluation.appeals.models import Appeal
from evaluation.assessments.models import Assessment
from evaluation.assessments.results import criteria_titles, questions
from evaluation.batches.models import BatchItem
from evaluation.extensions import db
from evaluation.org.models import Department
from evaluation.privacy import mask_text
from evaluation.rectifications import operations as rectification_ops
from evaluation.rectifications.forms import ReportForm
from evaluation.rectifications.models import Rectification
from evaluation.results import dashboard, export
from evaluation.results.forms import PeriodForm
from evaluation.results.ranking_views import download, period_and_filters
from evaluation.text import UserError
from evaluation.web import localized, mark, page_arg, refusal_to, with_query
from rubrics.models import RubricVersion
from rubrics.operations import export_version

bp = Blueprint("results", __name__, url_prefix="/results")


@bp.get("/")
@roles_required(Role.DEPARTMENT)
def index() -> Any:
    """A department's dashboard for a period and its published results: its own and its subordinate units',
    never a sibling's."""
    page, appeals, board, recommendations = None, {}, None, {}
    form = PeriodForm(request.args)
    if current_user.department_id is not None:
        try:
            period, _filters = period_and_filters(form)
        except UserError as exc:
            mark(form, exc)
            return render_template("evaluation/results/index.html", page=None, form=form, board=None), 400
        board = dashboard.build(period, current_user.department_id)
        query = (
            sa.select(Assessment)
            .where(
                Assessment.published_dt.is_not(None),
                Assessment.department_id.in_(Department.subtree_ids(current_user.department_id)),
            )
            .options(
                joinedload(Assessment.case),
                joinedload(Assessment.department),
                joinedload(Assessment.batch_item).joinedload(BatchItem.batch),
            )
            .order_by(Assessment.published_dt.desc(), Assessment.id)
        )
        page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
        recommendations = _recommendations(page.items)
        case_ids = [a.case_id for a in page.items]
        appeals = {
            a.case_id: a for a in db.session.scalars(sa.select(Appeal).where(Appeal.case_id.in_(case_ids)))
        }
    return render_template(
        "evaluation/results/index.html",
        page=page,
        appeals=appeals,
        form=form,
        board=board,
        recommendations=recommendations,
    )


def _recommendations(assessments: list[Assessment]) -> dict[int, str]:
    """Each assessment's majority recommendation (处理建议) in the rubric's words, one query per rubric version
    on the page (in practice one or two)."""
    versions = {a.batch_item.batch.rubric_version_id for a in assessments}
    options: dict[int, dict[str, str]] = {}
    for version in db.session.scalars(sa.select(RubricVersion).where(RubricVersion.id.in_(versions))):
        spec = export_version(version)
        options[version.id] = {
            o["value"]: localized(o["label"]["zh"], o["label"]["en"])
            for c in spec["criteria"]
            if c["role"] == "recommendation"
            for o in c["scale"].get("options", [])
        }
    out = {}
    for a in assessments:
        answer = ((a.publication or {}).get("answers") or {}).get("recommendation")
        if answer:
            out[a.id] = options.get(a.batch_item.batch.rubric_version_id, {}).get(answer, answer)
    return out


def _reachable(assessment: Assessment) -> bool:
    """Published, and of the user's department or a unit under it."""
    if assessment.published_dt is None or current_user.department_id is None:
        return False
    subtree = Department.subtree_ids(current_user.department_id)
    return bool(db.session.scalar(sa.select(sa.literal(assessment.department_id).in_(subtree))))


def _page(assessment: Assessment, form: AppealForm, report_form: ReportForm | None = None) -> str:
    spec = export_version(assessment.batch_item.batch.rubric_version)
    versions = db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.case_id == assessment.case_id, Assessment.published_dt.is_not(None))
        .order_by(Assessment.version)
    ).all()
    appeal = db.session.scalar(sa.select(Appeal).where(Appeal.case_id == assessment.case_id))
    rectification = db.session.scalar(
        sa.select(Rectification).where(Rectification.case_id == assessment.case_id)
    )
    return render_template(
        "evaluation/results/assessment.html",
        assessment=assessment,
        published=assessment.publication or {},
        questions=questions(spec),
        titles=criteria_titles(spec),
        versions=versions,
        appeal=appeal,
        decision_note=appeal_ops.note_for_department(appeal) if appeal and appeal.decision_note else None,
        refusal=appeal_ops.why_not(assessment) if appeal is None else None,
        deadline=appeal_ops.deadline(assessment),
        form=form,
        rectification=rectification,
        report_form=report_form or ReportForm(),
        review_note=mask_text(
            rectification.review_note, name=assessment.case.citizen_name, remove=assessment.case.confidential
        )
        if rectification and rectification.review_note
        else None,
    )


@bp.get("/<int:assessment_id>")
@roles_required(Role.DEPARTMENT)
def assessment(assessment_id: int) -> str:
    """One published result as the main system received it (the panel's reasons masked), and its appeal."""
    found = get_or_403(Assessment, assessment_id, _reachable)
    return _page(found, AppealForm())


@bp.post("/<int:assessment_id>/appeal")
@roles_required(Role.DEPARTMENT)
def appeal(assessment_id: int) -> Any:
    found = get_or_403(Assessment, assessment_id, _reachable)
    form = AppealForm()
    if not form.validate_on_submit():
        return _page(found, form), 400
    try:
        appeal_ops.file_appeal(found, current_user, form.reason.data, form.recontact_record.data)
    except appeal_ops.AppealError as exc:  # shown beside the form, which keeps what was typed
        mark(form, exc)
        return _page(found, form), exc.status
    flash(_("Your appeal has been filed. The organizer decides on it; you will hear by e-mail."), "success")
    return redirect(url_for("results.assessment", assessment_id=found.id))


@bp.get("/export.<fmt>")
@roles_required(Role.DEPARTMENT)
@refusal_to(lambda fmt: with_query(url_for("results.index")))
def export_results(fmt: str) -> Any:
    """The department's own assessments and its units' over the dashboard's period, nobody else's."""
    if fmt not in export.FORMATS or current_user.department_id is None:
        abort(404)
    period, _filters = period_and_filters(PeriodForm(request.args))
    rows = export.table(period, within=current_user.department_id)
    return download(rows, fmt, f"{_('Our results')}-{period.start.isoformat()}-{period.end.isoformat()}")


@bp.post("/<int:assessment_id>/rectification")
@roles_required(Role.DEPARTMENT)
def report_rectification(assessment_id: int) -> Any:
    """The department's rectification report for an upheld case (整改情况)."""
    found = get_or_403(Assessment, assessment_id, _reachable)
    rectification = db.session.scalar(sa.select(Rectification).where(Rectification.case_id == found.case_id))
    if rectification is None:
        abort(404)
    form = ReportForm()
    if not form.validate_on_submit():
        return _page(found, AppealForm(), form), 400
    try:
        rectification_ops.file_report(rectification, current_user, form.report.data)
    except rectification_ops.RectificationError as exc:
        mark(form, exc)
        return _page(found, AppealForm(), form), exc.status
    flash(_("The rectification report is filed; the organizer reviews it."), "success")
    return redirect(url_for("results.assessment", assessment_id=found.id) + "#rectification")
