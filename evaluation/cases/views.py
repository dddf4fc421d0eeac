"""Organizers screen cases; everyone who may see a case reads it on its page, masked unless organizer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from evaluation.access import roles_required
from evaluation.accounts.models import Role
from evaluation.batches.models import Batch, BatchState
from evaluation.batches.operations import add_cases
from evaluation.cases import importer
from evaluation.cases.forms import (
    BulkScreeningForm,
    CaseFilterForm,
    ImportCommitForm,
    ImportUploadForm,
    VerificationCallForm,
)
from evaluation.cases.models import Case, ExclusionReason
from evaluation.cases.operations import (
    ScreeningAction,
    case_visibility,
    record_view,
    screen_cases,
)
from evaluation.cases.operations import (
    record_call as record_verification_call,
)
from evaluation.clock import from_local, local_zone
from evaluation.extensions import db
from evaluation.org.models import Department, Region
from evaluation.privacy import Visibility, present
from evaluation.text import N_, UserError
from evaluation.web import explain, page_arg, refusal_to

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _filter_choices(form: CaseFilterForm) -> None:
    departments = db.session.execute(
        sa.select(Department.code, Department.name).order_by(Department.code)
    ).all()
    form.department.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(code, f"{name} ({code})") for code, name in departments
    ]
    codes = [c for c in db.session.scalars(sa.select(Case.region_code).distinct()) if c]
    names = dict(db.session.execute(sa.select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    form.district.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(c, names.get(c, c)) for c in sorted(codes)
    ]
    categories = db.session.scalars(
        sa.select(Case.category).where(Case.category.is_not(None)).distinct().order_by(Case.category)
    ).all()
    form.category.choices = [SelectChoice("", _("All"))] + [SelectChoice(c, c) for c in categories]


def _filtered(form: CaseFilterForm) -> sa.Select[Case]:
    query = sa.select(Case)
    if form.status.data:
        query = query.where(Case.status == form.status.data)
    if form.type.data:
        query = query.where(Case.case_type == form.type.data)
    if form.channel.data:
        query = query.where(Case.channel == form.channel.data)
    if form.category.data:
        query = query.where(Case.category == form.category.data)
    if form.district.data:
        query = query.where(Case.region_code == form.district.data)
    if form.department.data:
        root = db.session.scalar(sa.select(Department.id).where(Department.code == form.department.data))
        query = query.where(
            Case.lead_department_id.in_(Department.subtree_ids(root if root is not None else -1))
        )
    zone = local_zone()
    if form.received_from.data:
        query = query.where(
            Case.received_dt >= datetime.combine(form.received_from.data, datetime.min.time(), zone)
        )
    if form.received_to.data:
        end = datetime.combine(form.received_to.data, datetime.min.time(), zone) + timedelta(days=1)
        query = query.where(Case.received_dt < end)
    if form.q.data:
        needle = f"%{form.q.data.strip()}%"
        query = query.where(
            sa.or_(
                Case.external_id.ilike(needle),
                Case.title_masked.ilike(needle),
                Case.request_masked.ilike(needle),
            )
        )
    return query


@bp.get("/")
@roles_required(Role.ORGANIZER)
def index() -> Any:
    form = CaseFilterForm(request.args)
    _filter_choices(form)
    if not form.validate():
        flash(_("Please correct the marked fields."), "error")
        for field in form:
            if field.errors:
                field.data = None  # an unknown value filters nothing; the field says why
    query = (
        _filtered(form).options(joinedload(Case.lead_department)).order_by(Case.received_dt.desc(), Case.id)
    )
    page = db.paginate(
        query,
        page=page_arg(),
        per_page=current_app.config["EVALUATION_PAGE_SIZE"],
        error_out=False,
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "evaluation/cases/index.html",
        page=page,
        form=form,
        args=args,
        bulk=_bulk_form(BulkScreeningForm(next=request.full_path)),
    )


def _bulk_form(form: BulkScreeningForm) -> BulkScreeningForm:
    drafts = db.session.execute(
        sa.select(Batch.id, Batch.name).where(Batch.state == BatchState.DRAFT).order_by(Batch.id.desc())
    ).all()
    form.batch.choices = [SelectChoice("", "—")] + [SelectChoice(str(i), name) for i, name in drafts]
    return form


def _back() -> str:
    """The filtered list the bulk form was sent from."""
    target = request.form.get("next") or ""
    return target if target.startswith("/cases") else url_for(".index")


@bp.post("/screen")
@roles_required(Role.ORGANIZER)
@refusal_to(_back)
def screen() -> Any:
    form = _bulk_form(BulkScreeningForm())
    back = _back()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(back)
    cases = list(db.session.scalars(sa.select(Case).where(Case.id.in_(form.case_ids.data))))
    if form.action.data == "add_to_batch":
        batch = db.session.get(Batch, int(form.batch.data)) if (form.batch.data or "").isdigit() else None
        if batch is None:
            raise UserError(N_("Choose the draft batch to add the cases to."))
        changed, skipped = add_cases(batch, cases)
        flash(_("%(n)d cases added to %(batch)s.", n=changed, batch=batch.name), "success")
    else:
        reason = ExclusionReason(form.reason.data) if form.reason.data else None
        if form.action.data == ScreeningAction.EXCLUDE and reason is None:
            raise UserError(N_("Choose a reason for the exclusion."))
        changed, skipped = screen_cases(
            cases, ScreeningAction(form.action.data), reason, (form.note.data or "").strip() or None
        )
        flash(_("%(changed)d cases changed.", changed=changed), "success")
    if skipped:
        flash(
            _(
                "%(skipped)d cases were left as they are: they are not in a state this action applies to.",
                skipped=skipped,
            ),
            "info",
        )
    return redirect(back)


@bp.get("/<int:case_id>")
@login_required
def show(case_id: int) -> str:
    case = db.session.scalar(Case.for_page(case_id))
    if case is None:
        abort(404)
    visibility = case_visibility(current_user, case)
    if visibility is None:
        abort(403)
    record_view(case, current_user, visibility)
    return render_template(
        "evaluation/cases/show.html",
        case=case,
        view=present(case, visibility, current_app.config["SECRET_KEY"]),
        visibility=visibility,
        full=visibility == Visibility.FULL,
        call_form=VerificationCallForm(),
    )


@bp.post("/<int:case_id>/calls")
@roles_required(Role.ORGANIZER)
def record_call(case_id: int) -> Any:
    case = db.get_or_404(Case, case_id)
    form = VerificationCallForm()
    if form.validate_on_submit():
        record_verification_call(
            case, current_user.id, from_local(form.called.data), form.reached.data, form.account.data
        )
        flash(_("The call is recorded; the panel will read it with the case."), "success")
    else:
        flash(_("Please correct the marked fields."), "error")
    return redirect(url_for(".show", case_id=case.id))


# --- import ---------------------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def import_upload() -> Any:
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return render_template("evaluation/cases/import.html", form=form), 400 if form.errors else 200
    upload = form.file.data
    try:
        parsed = importer.parse(
            upload.filename or "", upload.read(), current_app.config["BABEL_DEFAULT_TIMEZONE"]
        )
    except importer.ImportFileError as exc:
        form.file.errors.append(explain(exc))
        return render_template("evaluation/cases/import.html", form=form), 400
    results = importer.dry_run(parsed.rows)
    counts = {
        key: sum(r.result == key for r in results) for key in ("created", "updated", "unchanged", "rejected")
    }
    errors = importer.row_errors(results, parsed.row_numbers)
    token = (
        ""
        if errors
        else importer.stage(
            importer.staging_folder(current_app.instance_path),
            current_user.id,
            upload.filename or "",
            parsed.rows,
        )
    )
    preview = [
        {
            "row": parsed.row_numbers[r.index],
            "result": r.result,
            "external_id": r.external_id,
            "title": (parsed.rows[r.index].get("title") or "")[:60],
        }
        for r in results[:200]
    ]
    return render_template(
        "evaluation/cases/import_preview.html",
        filename=upload.filename,
        encoding=parsed.encoding,
        counts=counts,
        errors=errors,
        preview=preview,
        total=len(results),
        commit=ImportCommitForm(token=token),
    ), 400 if errors else 200


@bp.post("/import/commit")
@roles_required(Role.ORGANIZER)
@refusal_to(lambda: url_for(".import_upload"))
def import_commit() -> Any:
    form = ImportCommitForm()
    form.validate_on_submit()
    folder = importer.staging_folder(current_app.instance_path)
    payload = importer.staged(folder, form.token.data or "", current_user.id)
    counts = importer.commit(payload["rows"], payload["filename"])
    importer.unstage(folder, form.token.data)
    flash(
        _(
            "Imported %(filename)s: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
            filename=payload["filename"],
            **counts,
        ),
        "success",
    )
    return redirect(url_for(".index"))


@bp.get("/import/template.<ext>")
@roles_required(Role.ORGANIZER)
def import_template(ext: str) -> Response:
    if ext == "xlsx":
        return Response(
            importer.template_xlsx(),
            headers={
                "Content-Disposition": "attachment; filename*=UTF-8''%E4%B8%8D%E6%BB%A1%E6%84%8F%E4%BB%B6%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
            },
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    if ext == "csv":
        return Response(
            importer.template_csv(),
            mimetype="text/csv",
            headers={
                "Content-Disposition": "attachment; filename*=UTF-8''%E4%B8%8D%E6%BB%A1%E6%84%8F%E4%BB%B6%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.csv"
            },
        )
    abort(404)
