"""Procurement pages: the overview, purchase projects with their timeline and steps, and bids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.clock import from_local, to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.labels import label
from evaluation.web import mark
from procurement import projects as ops
from procurement import transitions
from procurement.evaluation import bid_results, submitted_scores
from procurement.expert_models import AgencyReview, ExpertDraw, ExpertSeat
from procurement.forms import BidForm, FailForm, FindingForm, ProjectForm
from procurement.models import Agency, Bid, Contract, ProjectState, PurchaseProject
from rubrics.models import Rubric, RubricPurpose, RubricVersion, VersionState

bp = Blueprint("procurement", __name__, url_prefix="/procurement")
M = TypeVar("M")


def button(
    model: type[M], ident: int, act: Callable[[M, int | None], object], done: str, back: Callable[[M], str]
) -> Any:
    """A button that changes one object: load it (or 403/404), check the form's token, act through the
    operation as the current user (a refusal is explained by the request's edge), say it is done, go ``back``."""
    obj = get_or_403(model, ident)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    act(obj, current_user.id)
    flash(done, "success")
    return redirect(back(obj))


@bp.get("/")
@roles_required(Role.ORGANIZER, Role.AGENCY)
def index() -> str:
    """Organizers see every project and contract; an agency user only its own contracts."""
    contracts_query = (
        sa.select(Contract).options(joinedload(Contract.agency)).order_by(Contract.start_date.desc())
    )
    projects: list[PurchaseProject] = []
    own_agency, reviews = None, []
    if current_user.has_role(Role.AGENCY) and current_user.agency_id is not None:
        own_agency = db.session.get(Agency, current_user.agency_id)
        reviews = list(
            db.session.scalars(
                sa.select(AgencyReview)
                .where(AgencyReview.agency_id == current_user.agency_id)
                .order_by(AgencyReview.created_dt.desc())
            )
        )
    if current_user.has_role(Role.ORGANIZER):
        projects = list(
            db.session.scalars(sa.select(PurchaseProject).order_by(PurchaseProject.created_dt.desc()))
        )
    else:
        contracts_query = contracts_query.where(Contract.agency_id == current_user.agency_id)
    contracts = db.session.scalars(contracts_query).all()
    return render_template(
        "procurement/index.html",
        projects=projects,
        contracts=contracts,
        own_agency=own_agency,
        reviews=reviews,
    )


def _rubric_choices(form: ProjectForm) -> None:
    versions = db.session.scalars(
        sa.select(RubricVersion)
        .where(
            RubricVersion.state == VersionState.PUBLISHED,
            RubricVersion.rubric.has(Rubric.purpose == RubricPurpose.BID),
        )
        .order_by(RubricVersion.name_zh, RubricVersion.number)
    ).all()
    form.rubric_version.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(v.id), f"{v.name_zh} v{v.number}") for v in versions
    ]


def _apply(project: PurchaseProject, form: ProjectForm) -> bool:
    code = form.code.data.strip()
    taken = db.session.scalar(sa.select(PurchaseProject.id).where(PurchaseProject.code == code))
    if taken is not None and taken != project.id:
        form.code.errors = [_("Another project has this number.")]
        return False
    project.code, project.title = code, form.title.data.strip()
    project.description = (form.description.data or "").strip() or None
    project.budget, project.method = form.budget.data, form.method.data
    project.price_weight = float(form.price_weight.data)
    project.rubric_version_id = int(form.rubric_version.data) if form.rubric_version.data else None
    project.expert_count = form.expert_count.data
    project.announce_date, project.evaluation_date = form.announce_date.data, form.evaluation_date.data
    project.bid_deadline_dt = from_local(form.bid_deadline.data)
    return True


@bp.route("/projects/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new_project() -> Any:
    form = ProjectForm()
    _rubric_choices(form)
    if form.validate_on_submit():
        project = PurchaseProject(state=ProjectState.PLANNING)
        if _apply(project, form):
            db.session.add(project)
            db.session.flush()
            flash(_("The project is saved. It is announced once its preconditions hold."), "success")
            return redirect(url_for("procurement.project", project_id=project.id))
    return render_template("procurement/project_form.html", form=form, project=None), (
        400 if request.method == "POST" else 200
    )


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def edit_project(project_id: int) -> Any:
    project = get_or_403(PurchaseProject, project_id)
    if not ops.editable(project):
        flash(_("A project is edited only while it is being planned."), "error")
        return redirect(url_for("procurement.project", project_id=project.id))
    form = ProjectForm(obj=project) if request.method == "GET" else ProjectForm()
    _rubric_choices(form)
    if request.method == "GET":
        form.method.data = project.method.value
        form.rubric_version.data = str(project.rubric_version_id or "")
        form.bid_deadline.data = to_local(project.bid_deadline_dt)
    if form.validate_on_submit() and _apply(project, form):
        flash(_("The project is saved."), "success")
        return redirect(url_for("procurement.project", project_id=project.id))
    return render_template("procurement/project_form.html", form=form, project=project), (
        400 if request.method == "POST" else 200
    )


def _bid_form(project: PurchaseProject) -> BidForm:
    form = BidForm()
    bidders = {b.agency_id for b in project.bids}
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.name)).all()
    form.agency.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(a.id), a.name) for a in agencies if a.id not in bidders
    ]
    if request.method == "GET":
        form.submitted.data = to_local(utcnow()).replace(second=0, microsecond=0)
    return form


def _project_page(project: PurchaseProject, bid_form: BidForm | None = None, status: int = 200) -> Any:
    facts = ops.facts(project)
    target = transitions.NEXT.get(project.state.value)
    unmet = [_(m, **p) for m, p in transitions.unmet(target, facts)] if target else []
    draw = db.session.scalar(sa.select(ExpertDraw).where(ExpertDraw.project_id == project.id))
    seats = db.session.scalars(
        sa.select(ExpertSeat)
        .where(ExpertSeat.project_id == project.id)
        .options(selectinload(ExpertSeat.member))
        .order_by(ExpertSeat.id)
    ).all()
    scores = submitted_scores(project)
    return render_template(
        "procurement/project.html",
        project=project,
        facts=facts,
        target=target,
        unmet=unmet,
        minimum_bids=transitions.minimum_bids(project.method.value),
        low=ops.low_flags(project),
        results=bid_results(project),
        draw=draw,
        seats=seats,
        scored={seat_id for seat_id, _bid in scores},
        done_by_seat={s.id: sum(1 for seat_id, _b in scores if seat_id == s.id) for s in seats},
        contract=ops.contract_of(project),
        records=ops.latest_reviews([b.agency_id for b in project.bids]),
        bid_form=bid_form or (_bid_form(project) if project.state in RECORDING else None),
        finding_form=FindingForm(),
        fail_form=FailForm(),
        confirm=ConfirmForm(),
        may_fail=project.state.value in transitions.MAY_FAIL,
    ), status


RECORDING = (ProjectState.ANNOUNCED, ProjectState.BIDDING_CLOSED)


@bp.get("/projects/<int:project_id>")
@roles_required(Role.ORGANIZER)
def project(project_id: int) -> Any:
    project = db.session.scalar(
        sa.select(PurchaseProject)
        .where(PurchaseProject.id == project_id)
        .options(selectinload(PurchaseProject.bids).selectinload(Bid.agency))
    )
    if project is None:
        abort(404)
    return _project_page(project)


@bp.post("/projects/<int:project_id>/advance")
@roles_required(Role.ORGANIZER)
def advance(project_id: int) -> Any:
    project = get_or_403(PurchaseProject, project_id)
    target = transitions.NEXT.get(project.state.value)
    if target is None or ProjectState(target) == ProjectState.CONTRACTED:
        flash(_("This step is taken elsewhere: the contract's clauses confirmed start it."), "error")
        return redirect(url_for("procurement.project", project_id=project.id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ops.advance(project, ProjectState(target), current_user.id)
    flash(_("The project is now: %(state)s.", state=label(target)), "success")
    return redirect(url_for("procurement.project", project_id=project.id))


@bp.post("/projects/<int:project_id>/fail")
@roles_required(Role.ORGANIZER)
def fail(project_id: int) -> Any:
    project = get_or_403(PurchaseProject, project_id)
    form = FailForm()
    if not form.validate_on_submit():
        flash(_("Say why the procurement failed."), "error")
        return redirect(url_for("procurement.project", project_id=project.id))
    ops.fail(project, form.reason.data, current_user.id)
    flash(_("The procurement is recorded as failed."), "success")
    return redirect(url_for("procurement.project", project_id=project.id))


@bp.post("/projects/<int:project_id>/bids")
@roles_required(Role.ORGANIZER)
def record_bid(project_id: int) -> Any:
    project = get_or_403(PurchaseProject, project_id)
    form = _bid_form(project)
    if form.validate_on_submit():
        upload = form.proposal.data
        data = upload.read(ops.MAX_PROPOSAL_BYTES + 1)
        if len(data) > ops.MAX_PROPOSAL_BYTES:
            form.proposal.errors = [_("The file is larger than 20 MB.")]
        else:
            agency = db.session.get(Agency, int(form.agency.data))
            if agency is None:
                abort(400)
            try:
                bid = ops.record_bid(
                    project,
                    agency,
                    form.price.data,
                    from_local(form.submitted.data),
                    (upload.filename or "proposal", data),
                    current_user.id,
                )
            except ops.ProcurementError as exc:
                mark(form, exc)
            else:
                flash(_bid_message(bid), "success" if bid.invalid_reason is None else "error")
                return redirect(url_for("procurement.project", project_id=project.id, _anchor="bids"))
    return _project_page(project, form, 400)


def _bid_message(bid: Bid) -> str:
    if bid.invalid_reason:
        return _("The bid is recorded as invalid: %(reason)s", reason=_(bid.invalid_reason))
    return _("The bid is recorded.")


@bp.post("/bids/<int:bid_id>/finding")
@roles_required(Role.ORGANIZER)
def finding(bid_id: int) -> Any:
    bid = get_or_403(Bid, bid_id)
    form = FindingForm()
    if not form.validate_on_submit():
        flash(_("Write the panel's finding."), "error")
    else:
        ops.record_finding(bid, form.finding.data, current_user.id)
        flash(_("The finding is recorded."), "success")
    return redirect(url_for("procurement.project", project_id=bid.project_id, _anchor="bids"))


def _may_read_proposal(bid: Bid) -> bool:
    if current_user.has_role(Role.ORGANIZER):
        return True
    return (
        db.session.scalar(
            sa.select(ExpertSeat.id)
            .join(ExpertSeat.member)
            .where(ExpertSeat.project_id == bid.project_id, ExpertSeat.member.has(user_id=current_user.id))
        )
        is not None
    )


@bp.get("/bids/<int:bid_id>/proposal")
@roles_required(Role.ORGANIZER, Role.MEMBER)
def proposal(bid_id: int) -> Response:
    """The technical proposal, decrypted for the organizer and the project's experts alone."""
    bid = get_or_403(Bid, bid_id, _may_read_proposal)
    data = db.session.scalar(sa.select(Bid.proposal).where(Bid.id == bid.id))
    if data is None:
        abort(404)
    name = bid.proposal_name or "proposal"
    return Response(
        data,
        mimetype="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
