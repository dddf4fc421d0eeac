"""Honoraria pages: computed from the experts' recorded sessions, approved by an organizer, exported for
finance as CSV or XLSX (exact amounts, formula-looking text kept as text)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.batches.models import Batch, BatchState
from evaluation.clock import to_local
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.labels import label
from evaluation.tabular import append_row, write_csv
from panels.models import Member
from procurement import payroll
from procurement.models import Honorarium, PurchaseProject
from procurement.views import bp, button

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
    batches = db.session.execute(
        sa.select(Batch.id, Batch.name)
        .where(
            Batch.state.in_(
                [BatchState.FINALIZED, BatchState.PUBLISHED, BatchState.DELIBERATION, BatchState.SCORING]
            )
        )
        .order_by(Batch.created_dt.desc())
    ).all()
    return render_template(
        "procurement/honoraria.html",
        rows=rows,
        projects=projects,
        batches=dict(batches),
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


def _entries(work: list[payroll.BatchWork]) -> tuple[dict[int, tuple[date, int]], dict[int, str]]:
    """Each row's day and hours from the form, as minutes; a row's fault in words, by member."""
    entries: dict[int, tuple[date, int]] = {}
    errors: dict[int, str] = {}
    for w in work:
        raw_hours = (request.form.get(f"hours-{w.member.id}") or "").strip()
        raw_day = (request.form.get(f"day-{w.member.id}") or "").strip()
        if not raw_hours and not raw_day:
            continue
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            errors[w.member.id] = _("Enter the day worked.")
            continue
        try:
            hours = Decimal(raw_hours.replace("，", ".").replace(",", "."))
        except InvalidOperation:
            hours = Decimal(-1)
        if not hours.is_finite() or not 0 < hours <= 24:
            errors[w.member.id] = _("Enter the hours worked, more than 0 and at most 24.")
            continue
        entries[w.member.id] = (day, int(hours * 60))
    return entries, errors


@bp.route("/batches/<int:batch_id>/honoraria", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def batch_honoraria(batch_id: int) -> Any:
    """The panel members' recorded time on a batch (a day and hours each), and the honoraria computed from it."""
    batch = get_or_403(Batch, batch_id)
    work = payroll.batch_work(batch)
    errors: dict[int, str] = {}
    if request.method == "POST":
        _checked()
        entries, errors = _entries(work)
        if not errors and entries:
            changed = payroll.compute_batch(batch, entries, current_user.id)
            flash(_("%(n)d honoraria are computed and wait for approval.", n=changed), "success")
            return redirect(url_for("procurement.batch_honoraria", batch_id=batch.id))
        if not errors:
            flash(_("Enter the time of at least one member."), "error")
    return render_template(
        "procurement/batch_honoraria.html",
        batch=batch,
        work=work,
        errors=errors,
        form=request.form,
        tiers=payroll.tiers(),
        role_of=payroll.paid_role,
        confirm=ConfirmForm(),
    ), (400 if request.method == "POST" else 200)


def _honoraria_url(_row: Honorarium) -> str:
    return url_for("procurement.honoraria")


@bp.post("/honoraria/<int:honorarium_id>/approve")
@roles_required(Role.ORGANIZER)
def approve_honorarium(honorarium_id: int) -> Any:
    return button(
        Honorarium, honorarium_id, payroll.approve, _("The honorarium is approved."), _honoraria_url
    )


@bp.post("/honoraria/<int:honorarium_id>/paid")
@roles_required(Role.ORGANIZER)
def honorarium_paid(honorarium_id: int) -> Any:
    return button(
        Honorarium, honorarium_id, payroll.mark_paid, _("The honorarium is recorded as paid."), _honoraria_url
    )


@bp.get("/honoraria.<fmt>")
@roles_required(Role.ORGANIZER)
def export_honoraria(fmt: str) -> Response:
    """Every honorarium for finance: who, for what, the recorded time, the amount, its state and approval."""
    if fmt not in FORMATS:
        abort(404)
    projects = dict(db.session.execute(sa.select(PurchaseProject.id, PurchaseProject.code)).all())
    batches = dict(db.session.execute(sa.select(Batch.id, Batch.name)).all())
    header = [
        _("Name"),
        _("Role"),
        _("For"),
        _("Day"),
        _("Minutes"),
        _("Amount (yuan)"),
        _("Status"),
        _("Approved"),
    ]
    rows: list[list[Any]] = [header]
    for h in _rows():
        what = projects.get(h.project_id, "") if h.project_id else batches.get(h.batch_id or 0, "")
        approved = to_local(h.approved_dt).strftime("%Y-%m-%d %H:%M") if h.approved_dt else ""
        day = h.work_date.isoformat() if h.work_date else ""
        role = label(payroll.paid_role(h.member))
        rows.append([h.member.name, role, what, day, h.minutes, h.amount, label(h.state), approved])
    if fmt == "csv":
        body = write_csv([[str(v) if v is not None else "" for v in row] for row in rows])
    else:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = _("Honoraria")[:31]
        for row in rows:
            append_row(sheet, row)
        for cell in sheet["F"][1:]:
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
