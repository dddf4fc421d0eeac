"""Honoraria pages: computed from the experts' recorded sessions, approved by an organizer, exported for
finance as CSV or XLSX (exact amounts, formula-looking text kept as text)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.clock import to_local
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.labels import label
from evaluation.tabular import append_row, write_csv
from panels.models import Member
from procurement import payroll
from procurement.models import Honorarium, PurchaseProject
from procurement.views import bp

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _rows() -> list[Honorarium]:
    return list(
        db.session.scalars(
            sa.select(Honorarium)
            .options(selectinload(Honorarium.member).selectinload(Member.affiliation))
            .order_by(Honorarium.project_id, Honorarium.batch_id, Honorarium.id)
        )
    )


@bp.get("/honoraria")
@roles_required(Role.ORGANIZER)
def honoraria() -> str:
    rows = _rows()
    projects = dict(db.session.execute(sa.select(PurchaseProject.id, PurchaseProject.code)).all())
    return render_template(
        "procurement/honoraria.html",
        rows=rows,
        projects=projects,
        tiers=payroll.tiers(),
        confirm=ConfirmForm(),
    )


def _checked() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.post("/projects/<int:project_id>/honoraria")
@roles_required(Role.ORGANIZER)
def compute_honoraria(project_id: int) -> Any:
    project = get_or_403(PurchaseProject, project_id)
    _checked()
    rows = payroll.compute(project, current_user.id)
    flash(_("%(n)d honoraria are computed and wait for approval.", n=len(rows)), "success")
    return redirect(url_for("procurement.honoraria"))


@bp.post("/honoraria/<int:honorarium_id>/approve")
@roles_required(Role.ORGANIZER)
def approve_honorarium(honorarium_id: int) -> Any:
    row = get_or_403(Honorarium, honorarium_id)
    _checked()
    payroll.approve(row, current_user.id)
    flash(_("The honorarium is approved."), "success")
    return redirect(url_for("procurement.honoraria"))


@bp.post("/honoraria/<int:honorarium_id>/paid")
@roles_required(Role.ORGANIZER)
def honorarium_paid(honorarium_id: int) -> Any:
    row = get_or_403(Honorarium, honorarium_id)
    _checked()
    payroll.mark_paid(row, current_user.id)
    flash(_("The honorarium is recorded as paid."), "success")
    return redirect(url_for("procurement.honoraria"))


@bp.get("/honoraria.<fmt>")
@roles_required(Role.ORGANIZER)
def export_honoraria(fmt: str) -> Response:
    """Every honorarium for finance: who, for what, the recorded time, the amount, its state and approval."""
    if fmt not in FORMATS:
        abort(404)
    projects = dict(db.session.execute(sa.select(PurchaseProject.id, PurchaseProject.code)).all())
    header = [_("Name"), _("Role"), _("For"), _("Minutes"), _("Amount (yuan)"), _("Status"), _("Approved")]
    rows: list[list[Any]] = [header]
    for h in _rows():
        what = projects.get(h.project_id, "") if h.project_id else f"#{h.batch_id}"
        approved = to_local(h.approved_dt).strftime("%Y-%m-%d %H:%M") if h.approved_dt else ""
        rows.append(
            [
                h.member.name,
                label(payroll.paid_role(h.member)),
                what,
                h.minutes,
                h.amount,
                label(h.state),
                approved,
            ]
        )
    if fmt == "csv":
        body = write_csv([[str(v) if v is not None else "" for v in row] for row in rows])
    else:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = _("Honoraria")[:31]
        for row in rows:
            append_row(sheet, row)
        for cell in sheet["E"][1:]:
            cell.number_format = "#,##0.00"
        buffer = io.BytesIO()
        workbook.save(buffer)
        body = buffer.getvalue()
    name = _("Honoraria") + f".{fmt}"
    return Response(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
