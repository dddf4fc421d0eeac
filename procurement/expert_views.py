"""The expert panel's pages: the organizer draws it and records its session; each expert scores every valid bid
on their own page, blind to the others, and confirms the report; the evaluation report as a page and a PDF."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.clock import from_local, to_local
from evaluation.db import writes_on_read
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.scoring.operations import parse_form
from panels.models import Member, MemberRole
from procurement import evaluation as ev
from procurement import report as report_doc
from procurement.expert_models import BidScore, ExpertDraw, ExpertRelation, ExpertSeat
from procurement.forms import HonorariumSessionForm, RelationForm
from procurement.models import Agency, Bid, BidState, PurchaseProject
from procurement.views import bp, button
from rubrics.models import RubricVersion


def _to_project(project_id: int) -> Any:
    return redirect(url_for("procurement.project", project_id=project_id, _anchor="experts"))


def _experts_url(obj: PurchaseProject | ExpertDraw) -> str:
    project_id = obj.id if isinstance(obj, PurchaseProject) else obj.project_id
    return url_for("procurement.project", project_id=project_id, _anchor="experts")


@bp.post("/projects/<int:project_id>/draw")
@roles_required(Role.ORGANIZER)
def open_draw(project_id: int) -> Any:
    done = _("The draw is open; its seed's fingerprint is shown. Run it to seat the experts.")
    return button(PurchaseProject, project_id, ev.open_draw, done, _experts_url)


@bp.post("/draws/<int:expert_draw_id>/run")
@roles_required(Role.ORGANIZER)
def run_draw(expert_draw_id: int) -> Any:
    draw = get_or_403(ExpertDraw, expert_draw_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ev.run_draw(draw, current_user.id)
    if ev.draw_failure(draw):
        flash(_("Too few experts without a relation to a bidder: the panel could not be seated."), "error")
    else:
        flash(_("The experts are drawn."), "success")
    return _to_project(draw.project_id)


@bp.post("/draws/<int:expert_draw_id>/discard")
@roles_required(Role.ORGANIZER)
def discard_draw(expert_draw_id: int) -> Any:
    done = _("The draw is set aside; add experts to the pool and draw again.")
    return button(ExpertDraw, expert_draw_id, ev.redraw, done, _experts_url)


@bp.get("/draws/<int:expert_draw_id>")
@roles_required(Role.ORGANIZER)
def draw(expert_draw_id: int) -> str:
    """The draw's record: seed and its hash, the problem, the result, who was excluded and why, the replay."""
    draw = get_or_403(ExpertDraw, expert_draw_id)
    names = dict(
        db.session.execute(sa.select(Member.id, Member.name).where(Member.role == MemberRole.EXPERT)).all()
    )
    verified = ev.verify_draw(draw) if draw.status != "pending" else None
    return render_template("procurement/draw.html", draw=draw, names=names, verified=verified)


@bp.route("/seats/<int:expert_seat_id>/session", methods=["POST"])
@roles_required(Role.ORGANIZER)
def session_times(expert_seat_id: int) -> Any:
    """The expert's recorded time at the evaluation (签到/签退), from which the honorarium is computed."""
    seat = get_or_403(ExpertSeat, expert_seat_id)
    form = HonorariumSessionForm()
    if not form.validate_on_submit():
        flash(_("Enter when the expert arrived and left."), "error")
    elif form.checked_out.data <= form.checked_in.data:
        flash(_("The expert leaves after arriving."), "error")
    else:
        seat.checked_in_dt, seat.checked_out_dt = (
            from_local(form.checked_in.data),
            from_local(form.checked_out.data),
        )
        flash(_("The session's times are recorded."), "success")
    return _to_project(seat.project_id)


@bp.post("/seats/<int:expert_seat_id>/replace")
@roles_required(Role.ORGANIZER)
def replace_expert(expert_seat_id: int) -> Any:
    """An expert who cannot sit gives the seat to the draw's next substitute, with the reason recorded."""
    seat = get_or_403(ExpertSeat, expert_seat_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    substitute = ev.replace_expert(seat, request.form.get("reason") or "", current_user.id)
    flash(_("%(name)s takes the seat.", name=substitute.name), "success")
    return _to_project(seat.project_id)


# ---------------------------------------------------------------------------------------------- experts


def _own_seat(seat_id: int) -> ExpertSeat:
    seat = db.session.get(ExpertSeat, seat_id)
    if seat is None:
        abort(404)
    if seat.member.user_id != current_user.id:
        abort(403)
    return seat


@bp.get("/evaluations")
@roles_required(Role.MEMBER)
def my_evaluations() -> str:
    """The expert's own bid evaluations, each with how many bids they have scored."""
    seats = db.session.scalars(
        sa.select(ExpertSeat)
        .join(ExpertSeat.member)
        .where(Member.user_id == current_user.id)
        .options(selectinload(ExpertSeat.project).selectinload(PurchaseProject.bids).selectinload(Bid.agency))
        .order_by(ExpertSeat.id.desc())
    ).all()
    done = dict(
        db.session.execute(
            sa.select(BidScore.seat_id, sa.func.count())
            .where(BidScore.seat_id.in_([s.id for s in seats]), BidScore.submitted_dt.is_not(None))
            .group_by(BidScore.seat_id)
        ).all()
    )
    return render_template("procurement/my_evaluations.html", seats=seats, done=done, confirm=ConfirmForm())


def _letters(project: PurchaseProject) -> dict[int, str]:
    """Valid bids are shown to experts as 投标人 A, B, C… in the order they were recorded."""
    return {
        b.id: chr(ord("A") + i) for i, b in enumerate(b for b in project.bids if b.state == BidState.VALID)
    }


def _score_page(
    seat: ExpertSeat, bid: Bid, answers: dict[str, Any], errors: dict[str, list[str]], status: int
) -> Any:
    project = seat.project
    version = db.session.scalar(
        sa.select(RubricVersion)
        .where(RubricVersion.id == project.rubric_version_id)
        .options(selectinload(RubricVersion.criteria))
    )
    score = ev.score_for(seat, bid)
    return render_template(
        "procurement/score.html",
        seat=seat,
        bid=bid,
        project=project,
        letter=_letters(project).get(bid.id, "?"),
        version=version,
        answers=answers,
        errors=errors,
        score=score,
        points=ev.technical_points(project),
        confirm=ConfirmForm(),
    ), status


def _seat_bid(seat_id: int, bid_id: int) -> tuple[ExpertSeat, Bid]:
    seat = _own_seat(seat_id)
    bid = db.session.get(Bid, bid_id)
    if bid is None or bid.project_id != seat.project_id or bid.state != BidState.VALID:
        abort(404)
    return seat, bid


@bp.get("/seats/<int:expert_seat_id>/bids/<int:bid_id>")
@writes_on_read  # the first open starts the expert's score of the bid
@roles_required(Role.MEMBER)
def score(expert_seat_id: int, bid_id: int) -> Any:
    seat, bid = _seat_bid(expert_seat_id, bid_id)
    return _score_page(seat, bid, ev.score_for(seat, bid).answers, {}, 200)


@bp.post("/seats/<int:expert_seat_id>/bids/<int:bid_id>")
@roles_required(Role.MEMBER)
def save_score(expert_seat_id: int, bid_id: int) -> Any:
    seat, bid = _seat_bid(expert_seat_id, bid_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    spec = ev.spec_of(seat.project)
    answers = parse_form(spec, request.form)
    submit = request.form.get("action") == "submit"
    if submit and request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that you submit your final score."), "error")
        return _score_page(seat, bid, dict(answers), {}, 400)
    try:
        ev.save_score(seat, bid, dict(answers), submit=submit, user_id=current_user.id)
    except ev.ScoreError as exc:
        errors = {code: [_(m, **p) for m, p in items] for code, items in exc.errors.items()}
        flash(_(exc.message), "error")
        return _score_page(seat, bid, dict(answers), errors, 400)  # a 400 rolls the request back
    if submit:
        flash(
            _("Your score of bidder %(letter)s is submitted.", letter=_letters(seat.project)[bid.id]),
            "success",
        )
        return redirect(url_for("procurement.my_evaluations"))
    flash(_("Draft saved."), "success")
    return redirect(url_for("procurement.score", expert_seat_id=seat.id, bid_id=bid.id))


@bp.post("/seats/<int:expert_seat_id>/step-down")
@roles_required(Role.MEMBER)
def step_down(expert_seat_id: int) -> Any:
    """The expert declares a relation with a bidder (or another reason to step down) before scoring; a substitute
    from the draw takes the seat and the declaration recuses them from these bidders' projects."""
    seat = _own_seat(expert_seat_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reason = (request.form.get("reason") or "")[:300]
    ev.replace_expert(seat, reason, current_user.id, declared_by_expert=True)
    flash(_("You have stepped down; a substitute takes your seat."), "success")
    return redirect(url_for("procurement.my_evaluations"))


@bp.post("/seats/<int:expert_seat_id>/confirm")
@roles_required(Role.MEMBER)
def confirm_report(expert_seat_id: int) -> Any:
    seat = _own_seat(expert_seat_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    dissent = request.form.get("dissent") or ""
    if len(dissent) > 4000:
        flash(_("Write the dissent in at most 4,000 characters."), "error")
        return redirect(url_for("procurement.my_evaluations"))
    ev.confirm(seat, current_user.id, dissent)
    flash(_("You have confirmed the evaluation report."), "success")
    return redirect(url_for("procurement.my_evaluations"))


# --------------------------------------------------------------------------------------------- report


@bp.get("/projects/<int:project_id>/report")
@roles_required(Role.ORGANIZER)
def report(project_id: int) -> str:
    project = get_or_403(PurchaseProject, project_id)
    return render_template("procurement/report.html", project=project, **report_doc.context(project))


@bp.get("/projects/<int:project_id>/report.pdf")
@roles_required(Role.ORGANIZER)
def report_pdf(project_id: int) -> Response:
    project = get_or_403(PurchaseProject, project_id)
    name = f"{project.code}-" + _("evaluation report") + ".pdf"
    return Response(
        report_doc.pdf(project),
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


# ------------------------------------------------------------------------------------------ relations


def _relation_form() -> RelationForm:
    form = RelationForm()
    experts = db.session.scalars(
        sa.select(Member).where(Member.role == MemberRole.EXPERT).order_by(Member.name)
    ).all()
    form.member.choices = [SelectChoice("", "—")] + [SelectChoice(str(m.id), m.name) for m in experts]
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.name)).all()
    form.agency.choices = [SelectChoice("", "—")] + [SelectChoice(str(a.id), a.name) for a in agencies]
    return form


@bp.route("/experts", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def experts() -> Any:
    """The experts' relations to agencies, which recuse them from those agencies' projects for three years."""
    form = _relation_form()
    if form.validate_on_submit():
        if form.end_date.data and form.start_date.data and form.end_date.data < form.start_date.data:
            form.end_date.errors = [_("The end lies before the start.")]
        else:
            db.session.add(
                ExpertRelation(
                    member_id=int(form.member.data),
                    agency_id=int(form.agency.data),
                    kind=form.kind.data,
                    start_date=form.start_date.data,
                    end_date=form.end_date.data,
                    note=(form.note.data or "").strip() or None,
                )
            )
            flash(_("The relation is recorded."), "success")
            return redirect(url_for("procurement.experts"))
    relations = db.session.scalars(
        sa.select(ExpertRelation)
        .options(selectinload(ExpertRelation.member), selectinload(ExpertRelation.agency))
        .order_by(ExpertRelation.id.desc())
    ).all()
    experts = db.session.scalars(
        sa.select(Member).where(Member.role == MemberRole.EXPERT).order_by(Member.name)
    ).all()
    return render_template(
        "procurement/experts.html", form=form, relations=relations, experts=experts, to_local=to_local
    ), (400 if request.method == "POST" else 200)
