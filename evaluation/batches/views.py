from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from wtforms import SelectChoice

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.assessments import operations as settle_ops
from evaluation.assessments.models import Verdict
from evaluation.batches import operations as batch_ops
from evaluation.batches.forms import NewBatchForm, WindowForm
from evaluation.batches.models import Batch, BatchItem
from evaluation.cases.models import Case, CaseStatus
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.jobs import reminders
from evaluation.org.models import Department
from evaluation.scoring.models import ScoreSheet, SheetState
from evaluation.web import explain, from_local, local_datetime, to_local
from panels import operations as panel_ops
from panels.forms import DeclineForm
from panels.invitations import invite_batch
from panels.models import CompositionPolicy, Draw, Member, Panel, Recusal, Seat, SeatState
from procurement.models import Contract
from rubrics.models import RubricVersion, VersionState

bp = Blueprint("batches", __name__, url_prefix="/batches")


def visible_batches() -> sa.Select[tuple[Batch]]:
    """Organizers see every batch; an agency user only the batches of its own contracts."""
    query = sa.select(Batch)
    if not current_user.has_role(Role.ORGANIZER):
        query = query.join(Contract, Batch.contract_id == Contract.id).where(
            Contract.agency_id == current_user.agency_id
        )
    return query


@bp.get("/")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def index() -> str:
    item_counts = (
        sa.select(BatchItem.batch_id, sa.func.count().label("n")).group_by(BatchItem.batch_id).subquery()
    )
    query = (
        visible_batches()
        .add_columns(sa.func.coalesce(item_counts.c.n, 0))
        .outerjoin(item_counts, item_counts.c.batch_id == Batch.id)
        .options(joinedload(Batch.rubric_version))
        .order_by(Batch.created_dt.desc())
    )
    rows = db.session.execute(query).all()
    return render_template("evaluation/batches/index.html", rows=rows)


@bp.get("/mine")
@roles_required(Role.MEMBER)
def my_seats() -> str:
    member = db.session.scalar(sa.select(Member).where(Member.user_id == current_user.id))
    seats: list[Seat] = []
    if member is not None:
        seats = list(db.session.scalars(
            sa.select(Seat)
            .where(Seat.member_id == member.id)
            .options(
                selectinload(Seat.panel).selectinload(Panel.batch_item).selectinload(BatchItem.batch),
                selectinload(Seat.panel).selectinload(Panel.batch_item).selectinload(BatchItem.case),
            )
            .order_by(Seat.created_dt.desc())
        ))
    return render_template("evaluation/batches/my_seats.html", member=member, seats=seats,
                           answer=ConfirmForm(), decline=DeclineForm())


def can_see_batch(batch: Batch) -> bool:
    """Organizers see every batch; an agency user only those of its own contracts."""
    if current_user.has_role(Role.ORGANIZER):
        return True
    return batch.contract is not None and batch.contract.agency_id == current_user.agency_id


@bp.get("/<int:batch_id>")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def show(batch_id: int) -> str:
    batch = get_or_403(Batch, batch_id, can_see_batch)
    items = db.session.scalars(
        sa.select(BatchItem).where(BatchItem.batch_id == batch.id).order_by(BatchItem.id)
        .options(selectinload(BatchItem.case), selectinload(BatchItem.panel).selectinload(Panel.seats)
                 .selectinload(Seat.member))).all()
    draws = db.session.scalars(sa.select(Draw).where(Draw.batch_id == batch.id).order_by(Draw.id.desc())).all()
    recusals = dict(db.session.execute(
        sa.select(Recusal.draw_id, sa.func.count()).where(Recusal.draw_id.in_([d.id for d in draws]))
        .group_by(Recusal.draw_id)).all()) if draws else {}
    tied = settle_ops.ties(batch) if batch.state.value == "deliberation" else []
    window = WindowForm()
    window.closes.data = to_local(batch.closes_dt)
    return render_template("evaluation/batches/show.html", batch=batch, items=items, draws=draws,
                           recusals=recusals, form=ConfirmForm(), window=window, tied=tied, verdicts=list(Verdict),
                           organizer=current_user.has_role(Role.ORGANIZER))


@bp.post("/<int:batch_id>/draws")
@roles_required(Role.ORGANIZER)
def open_draw(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    if ConfirmForm().validate_on_submit():
        try:
            panel_ops.open_draw(batch, current_user.id)
        except panel_ops.DrawError as exc:
            flash(explain(exc), "error")
        else:
            db.session.commit()
            flash(_("A seed has been made. Note its fingerprint, then run the draw."), "info")
    return redirect(url_for(".show", batch_id=batch.id))


@bp.get("/draws/<int:draw_id>/exclusions")
@roles_required(Role.ORGANIZER)
def draw_exclusions(draw_id: int) -> str:
    """Every member a draw left out of a case, with the rule that excluded them; by case number if asked."""
    draw = get_or_403(Draw, draw_id)
    needle = (request.args.get("case") or "").strip()
    query = (sa.select(Recusal).join(Case, Recusal.case_id == Case.id).join(Member, Recusal.member_id == Member.id)
             .where(Recusal.draw_id == draw.id).order_by(Case.external_id, Member.name, Recusal.id)
             .options(contains_eager(Recusal.case), contains_eager(Recusal.member)))
    if needle:
        query = query.where(Case.external_id.contains(needle, autoescape=True))
    page = db.paginate(query, page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["EVALUATION_PAGE_SIZE"], error_out=False)
    return render_template("evaluation/batches/exclusions.html", draw=draw, batch=draw.batch, page=page, q=needle)


@bp.post("/draws/<int:draw_id>/run")
@roles_required(Role.ORGANIZER)
def run_draw(draw_id: int) -> Any:
    draw = get_or_403(Draw, draw_id)
    if ConfirmForm().validate_on_submit():
        try:
            result = panel_ops.run_draw(draw)
        except panel_ops.DrawError as exc:
            db.session.rollback()
            flash(explain(exc), "error")
        else:
            db.session.commit()
            if result["status"] == "infeasible":
                flash(_("No panels can satisfy every rule; the reasons are listed with the draw."), "error")
            else:
                flash(_("Panels drawn. The seed is revealed; anyone can now verify the draw."), "success")
    return redirect(url_for(".show", batch_id=draw.batch_id))


@bp.post("/<int:batch_id>/invite")
@roles_required(Role.ORGANIZER)
def invite(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    if ConfirmForm().validate_on_submit():
        count = invite_batch(batch)
        db.session.commit()
        flash(_("%(n)d invitations sent.", n=count), "success")
    return redirect(url_for(".show", batch_id=batch.id))



# --- creating batches and moving them on --------------------------------------------------------------------------

def _batch_error(exc: batch_ops.BatchError) -> None:
    for message, params in exc.reasons:
        flash(_(message, **params), "error")


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new() -> Any:
    form = NewBatchForm()
    versions = db.session.scalars(sa.select(RubricVersion).where(RubricVersion.state == VersionState.PUBLISHED)
                                  .options(joinedload(RubricVersion.rubric)).order_by(RubricVersion.id)).all()
    form.rubric_version.choices = [SelectChoice(str(v.id), f"{v.name_zh} v{v.number}") for v in versions]
    form.policy.choices = [SelectChoice(str(p.id), p.name) for p in db.session.scalars(
        sa.select(CompositionPolicy).order_by(CompositionPolicy.name))]
    categories = db.session.scalars(sa.select(Case.category).where(Case.status == CaseStatus.ELIGIBLE,
                                                                   Case.category.is_not(None)).distinct()).all()
    form.category.choices = [SelectChoice("", _("All"))] + [SelectChoice(c, c) for c in sorted(categories)]
    departments = db.session.execute(sa.select(Department.id, Department.name).order_by(Department.code)).all()
    form.department.choices = [SelectChoice("", _("All"))] + [SelectChoice(str(i), n) for i, n in departments]
    eligible = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.status == CaseStatus.ELIGIBLE))
    if form.validate_on_submit():
        query = sa.select(Case.id).where(Case.status == CaseStatus.ELIGIBLE)
        if form.category.data:
            query = query.where(Case.category == form.category.data)
        if form.department.data:
            query = query.where(Case.lead_department_id.in_(Department.subtree_ids(int(form.department.data))))
        seed = (form.sample_seed.data or "").strip() or (secrets.token_hex(8) if form.sample_size.data else None)
        case_ids = batch_ops.sample_cases(list(db.session.scalars(query)), form.sample_size.data, seed or "")
        try:
            batch = batch_ops.create_batch(
                form.name.data.strip(), db.session.get(RubricVersion, int(form.rubric_version.data)),
                db.session.get(CompositionPolicy, int(form.policy.data)), from_local(form.opens.data),
                from_local(form.closes.data), case_ids, seed, current_user.id)
        except batch_ops.BatchError as exc:
            db.session.rollback()
            _batch_error(exc)
        else:
            db.session.commit()
            flash(_("Batch created with %(n)d cases.", n=len(case_ids)), "success")
            return redirect(url_for(".show", batch_id=batch.id))
    return render_template("evaluation/batches/new.html", form=form, eligible=eligible), (
        400 if request.method == "POST" else 200)


@bp.post("/<int:batch_id>/open-scoring")
@roles_required(Role.ORGANIZER)
def open_scoring(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    if ConfirmForm().validate_on_submit():
        try:
            batch_ops.open_scoring(batch)
        except batch_ops.BatchError as exc:
            db.session.rollback()
            _batch_error(exc)
        else:
            db.session.commit()
            flash(_("Scoring is open."), "success")
    return redirect(url_for(".show", batch_id=batch.id))


@bp.post("/<int:batch_id>/window")
@roles_required(Role.ORGANIZER)
def change_window(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    form = WindowForm()
    if form.validate_on_submit():
        try:
            batch_ops.extend_window(batch, from_local(form.closes.data))
        except batch_ops.BatchError as exc:
            db.session.rollback()
            _batch_error(exc)
        else:
            db.session.commit()
            flash(_("The scoring window now closes at %(when)s.", when=local_datetime(batch.closes_dt)), "success")
    else:
        flash(_("Please correct the marked fields."), "error")
    return redirect(url_for(".show", batch_id=batch.id))


@bp.post("/<int:batch_id>/close-scoring")
@roles_required(Role.ORGANIZER)
def close_scoring(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    if ConfirmForm().validate_on_submit():
        try:
            flagged = batch_ops.close_scoring(batch, current_app.config["EVALUATION_SPREAD_POINTS"])
        except batch_ops.BatchError as exc:
            db.session.rollback()
            _batch_error(exc)
        else:
            db.session.commit()
            flash(_("Scoring closed: %(n)d cases go to deliberation.", n=flagged), "success")
    return redirect(url_for(".show", batch_id=batch.id))


@bp.get("/<int:batch_id>/monitor")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def monitor(batch_id: int) -> str:
    """Cases x seats with their states, who is late, counts per member: paged, a fixed number of queries."""
    batch = get_or_403(Batch, batch_id, can_see_batch)
    show = request.args.get("show", "all")
    needle = (request.args.get("q") or "").strip()
    open_seats = sa.select(Seat.id).join(Panel, Seat.panel_id == Panel.id).where(
        Panel.batch_item_id == BatchItem.id, Seat.state == SeatState.ACCEPTED)
    unsubmitted = open_seats.outerjoin(ScoreSheet, ScoreSheet.seat_id == Seat.id).where(
        sa.or_(ScoreSheet.id.is_(None), ScoreSheet.state == SheetState.DRAFT))
    query = (sa.select(BatchItem).join(Case, BatchItem.case_id == Case.id).where(BatchItem.batch_id == batch.id)
             .options(selectinload(BatchItem.case),
                      selectinload(BatchItem.panel).selectinload(Panel.seats).selectinload(Seat.member))
             .order_by(BatchItem.id))
    if show == "incomplete":
        query = query.where(sa.exists(unsubmitted))
    elif show == "deliberation":
        query = query.where(BatchItem.in_deliberation.is_(True))
    if needle:
        query = query.where(Case.external_id.ilike(f"%{needle}%"))
    page = db.paginate(query, page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["EVALUATION_PAGE_SIZE"], error_out=False)
    seat_ids = [s.id for item in page.items if item.panel for s in item.panel.seats]
    sheets = {seat_id: state for seat_id, state in db.session.execute(
        sa.select(ScoreSheet.seat_id, ScoreSheet.state).where(ScoreSheet.seat_id.in_(seat_ids)))} if seat_ids else {}
    per_member = db.session.execute(
        sa.select(Member.id, Member.name, Member.email, sa.func.count(Seat.id),
                  sa.func.count(ScoreSheet.id).filter(ScoreSheet.state != SheetState.DRAFT))
        .join(Seat, Seat.member_id == Member.id).join(Panel, Seat.panel_id == Panel.id)
        .join(BatchItem, Panel.batch_item_id == BatchItem.id)
        .outerjoin(ScoreSheet, ScoreSheet.seat_id == Seat.id)
        .where(BatchItem.batch_id == batch.id, Seat.state == SeatState.ACCEPTED)
        .group_by(Member.id, Member.name, Member.email).order_by(Member.name)).all()
    late = batch.closes_dt is not None and utcnow() > batch.closes_dt - timedelta(hours=24)
    return render_template("evaluation/batches/monitor.html", batch=batch, page=page, sheets=sheets,
                           per_member=per_member, late=late, show=show, q=needle, form=ConfirmForm(),
                           organizer=current_user.has_role(Role.ORGANIZER))


@bp.post("/<int:batch_id>/nudge/<int:member_id>")
@roles_required(Role.ORGANIZER)
def nudge(batch_id: int, member_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    member = get_or_403(Member, member_id)
    if ConfirmForm().validate_on_submit():
        sent = reminders.remind_member(batch, member, reason="nudge")
        db.session.commit()
        flash(_("A reminder was sent to %(name)s.", name=member.name) if sent
              else _("%(name)s has nothing left to score.", name=member.name), "success" if sent else "info")
    return redirect(url_for(".monitor", batch_id=batch.id))


@bp.post("/<int:batch_id>/finalize")
@roles_required(Role.ORGANIZER)
def finalize(batch_id: int) -> Any:
    """Settle every case; a tied panel's verdict is the organizer's, with a written reason."""
    batch = get_or_403(Batch, batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    decisions = {}
    for item in batch.items:
        verdict = request.form.get(f"tie-{item.id}-verdict")
        if verdict in {v.value for v in Verdict}:
            decisions[item.id] = (verdict, request.form.get(f"tie-{item.id}-reason", ""))
    try:
        count = settle_ops.finalize(batch, decisions, current_user.id)
    except settle_ops.SettleError as exc:
        db.session.rollback()
        flash(explain(exc), "error")
    else:
        db.session.commit()
        flash(_("The batch is finalized: %(n)d assessments are ready to publish.", n=count), "success")
    return redirect(url_for(".show", batch_id=batch.id))
