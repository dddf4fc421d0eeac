"""The rubric builder: organizers create, edit, preview, publish, copy and retire rubric versions."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as WerkzeugResponse

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.batches.models import Batch
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.web import explain, refusal_to
from procurement.models import PurchaseProject
from rubrics import operations as ops
from rubrics.forms import CopyForm, CriterionForm, ImportForm, NewRubricForm, SettingsForm
from rubrics.models import Criterion, Rubric, RubricVersion, VersionState
from rubrics.spec import Problem, RubricSpecError, validate_spec

bp = Blueprint("rubrics", __name__, url_prefix="/rubrics")

PATH_WORDS = {
    "name": _l("Name"),
    "title": _l("Title"),
    "description": _l("Description"),
    "label": _l("Label"),
    "descriptor": _l("Descriptor"),
    "zh": _l("Chinese"),
    "en": _l("English"),
    "code": _l("Code"),
    "scale": _l("Scale"),
    "type": _l("Type"),
    "weight": _l("Weight"),
    "role": _l("Criterion role"),
    "dimension": _l("Dimension"),
    "value": _l("Value"),
    "min": _l("Minimum"),
    "max": _l("Maximum"),
    "step": _l("Step"),
    "required": _l("Required"),
    "aggregation": _l("Aggregation"),
    "outlier_threshold": _l("Outlier threshold"),
    "comment_required_at_or_below": _l("Comment threshold"),
    "criteria": _l("Criteria"),
    "levels": _l("Levels"),
    "options": _l("Options"),
}
INDEXED = {"criteria": _l("Criterion %(n)d"), "levels": _l("Level %(n)d"), "options": _l("Option %(n)d")}


def describe_path(path: str) -> str:
    """criteria[2].scale.levels[0].value -> 'Criterion 3 › Scale › Level 1 › Value', in the user's language."""
    parts = []
    for token in path.split("."):
        match = re.fullmatch(r"(\w+)\[(\d+)\]", token)
        if match and match.group(1) in INDEXED:
            parts.append(str(INDEXED[match.group(1)]) % {"n": int(match.group(2)) + 1})
        else:
            parts.append(str(PATH_WORDS.get(token, token)))
    return " › ".join(parts)


def translated(problems: list[Problem]) -> list[dict[str, str]]:
    return [
        {
            "path": p.path,
            "where": describe_path(p.path),
            "message": _(p.message) % p.params if p.params else _(p.message),
        }
        for p in problems
    ]


def _version(version_id: int) -> RubricVersion:
    return get_or_403(RubricVersion, version_id)


def _criterion(version: RubricVersion, criterion_id: int) -> Criterion:
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None or criterion.version_id != version.id:
        abort(404)
    return criterion


def _usage(version_ids: list[int]) -> dict[int, dict[str, int]]:
    usage: dict[int, dict[str, int]] = {v: {"batches": 0, "projects": 0} for v in version_ids}
    for vid, n in db.session.execute(
        sa.select(Batch.rubric_version_id, sa.func.count())
        .where(Batch.rubric_version_id.in_(version_ids))
        .group_by(Batch.rubric_version_id)
    ):
        usage[vid]["batches"] = n
    for project_version, n in db.session.execute(
        sa.select(PurchaseProject.rubric_version_id, sa.func.count())
        .where(PurchaseProject.rubric_version_id.in_(version_ids))
        .group_by(PurchaseProject.rubric_version_id)
    ):
        if project_version is not None:
            usage[project_version]["projects"] = n
    return usage


def _draft_or_redirect(version: RubricVersion) -> WerkzeugResponse | None:
    if version.state != VersionState.DRAFT:
        flash(_("This version is published and cannot change. Make a new draft to edit it."), "error")
        return redirect(url_for(".show_version", version_id=version.id))
    return None


@bp.get("/")
@roles_required(Role.ORGANIZER)
def index() -> str:
    rubrics = db.session.scalars(
        sa.select(Rubric).options(selectinload(Rubric.versions)).order_by(Rubric.code)
    ).all()
    usage = _usage([v.id for r in rubrics for v in r.versions])
    return render_template("rubrics/index.html", rubrics=rubrics, usage=usage, import_form=ImportForm())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new_rubric() -> Any:
    form = NewRubricForm()
    if form.validate_on_submit():
        try:
            version = ops.create_rubric(
                form.code.data.strip(),
                form.name_zh.data.strip(),
                form.name_en.data.strip(),
                from_template=form.start.data in ("template", "bid_template"),
                template=ops.BID_TEMPLATE if form.start.data == "bid_template" else ops.DEFAULT_TEMPLATE,
            )
        except ops.RubricError as exc:
            form.code.errors.append(explain(exc))
        else:
            flash(_("Rubric created. Add or change its criteria, then publish it."), "success")
            return redirect(url_for(".show_version", version_id=version.id))
    return render_template("rubrics/new.html", form=form), 400 if form.errors else 200


@bp.post("/import")
@roles_required(Role.ORGANIZER)
def import_file() -> Any:
    form = ImportForm()
    problems: list[dict[str, str]] = []
    if form.validate_on_submit():
        try:
            spec = json.loads(form.file.data.read().decode("utf-8-sig"))
            version = ops.import_version(spec, publish=form.publish.data)
        except UnicodeDecodeError:
            problems = [{"path": "$", "where": "$", "message": _("The file is not text in UTF-8.")}]
        except json.JSONDecodeError as exc:  # where, in the reader's words; the parser's English says no more
            problems = [
                {
                    "path": "$",
                    "where": "$",
                    "message": _(
                        "The file is not valid JSON: the problem is at line %(line)d, column %(column)d.",
                        line=exc.lineno,
                        column=exc.colno,
                    ),
                }
            ]
        except RubricSpecError as exc:
            problems = translated(exc.problems)
        else:
            flash(
                _("Imported %(code)s version %(n)d.", code=version.rubric.code, n=version.number), "success"
            )
            return redirect(url_for(".show_version", version_id=version.id))
    rubrics = db.session.scalars(
        sa.select(Rubric).options(selectinload(Rubric.versions)).order_by(Rubric.code)
    ).all()
    usage = _usage([v.id for r in rubrics for v in r.versions])
    return render_template(
        "rubrics/index.html", rubrics=rubrics, usage=usage, import_form=form, import_problems=problems
    ), 400


def _version_page(version: RubricVersion, settings: SettingsForm) -> str:
    """The version's page: its criteria, its problems, where it is used, its settings form."""
    return render_template(
        "rubrics/version.html",
        version=version,
        settings=settings,
        confirm=ConfirmForm(),
        problems=translated(ops.version_problems(version)),
        usage=_usage([version.id])[version.id],
        weight_total=sum(c.weight for c in version.criteria if c.role.value == "score"),
    )


@bp.get("/versions/<int:version_id>")
@roles_required(Role.ORGANIZER)
def show_version(version_id: int) -> str:
    version = _version(version_id)
    return _version_page(version, SettingsForm(obj=version, aggregation=version.aggregation.value))


@bp.post("/versions/<int:version_id>/settings")
@roles_required(Role.ORGANIZER)
def update_settings(version_id: int) -> Any:
    version = _version(version_id)
    if (refused := _draft_or_redirect(version)) is not None:
        return refused
    form = SettingsForm()
    if not form.validate_on_submit():
        return _version_page(version, form), 400
    ops.update_settings(
        version,
        form.name_zh.data.strip(),
        form.name_en.data.strip(),
        form.aggregation.data,
        form.outlier_threshold.data,
    )
    flash(_("Settings saved."), "success")
    return redirect(url_for(".show_version", version_id=version.id))


def _criterion_page(version: RubricVersion, criterion: Criterion | None) -> Any:
    if (refused := _draft_or_redirect(version)) is not None:
        return refused
    form = CriterionForm()
    problems: list[dict[str, str]] = []
    if form.validate_on_submit():
        spec = form.to_spec()
        try:
            ops.save_criterion(version, criterion, spec)
        except RubricSpecError as exc:
            problems = translated(exc.problems)
        else:
            flash(_("Criterion %(code)s saved.", code=spec["code"]), "success")
            return redirect(url_for(".show_version", version_id=version.id, _anchor="criteria"))
        form.add_blank_rows()
    elif request.method == "GET":
        if criterion is not None:
            form.load(ops.export_criterion(criterion))
        else:
            form.load({"scale": {"type": "ordinal"}, "weight": 0, "required": True})
    else:
        form.add_blank_rows()
    status = 400 if (form.errors or problems) else 200
    return render_template(
        "rubrics/criterion.html", version=version, criterion=criterion, form=form, problems=problems
    ), status


@bp.route("/versions/<int:version_id>/criteria/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new_criterion(version_id: int) -> Any:
    return _criterion_page(_version(version_id), None)


@bp.route("/versions/<int:version_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def edit_criterion(version_id: int, criterion_id: int) -> Any:
    version = _version(version_id)
    return _criterion_page(version, _criterion(version, criterion_id))


@bp.post("/versions/<int:version_id>/criteria/<int:criterion_id>/move")
@roles_required(Role.ORGANIZER)
def move_criterion(version_id: int, criterion_id: int) -> Any:
    version = _version(version_id)
    if (refused := _draft_or_redirect(version)) is not None:
        return refused
    if ConfirmForm().validate_on_submit():
        offset = -1 if request.form.get("direction") == "up" else 1
        ops.move_criterion(version, _criterion(version, criterion_id), offset)
    return redirect(url_for(".show_version", version_id=version.id, _anchor="criteria"))


@bp.post("/versions/<int:version_id>/criteria/<int:criterion_id>/remove")
@roles_required(Role.ORGANIZER)
def remove_criterion(version_id: int, criterion_id: int) -> Any:
    version = _version(version_id)
    if (refused := _draft_or_redirect(version)) is not None:
        return refused
    if ConfirmForm().validate_on_submit():
        criterion = _criterion(version, criterion_id)
        code = criterion.code
        ops.remove_criterion(version, criterion)
        flash(_("Criterion %(code)s removed.", code=code), "success")
    return redirect(url_for(".show_version", version_id=version.id, _anchor="criteria"))


@bp.get("/versions/<int:version_id>/preview")
@roles_required(Role.ORGANIZER)
def preview(version_id: int) -> str:
    """The scoring form exactly as a panel member will see it."""
    version = _version(version_id)
    return render_template("rubrics/preview.html", version=version)


@bp.route("/versions/<int:version_id>/publish", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def publish(version_id: int) -> Any:
    version = _version(version_id)
    if (refused := _draft_or_redirect(version)) is not None:
        return refused
    form = ConfirmForm()
    problems = translated(ops.version_problems(version))
    if form.validate_on_submit() and not problems:
        ops.publish(version)
        flash(
            _("Version %(n)d is published and frozen. Batches can now use it.", n=version.number), "success"
        )
        return redirect(url_for(".show_version", version_id=version.id))
    return render_template("rubrics/publish.html", version=version, form=form, problems=problems), (
        400 if request.method == "POST" else 200
    )


@bp.post("/versions/<int:version_id>/retire")
@roles_required(Role.ORGANIZER)
@refusal_to(lambda version_id: url_for("rubrics.show_version", version_id=version_id))
def retire(version_id: int) -> Any:
    version = _version(version_id)
    if ConfirmForm().validate_on_submit():
        ops.retire(version)
        flash(_("Version %(n)d is retired: new batches can no longer use it.", n=version.number), "success")
    return redirect(url_for(".show_version", version_id=version.id))


@bp.post("/versions/<int:version_id>/new-draft")
@roles_required(Role.ORGANIZER)
def new_draft(version_id: int) -> Any:
    version = _version(version_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    draft = ops.new_draft(version)
    flash(
        _("Version %(n)d created as a draft copy of version %(old)d.", n=draft.number, old=version.number),
        "success",
    )
    return redirect(url_for(".show_version", version_id=draft.id))


@bp.post("/versions/<int:version_id>/delete")
@roles_required(Role.ORGANIZER)
def delete_draft(version_id: int) -> Any:
    version = _version(version_id)
    if (refused := _draft_or_redirect(version)) is not None:
        return refused
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ops.delete_draft(version)
    flash(_("The draft was deleted."), "success")
    return redirect(url_for(".index"))


@bp.route("/versions/<int:version_id>/copy", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def copy(version_id: int) -> Any:
    version = _version(version_id)
    form = CopyForm()
    if form.validate_on_submit():
        try:
            copy_version = ops.copy_as_rubric(
                version, form.code.data.strip(), form.name_zh.data.strip(), form.name_en.data.strip()
            )
        except ops.RubricError as exc:
            form.code.errors.append(explain(exc))
        else:
            flash(_("Copied into the new rubric %(code)s.", code=copy_version.rubric.code), "success")
            return redirect(url_for(".show_version", version_id=copy_version.id))
    return render_template("rubrics/copy.html", version=version, form=form), 400 if form.errors else 200


@bp.get("/versions/<int:version_id>/export.json")
@roles_required(Role.ORGANIZER)
def export(version_id: int) -> Response:
    version = _version(version_id)
    body = json.dumps(ops.export_version(version), ensure_ascii=False, indent=2)
    filename = f"{version.rubric.code}-v{version.number}.json"
    return Response(
        body + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/versions/<int:version_id>/validate")
@roles_required(Role.ORGANIZER)
def validate(version_id: int) -> Response:
    """The version's problems as JSON (what the page shows), for scripts."""
    version = _version(version_id)
    problems = validate_spec(ops.export_version(version))
    return Response(
        json.dumps({"valid": not problems, "problems": translated(problems)}, ensure_ascii=False),
        mimetype="application/json",
    )
