"""Notices (通报): the organizer drafts one for a period, previews it, chooses its typical cases and issues it;
an issued notice is frozen and numbered. Each renders as a printable page, a PDF and an XLSX, in full or public."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.labels import label
from evaluation.notices import document
from evaluation.notices import operations as ops
from evaluation.notices.forms import NoticeForm, TypicalForm
from evaluation.notices.models import Notice, NoticeState
from evaluation.results.standings import Period
from evaluation.text import UserError
from evaluation.web import mark, page_arg, refusal_to

bp = Blueprint("notices", __name__, url_prefix="/notices")
FORMATS = {
    "html": "text/html",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _to_notice(notice_id: int) -> str:
    return url_for("notices.show", notice_id=notice_id)


@bp.get("/")
@roles_required(Role.ORGANIZER)
def index() -> str:
    query = sa.select(Notice).order_by(Notice.period_end.desc(), Notice.id.desc())
    return render_template(
        "evaluation/notices/index.html", page=db.paginate(query, page=page_arg(), per_page=50)
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new() -> Any:
    form = NoticeForm()
    if not form.validate_on_submit():
        return render_template("evaluation/notices/new.html", form=form), (
            400 if request.method == "POST" else 200
        )
    try:
        Period.parse(form.start.data.isoformat(), form.end.data.isoformat(), form.end.data)
    except UserError as exc:  # reversed, or beyond any period the office reports on
        mark(form, exc)
        return render_template("evaluation/notices/new.html", form=form), 400
    notice = Notice(
        title=form.title.data.strip(),
        period_start=form.start.data,
        period_end=form.end.data,
        intro=(form.intro.data or "").strip() or None,
        created_by_id=current_user.id,
    )
    db.session.add(notice)
    db.session.flush()
    flash(_("The draft is saved. Choose its typical cases, preview it, then issue it."), "success")
    return redirect(_to_notice(notice.id))


def _typical_form(notice: Notice) -> TypicalForm:
    form = TypicalForm(typical=notice.typical)
    form.typical.choices = [
        SelectChoice(a.id, f"{a.case.external_id} · {a.department.name} · {label(a.verdict)} · {a.total:.1f}")
        for a in ops.candidates(Period(notice.period_start, notice.period_end))
    ]
    return form


@bp.get("/<int:notice_id>")
@roles_required(Role.ORGANIZER)
def show(notice_id: int) -> str:
    notice = get_or_403(Notice, notice_id)
    doc = ops.document(notice)
    return render_template(
        "evaluation/notices/show.html",
        notice=notice,
        doc=doc,
        public=False,
        charts=document.charts(doc),
        number=document.number_text(doc),
        typical_form=_typical_form(notice) if notice.state == NoticeState.DRAFT else None,
        form=ConfirmForm(),
        readings=document.READINGS,
    )


@bp.post("/<int:notice_id>/typical")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_notice)
def choose_typical(notice_id: int) -> Any:
    notice = get_or_403(Notice, notice_id)
    form = _typical_form(notice)
    if form.validate_on_submit():
        ops.choose_typical(notice, list(form.typical.data or []))
        flash(_("The typical cases are saved."), "success")
    else:
        flash(_("Only upheld cases of the notice's period can be typical cases."), "error")
    return redirect(_to_notice(notice.id))


@bp.post("/<int:notice_id>/issue")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_notice)
def issue(notice_id: int) -> Any:
    notice = get_or_403(Notice, notice_id)
    if ConfirmForm().validate_on_submit():
        if request.form.get("confirmed") != "yes":
            flash(_("Tick the box to confirm: an issued notice can no longer change."), "error")
            return redirect(_to_notice(notice.id))
        ops.issue(notice, current_user.id)
        flash(_("Issued as %(number)s.", number=document.number_text(notice.content or {})), "success")
    return redirect(_to_notice(notice.id))


@bp.get("/<int:notice_id>/document.<fmt>")
@roles_required(Role.ORGANIZER)
def download(notice_id: int, fmt: str) -> Response:
    """The notice as a printable page, PDF or XLSX; ``?public=1``: the version for the city's website."""
    if fmt not in FORMATS:
        abort(404)
    notice = get_or_403(Notice, notice_id)
    doc, public = ops.document(notice), request.args.get("public") == "1"
    if fmt == "html":
        return Response(document.html(doc, public=public), mimetype=FORMATS[fmt])
    body = document.pdf(doc, public=public) if fmt == "pdf" else document.xlsx(doc, public=public)
    suffix = "-" + _("public version") if public else ""
    name = f"{notice.title}{suffix}.{fmt}"
    return Response(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
