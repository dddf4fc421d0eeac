"""Batches: organizers create them and move them on; agencies follow their contract's batches; members list
their seats. Views load, check, validate and call one operation; the request's edge commits or explains."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.appeals.models import Appeal, AppealState
from evaluation.assessments import operations as settle_ops
from evaluation.assessments.models import Verdict
from evaluation.assessments.results import READINGS, UNDEFINED, batch_results, figure_rows, questions
from evaluation.batches import operations as batch_ops
from evaluation.batches.forms import REASON_MAX, NewBatchForm, SeatDeadlineForm, WindowForm, WithdrawForm
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.batches.monitor import monitor as monitor_data
from evaluation.cases.models import Case, CaseStatus
from evaluation.clock import from_local, to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.jobs import reminders
from evaluation.org.models import Department
from evaluation.publication.operations import publish_batch
from evaluation.scoring.models import ScoreSheet, SheetState, late_seats
from evaluation.text import N_, UserError
from evaluation.web import local_datetime, mark, page_arg, refusal_to
from panels.forms import DeclineForm
from panels.invitations import invite_batch, reopen, replace_silent
from panels.models import CompositionPolicy, Draw, Member, Panel, Recusal, Seat, batch_seats
from procurement.models import Agency, Contract, ContractState
from rubrics.models import Rubric, RubricPurpose, RubricVersion, VersionState
from rubrics.operations import export_version

bp = Blueprint("batches", __name__, url_prefix="/batches")


def _to_batch(batch_id: int) -> str:
    return url_for("batches.show", batch_id=batch_id)


def _visible(batch: Batch) -> bool:
    return batch.can_see(current_user)


@bp.get("/")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def index() -> str:
    item_counts = (
        sa.select(BatchItem.batch_id, sa.func.count().label("n")).group_by(BatchItem.batch_id).subquery()
    )
    query = (
        sa.select(Batch)
        .where(Batch.visible_to(current_user))
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
        seats = list(
            db.session.scalars(
                sa.select(Seat)
                .where(Seat.member_id == member.id)
                .options(
                    selectinload(Seat.panel).selectinload(Panel.batch_item).selectinload(BatchItem.batch),
                    selectinload(Seat.panel).selectinload(Panel.batch_item).selectinload(BatchItem.case),
                )
                .order_by(Seat.created_dt.desc())
            )
        )
    return render_template(
        "evaluation/batches/my_seats.html",
        member=member,
        seats=seats,
        bid_evaluations=_bid_evaluations(member),
        answer=ConfirmForm(),
        decline=DeclineForm(),
    )


def _bid_evaluations(member: Member | None) -> int:
    """How many procurement projects the member sits on as an expert (scored in the same workspace)."""
    if member is None:
        return 0
    from procurement.expert_models import ExpertSeat

    return int(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(ExpertSeat).where(ExpertSeat.member_id == member.id)
        )
        or 0
    )


@bp.get("/<int:batch_id>")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def show(batch_id: int) -> str:
    batch = get_or_403(Batch, batch_id, _visible)
    items = db.session.scalars(
        sa.select(BatchItem)
        .where(BatchItem.batch_id == batch.id)
        .order_by(BatchItem.id)
        .options(
            selectinload(BatchItem.case),
            selectinload(BatchItem.panel).selectinload(Panel.seats).selectinload(Seat.member),
        )
    ).all()
    draws = db.session.scalars(
        sa.select(Draw).where(Draw.batch_id == batch.id).order_by(Draw.id.desc())
    ).all()
    recusals = (
        dict(
            db.session.execute(
                sa.select(Recusal.draw_id, sa.func.count())
                .where(Recusal.draw_id.in_([d.id for d in draws]))
                .group_by(Recusal.draw_id)
            ).all()
        )
        if draws
        else {}
    )
    deliberating = batch.state == BatchState.DELIBERATION
    tied = settle_ops.ties(batch) if deliberating else []
    silent_outliers = settle_ops.silent_outliers(batch) if deliberating else []
    window = WindowForm()
    window.closes.data = to_local(batch.closes_dt)
    scoring = batch.state in (BatchState.SCORING, BatchState.DELIBERATION)
    submitted = (
        set(
            db.session.scalars(
                batch_seats(batch.id)
                .with_only_columns(Seat.id)
                .join(ScoreSheet, ScoreSheet.seat_id == Seat.id)
                .where(ScoreSheet.state != SheetState.DRAFT)
            )
        )
        if scoring
        else set()
    )
    window_closed = batch.closes_dt is not None and batch.closes_dt <= utcnow()
    spec = export_version(batch.rubric_version)
    unsubmitted = (
        db.session.scalar(sa.select(sa.func.count()).select_from(late_seats(batch.id).subquery()))
        if batch.state == BatchState.SCORING
        else 0
    )
    return render_template(
        "evaluation/batches/show.html",
        batch=batch,
        items=items,
        draws=draws,
        recusals=recusals,
        form=ConfirmForm(),
        window=window,
        tied=tied,
        silent_outliers=silent_outliers,
        verdicts=list(Verdict),
        organizer=current_user.has_role(Role.ORGANIZER),
        submitted=submitted,
        window_closed=window_closed,
        unsubmitted=unsubmitted,
        blockers=batch_ops.blockers(batch) if scoring and window_closed else [],
        readiness=batch_ops.readiness(batch) if batch.state == BatchState.PANELS_DRAWN else None,
        results=batch_results(batch) if batch.state in (BatchState.FINALIZED, BatchState.PUBLISHED) else [],
        questions=questions(spec),
        figure_rows=figure_rows(batch, spec) if batch.figures else [],
        severity=(batch.figures or {}).get("severity"),
        readings=READINGS,
        undefined_words=UNDEFINED,
        deadline_form=SeatDeadlineForm(formdata=None, deadline=to_local(utcnow() + timedelta(days=3))),
        withdraw_form=WithdrawForm(formdata=None),
    )


@bp.post("/<int:batch_id>/invite")
@roles_required(Role.ORGANIZER)
def invite(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    if ConfirmForm().validate_on_submit():
        count = invite_batch(batch)
        flash(_("%(n)d invitations sent.", n=count), "success")
    return redirect(_to_batch(batch.id))


# --- creating batches and moving them on --------------------------------------------------------------------------


def _new_batch_form() -> tuple[NewBatchForm, dict[str, int]]:
    """The form with its choices (published rubric versions, policies, the eligible cases' categories, the
    departments), and how many cases are eligible."""
    form = NewBatchForm()
    versions = db.session.scalars(
        sa.select(RubricVersion)
        .where(
            RubricVersion.state == VersionState.PUBLISHED,
            RubricVersion.rubric.has(Rubric.purpose == RubricPurpose.CASE),
        )
        .options(joinedload(RubricVersion.rubric))
        .order_by(RubricVersion.id)
    ).all()
    form.rubric_version.choices = [SelectChoice(str(v.id), f"{v.name_zh} v{v.number}") for v in versions]
    form.policy.choices = [
        SelectChoice(str(p.id), p.name)
        for p in db.session.scalars(sa.select(CompositionPolicy).order_by(CompositionPolicy.name))
    ]
    categories = [
        c
        for c in db.session.scalars(
            sa.select(Case.category).where(Case.status == CaseStatus.ELIGIBLE).distinct()
        )
        if c
    ]
    form.category.choices = [SelectChoice("", _("All"))] + [SelectChoice(c, c) for c in sorted(categories)]
    departments = db.session.execute(
        sa.select(Department.id, Department.name).order_by(Department.code)
    ).all()
    form.department.choices = [SelectChoice("", _("All"))] + [SelectChoice(str(i), n) for i, n in departments]
    running = db.session.execute(
        sa.select(Contract.id, Contract.number, Agency.name)
        .join(Agency, Agency.id == Contract.agency_id)
        .where(Contract.state == ContractState.ACTIVE)
        .order_by(Contract.start_date.desc())
    ).all()
    form.contract.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(i), f"{n} · {a}") for i, n, a in running
    ]
    eligible = db.session.scalar(
        sa.select(sa.func.count()).select_from(Case).where(Case.status == CaseStatus.ELIGIBLE)
    )
    re_reviews = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Appeal)
        .join(Case, Appeal.case_id == Case.id)
        .where(Appeal.state == AppealState.ACCEPTED, Case.status == CaseStatus.ELIGIBLE)
    )
    return form, {"all": eligible or 0, "re_reviews": re_reviews or 0}


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new() -> Any:
    form, eligible = _new_batch_form()
    if not form.validate_on_submit():
        return render_template("evaluation/batches/new.html", form=form, eligible=eligible), (
            400 if request.method == "POST" else 200
        )
    seed = (form.sample_seed.data or "").strip() or (secrets.token_hex(8) if form.sample_size.data else None)
    case_ids = batch_ops.sample_cases(
        batch_ops.eligible_case_ids(
            form.category.data or None,
            int(form.department.data) if form.department.data else None,
            appeals_only=form.appeals_only.data,
        ),
        form.sample_size.data,
        seed or "",
    )
    try:
        batch = batch_ops.create_batch(
            form.name.data.strip(),
            db.get_or_404(RubricVersion, int(form.rubric_version.data)),
            db.get_or_404(CompositionPolicy, int(form.policy.data)),
            from_local(form.opens.data),
            from_local(form.closes.data),
            case_ids,
            seed,
            current_user.id,
            contract=db.session.get(Contract, int(form.contract.data)) if form.contract.data else None,
        )
    except batch_ops.BatchError as exc:  # shown above the form, which keeps what was typed
        mark(form, exc)
        return render_template("evaluation/batches/new.html", form=form, eligible=eligible), 400
    flash(_("Batch created with %(n)d cases.", n=len(case_ids)), "success")
    return redirect(_to_batch(batch.id))


@bp.post("/<int:batch_id>/open-scoring")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_batch)
def open_scoring(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    if ConfirmForm().validate_on_submit():
        batch_ops.open_scoring(batch, confirmed=request.form.get("confirmed") == "yes")
        flash(_("Scoring is open."), "success")
    return redirect(_to_batch(batch.id))


@bp.post("/<int:batch_id>/window")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_batch)
def change_window(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    form = WindowForm()
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return redirect(_to_batch(batch.id))
    told = batch_ops.extend_window(batch, from_local(form.closes.data))
    flash(_("The scoring window now closes at %(when)s.", when=local_datetime(batch.closes_dt)), "success")
    if told:
        flash(
            _(
                "%(n)d members who still have a sheet to submit or an invitation to answer are told by e-mail.",
                n=told,
            ),
            "info",
        )
    return redirect(_to_batch(batch.id))


@bp.post("/<int:batch_id>/close-scoring")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_batch)
def close_scoring(batch_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    if ConfirmForm().validate_on_submit():
        flagged = batch_ops.close_scoring(
            batch,
            current_app.config["EVALUATION_SPREAD_POINTS"],
            early=request.form.get("confirmed") == "yes",
        )
        flash(_("Scoring closed: %(n)d cases go to deliberation.", n=flagged), "success")
    return redirect(_to_batch(batch.id))


@bp.get("/<int:batch_id>/monitor")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def monitor(batch_id: int) -> str:
    """Cases x seats with their states, who is late, counts per member: paged, a fixed number of queries."""
    batch = get_or_403(Batch, batch_id, _visible)
    show = request.args.get("show", "all")
    needle = (request.args.get("q") or "").strip()
    data = monitor_data(batch, show, needle, page_arg(), current_app.config["EVALUATION_PAGE_SIZE"])
    return render_template(
        "evaluation/batches/monitor.html",
        batch=batch,
        page=data.page,
        sheets=data.sheets,
        per_member=data.per_member,
        reminders=data.reminders,
        late=data.late,
        show=show,
        q=needle,
        form=ConfirmForm(),
        organizer=current_user.has_role(Role.ORGANIZER),
    )


@bp.post("/<int:batch_id>/nudge/<int:member_id>")
@roles_required(Role.ORGANIZER)
def nudge(batch_id: int, member_id: int) -> Any:
    batch = get_or_403(Batch, batch_id)
    member = get_or_403(Member, member_id)
    if ConfirmForm().validate_on_submit():
        sent = reminders.remind_member(batch, member, reason="nudge")
        flash(
            _("A reminder was sent to %(name)s.", name=member.name)
            if sent
            else _("%(name)s has nothing left to score.", name=member.name),
            "success" if sent else "info",
        )
    return redirect(url_for(".monitor", batch_id=batch.id))


@bp.post("/<int:batch_id>/finalize")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_batch)
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
    count = settle_ops.finalize(
        batch,
        decisions,
        current_user.id,
        without_silent_outliers=request.form.get("without_silent_outliers") == "yes",
    )
    flash(_("The batch is finalized: %(n)d assessments are ready to publish.", n=count), "success")
    return redirect(_to_batch(batch.id))


@bp.post("/<int:batch_id>/publish")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_batch)
def publish(batch_id: int) -> Any:
    """Every assessment of the finalized batch goes to the main system; asked to confirm, as it cannot be undone."""
    batch = get_or_403(Batch, batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("confirmed") != "yes":
        raise UserError(
            N_("Tick the box to confirm: published assessments cannot be changed, only corrected.")
        )
    count = publish_batch(batch, current_user.id)
    flash(_("Published %(n)d assessments; the main system receives them now.", n=count), "success")
    return redirect(_to_batch(batch.id))


# --- missing sheets: replace a silent member, reopen a seat, withdraw a case below quorum -------------------------


def _seat_batch(seat_id: int) -> str:
    seat = db.session.get(Seat, seat_id)
    return _to_batch(seat.panel.batch_item.batch_id) if seat else url_for("batches.index")


def _deadline(form: SeatDeadlineForm) -> datetime:
    if not form.validate_on_submit():
        raise UserError(N_("Give the new deadline."))
    return from_local(form.deadline.data)


@bp.post("/seats/<int:seat_id>/replace")
@roles_required(Role.ORGANIZER)
@refusal_to(_seat_batch)
def replace_seat(seat_id: int) -> Any:
    """While scoring is open: the silent member's seat goes to the next substitute, with their own deadline."""
    seat = get_or_403(Seat, seat_id)
    replacement = replace_silent(seat, _deadline(SeatDeadlineForm()), current_user.id)
    flash(
        _(
            "%(old)s is replaced by %(new)s, who is invited.",
            old=seat.member.name,
            new=replacement.member.name,
        ),
        "success",
    )
    return redirect(_seat_batch(seat.id))


@bp.post("/seats/<int:seat_id>/reopen")
@roles_required(Role.ORGANIZER)
@refusal_to(_seat_batch)
def reopen_seat(seat_id: int) -> Any:
    """After the window: one member who has not submitted gets until the new deadline (and an e-mail)."""
    seat = get_or_403(Seat, seat_id)
    reopen(seat, _deadline(SeatDeadlineForm()), current_user.id)
    flash(
        _(
            "The seat of %(name)s is open until %(when)s.",
            name=seat.member.name,
            when=local_datetime(seat.deadline_dt),
        ),
        "success",
    )
    return redirect(_seat_batch(seat.id))


def _item_batch(item_id: int) -> str:
    item = db.session.get(BatchItem, item_id)
    return _to_batch(item.batch_id) if item else url_for("batches.index")


@bp.post("/items/<int:item_id>/withdraw")
@roles_required(Role.ORGANIZER)
@refusal_to(_item_batch)
def withdraw_item(item_id: int) -> Any:
    """A case below quorum leaves the batch with a reason and goes back to the eligible cases."""
    item = get_or_403(BatchItem, item_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        length = len(form.reason.data or "")
        if length > REASON_MAX:
            raise UserError(
                N_("Keep the reason within %(max)d characters; it has %(length)d."),
                max=REASON_MAX,
                length=length,
            )
        raise UserError(N_("Say why the case leaves the batch."))
    batch_ops.withdraw(item, form.reason.data, current_user.id)
    flash(_("%(case)s has left the batch and is eligible again.", case=item.case.external_id), "success")
    return redirect(_to_batch(item.batch_id))
