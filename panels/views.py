from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from evaluation.access import get_or_403, roles_required
from evaluation.accounts.models import Role
from evaluation.cases.models import Case
from evaluation.extensions import db
from evaluation.forms import ConfirmForm
from evaluation.org.models import Department, Region
from evaluation.text import N_, UserError
from evaluation.web import explain, mark, page_arg, refusal_to
from panels import invitations, pool
from panels.forms import (
    ConflictForm,
    DeclineForm,
    MemberForm,
    MemberImportForm,
    PastAffiliationForm,
    PolicyForm,
    RecusalRequestForm,
    UnavailabilityForm,
)
from panels.models import (
    CompositionPolicy,
    Conflict,
    ConflictSource,
    Member,
    MemberAffiliation,
    MemberRole,
    MemberUnavailability,
    Seat,
)

bp = Blueprint("panels", __name__, url_prefix="/panels")


def _departments_choices() -> list[SelectChoice]:
    rows = db.session.execute(
        sa.select(Department.id, Department.code, Department.name).order_by(Department.code)
    )
    return [SelectChoice("", "—")] + [SelectChoice(str(i), f"{name} ({code})") for i, code, name in rows]


@bp.get("/members")
@roles_required(Role.ORGANIZER)
def index() -> str:
    role = request.args.get("role") or None
    query = sa.select(Member).options(joinedload(Member.affiliation)).order_by(Member.role, Member.name)
    if role in {r.value for r in MemberRole}:
        query = query.where(Member.role == role)
    account = request.args.get("account") or None
    if account == "none":
        query = query.where(Member.user_id.is_(None))
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    codes = {m.district_code for m in page.items if m.district_code}
    districts = dict(
        db.session.execute(sa.select(Region.code, Region.name).where(Region.code.in_(codes))).all()
    )
    return render_template(
        "panels/index.html",
        districts=districts,
        page=page,
        role=role,
        roles=list(MemberRole),
        account=account,
        accounts=pool.account_states(list(page.items)),
    )


# --- invitations -------------------------------------------------------------------------------------------------


def _answer(seat: Seat, kind: str) -> tuple[bool, Any]:
    """Accept or decline a seat; shared by the e-mailed link and the in-app buttons. (done, the form)"""
    if kind == "accept":
        form: Any = ConfirmForm()
        if form.validate_on_submit():
            invitations.accept(seat)
            flash(_("Thank you: you have accepted the seat."), "success")
            return True, form
        return False, form
    form = DeclineForm()
    if form.validate_on_submit():
        replacement = invitations.decline(seat, form.reason.data)
        flash(
            _("You have declined; the seat goes to a substitute.")
            if replacement
            else _("You have declined. The organizer will find someone for the seat."),
            "success",
        )
        return True, form
    return False, form


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@refusal_to(lambda token: url_for("panels.invitation", token=token))
def invitation(token: str) -> Any:
    """The page an invitation e-mail links to; the signed, expiring token stands for the member."""
    try:
        seat = invitations.seat_from_token(token)
    except invitations.InvitationError as exc:
        return render_template("panels/invitation.html", error=explain(exc), seat=None), 400
    decline_form, accept_form = DeclineForm(), ConfirmForm()
    if request.method == "POST":
        kind = "decline" if request.form.get("answer") == "decline" else "accept"
        done, form = _answer(seat, kind)
        if done:
            return redirect(url_for(".invitation", token=token))
        if kind == "decline":
            decline_form = form
        return render_template(
            "panels/invitation.html",
            seat=seat,
            token=token,
            accept_form=accept_form,
            decline_form=decline_form,
            show_decline=True,
        ), 400
    return render_template(
        "panels/invitation.html",
        seat=seat,
        token=token,
        accept_form=accept_form,
        decline_form=decline_form,
        show_decline=request.args.get("answer") == "decline",
    )


def _own_seat(seat_id: int) -> Seat:
    return get_or_403(Seat, seat_id, lambda seat: seat.held_by(current_user))


@bp.post("/seats/<int:seat_id>/accept")
@roles_required(Role.MEMBER)
@refusal_to(lambda seat_id: url_for("batches.my_seats"))
def accept_seat(seat_id: int) -> Any:
    _answer(_own_seat(seat_id), "accept")
    return redirect(url_for("batches.my_seats"))


@bp.post("/seats/<int:seat_id>/decline")
@roles_required(Role.MEMBER)
@refusal_to(lambda seat_id: url_for("batches.my_seats"))
def decline_seat(seat_id: int) -> Any:
    done, _form = _answer(_own_seat(seat_id), "decline")
    if not done:
        flash(_("Please give a reason."), "error")
    return redirect(url_for("batches.my_seats"))


# --- the pool -----------------------------------------------------------------------------------------------------


def _stored_member_form(member: Member) -> MemberForm:
    """The member form as stored, not bound to the request (for GET, and beside another form's errors)."""
    form = MemberForm(formdata=None, obj=member)
    form.affiliation_code.data = member.affiliation.code if member.affiliation else ""
    form.expertise.data = "、".join(member.expertise or [])
    form.role.data = member.role.value
    return form


def _member_page(member: Member | None) -> Any:
    form = _stored_member_form(member) if request.method == "GET" and member else MemberForm()
    if form.validate_on_submit():
        try:
            saved = pool.save_member(member, form.values())
        except pool.PoolError as exc:
            mark(form, exc)
        else:
            flash(_("Member %(name)s saved.", name=saved.name), "success")
            return redirect(url_for(".edit_member", member_id=saved.id))
    return _member_template(member, form, 400 if form.errors else 200)


def _member_template(
    member: Member | None,
    form: MemberForm,
    status: int,
    history_form: PastAffiliationForm | None = None,
    request_form: RecusalRequestForm | None = None,
) -> Any:
    conflicts: Sequence[Conflict] = []
    history: Sequence[MemberAffiliation] = []
    unavailabilities: list[MemberUnavailability] = []
    if member is not None:
        conflicts = db.session.scalars(
            sa.select(Conflict).where(Conflict.member_id == member.id).order_by(Conflict.created_dt.desc())
        ).all()
        unavailabilities = member.unavailabilities
        history = db.session.scalars(
            sa.select(MemberAffiliation)
            .where(MemberAffiliation.member_id == member.id)
            .options(joinedload(MemberAffiliation.department))
            .order_by(MemberAffiliation.end_date.desc())
        ).all()
    choices = _departments_choices()
    request_form = request_form or RecusalRequestForm(formdata=None)
    request_form.department.choices = choices
    history_form = history_form or PastAffiliationForm(formdata=None)
    history_form.department.choices = choices
    return render_template(
        "panels/member.html",
        member=member,
        form=form,
        conflicts=conflicts,
        unavailabilities=unavailabilities,
        history=history,
        history_form=history_form,
        request_form=request_form,
        confirm=ConfirmForm(),
        account=pool.account_states([member])[member.id] if member is not None else None,
    ), status


def _to_member(member_id: int, action: str = "") -> str:
    return url_for("panels.edit_member", member_id=member_id)


@bp.post("/members/<int:member_id>/account/<action>")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_member)
def member_account(member_id: int, action: str) -> Any:
    """Invite a member to the platform (again: the new link replaces the old), or revoke the open invitation."""
    member = db.get_or_404(Member, member_id)
    if action not in ("invite", "revoke") or not ConfirmForm().validate_on_submit():
        abort(400)
    if action == "revoke":
        pool.revoke_platform_invitation(member, current_user.id)
        flash(_("The invitation is revoked: its link no longer works."), "success")
    elif pool.invite_to_platform(member, current_user.id) == "linked":
        flash(
            _(
                "%(name)s already had an account with this e-mail address; it is now linked.",
                name=member.name,
            ),
            "success",
        )
    else:
        flash(
            _("An e-mail with a link to set a password is on its way to %(email)s.", email=member.email),
            "success",
        )
    return redirect(_to_member(member.id))


@bp.route("/members/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new_member() -> Any:
    return _member_page(None)


@bp.route("/members/<int:member_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def edit_member(member_id: int) -> Any:
    return _member_page(db.get_or_404(Member, member_id))


@bp.post("/members/<int:member_id>/affiliations")
@roles_required(Role.ORGANIZER)
def add_past_affiliation(member_id: int) -> Any:
    """Earlier employment: a member stays off the cases of a department they left less than three years ago."""
    member = db.get_or_404(Member, member_id)
    form = PastAffiliationForm()
    form.department.choices = _departments_choices()
    if form.validate_on_submit():
        try:
            pool.add_past_affiliation(
                member,
                db.get_or_404(Department, int(form.department.data)),
                form.start_date.data,
                form.end_date.data,
            )
        except pool.PoolError as exc:
            mark(form, exc)
        else:
            flash(_("The earlier employment is recorded."), "success")
            return redirect(url_for(".edit_member", member_id=member.id))
    flash(_("Please correct the marked fields."), "error")
    return _member_template(member, _stored_member_form(member), 400, history_form=form)


@bp.post("/affiliations/<int:period_id>/delete")
@roles_required(Role.ORGANIZER)
def remove_past_affiliation(period_id: int) -> Any:
    period = db.get_or_404(MemberAffiliation, period_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    member_id = period.member_id
    pool.remove_past_affiliation(period)
    flash(_("The entry is removed."), "success")
    return redirect(url_for(".edit_member", member_id=member_id))


def _conflict_target(form: ConflictForm) -> tuple[Department | None, int | None]:
    department = db.session.get(Department, int(form.department.data)) if form.department.data else None
    case_id = None
    if (form.case_number.data or "").strip():
        case_id = db.session.scalar(
            sa.select(Case.id).where(Case.external_id == form.case_number.data.strip())
        )
        if case_id is None:
            raise pool.PoolError("case_number", N_("No case has this number."))
    return department, case_id


@bp.post("/members/<int:member_id>/recusal-requests")
@roles_required(Role.ORGANIZER)
def record_recusal_request(member_id: int) -> Any:
    """A department's or citizen's written request that a member be recused; the organizer decides it."""
    member = db.get_or_404(Member, member_id)
    form = RecusalRequestForm()
    form.department.choices = _departments_choices()
    if form.validate_on_submit():
        try:
            department, case_id = _conflict_target(form)
            pool.declare_conflict(
                member, form.reason.data, department, case_id, ConflictSource(form.source.data)
            )
        except pool.PoolError as exc:
            mark(form, exc)
        else:
            flash(_("The request is recorded; accept or reject it below."), "success")
            return redirect(url_for(".edit_member", member_id=member.id))
    flash(_("Please correct the marked fields."), "error")
    return _member_template(member, _stored_member_form(member), 400, request_form=form)


def _to_conflicts_member(conflict_id: int, decision: str) -> str:
    conflict = db.session.get(Conflict, conflict_id)
    return url_for(".edit_member", member_id=conflict.member_id) if conflict else url_for(".index")


@bp.post("/conflicts/<int:conflict_id>/<decision>")
@roles_required(Role.ORGANIZER)
@refusal_to(_to_conflicts_member)
def decide_conflict(conflict_id: int, decision: str) -> Any:
    conflict = db.get_or_404(Conflict, conflict_id)
    if decision not in ("accept", "reject") or not ConfirmForm().validate_on_submit():
        abort(400)
    recused = pool.decide_conflict(conflict, decision == "accept", current_user.id)
    if recused:
        flash(
            ngettext(
                "The member is recused from %(num)d seat already drawn; substitutes are invited.",
                "The member is recused from %(num)d seats already drawn; substitutes are invited.",
                recused,
            ),
            "success",
        )
    return redirect(url_for(".edit_member", member_id=conflict.member_id))


# --- a member's own profile -----------------------------------------------------------------------------------------


def _own_member() -> Member:
    member = db.session.scalar(sa.select(Member).where(Member.user_id == current_user.id))
    if member is None:
        abort(404)
    return member


@bp.route("/profile", methods=["GET"])
@roles_required(Role.MEMBER)
def profile() -> Any:
    member = db.session.scalar(sa.select(Member).where(Member.user_id == current_user.id))
    if member is None:
        return render_template("panels/profile.html", member=None)
    return _profile_page(member)


def _profile_page(
    member: Member,
    period_form: UnavailabilityForm | None = None,
    conflict_form: ConflictForm | None = None,
    status: int = 200,
) -> Any:
    """The member's own page; a form that failed comes back with its input and the fields marked."""
    conflict_form = conflict_form or ConflictForm(formdata=None)
    conflict_form.department.choices = _departments_choices()
    conflicts = db.session.scalars(
        sa.select(Conflict).where(Conflict.member_id == member.id).order_by(Conflict.created_dt.desc())
    ).all()
    return render_template(
        "panels/profile.html",
        member=member,
        period_form=period_form or UnavailabilityForm(formdata=None),
        conflict_form=conflict_form,
        conflicts=conflicts,
        confirm=ConfirmForm(),
    ), status


@bp.post("/profile/unavailability")
@roles_required(Role.MEMBER)
def add_unavailability() -> Any:
    member = _own_member()
    form = UnavailabilityForm()
    if form.validate_on_submit():
        try:
            pool.add_unavailability(member, form.start_date.data, form.end_date.data, form.note.data)
        except pool.PoolError as exc:
            mark(form, exc)
        else:
            flash(_("Saved: you will not be drawn for batches in that period."), "success")
            return redirect(url_for(".profile"))
    flash(_("Please correct the marked fields."), "error")
    return _profile_page(member, period_form=form, status=400)


@bp.post("/profile/unavailability/<int:period_id>/delete")
@roles_required(Role.MEMBER)
def delete_unavailability(period_id: int) -> Any:
    member = _own_member()
    period = get_or_403(MemberUnavailability, period_id, lambda p: p.member_id == member.id)
    if ConfirmForm().validate_on_submit():
        pool.remove_unavailability(period)
    return redirect(url_for(".profile"))


@bp.post("/profile/conflicts")
@roles_required(Role.MEMBER)
def declare_conflict() -> Any:
    member = _own_member()
    form = ConflictForm()
    form.department.choices = _departments_choices()
    if form.validate_on_submit():
        try:
            department, case_id = _conflict_target(form)
            pool.declare_conflict(member, form.reason.data, department, case_id)
        except pool.PoolError as exc:
            mark(form, exc)
        else:
            flash(
                _(
                    "Your declaration is recorded: you will not be drawn for those cases, and a seat you already "
                    "hold on one goes to a substitute."
                ),
                "success",
            )
            return redirect(url_for(".profile"))
    flash(_("Please correct the marked fields."), "error")
    return _profile_page(member, conflict_form=form, status=400)


# --- policies -------------------------------------------------------------------------------------------------------


@bp.get("/policies")
@roles_required(Role.ORGANIZER)
def policies() -> str:
    rows = db.session.scalars(sa.select(CompositionPolicy).order_by(CompositionPolicy.name)).all()
    return render_template("panels/policies.html", policies=rows)


def _stored_policy_form(policy: CompositionPolicy) -> PolicyForm:
    """The policy form as stored, with its needs as lines and two blank lines to add more."""
    data: dict[str, Any] = {
        "name": policy.name,
        "panel_size": policy.panel_size,
        "quorum": policy.quorum,
        "prefer_local_township": policy.prefer_local_township,
        "distinct_affiliations": policy.distinct_affiliations,
        "category_needs": [
            {"category": category, "role": role, "count": count}
            for category, roles in sorted((policy.category_needs or {}).items())
            for role, count in roles.items()
        ]
        + [{}, {}],
    }
    for role in pool.PANEL_ROLES:
        data[f"{role}_min"], data[f"{role}_max"] = policy.role_ranges.get(role, [0, 0])
    return PolicyForm(formdata=None, data=data)


def _policy_page(policy: CompositionPolicy | None) -> Any:
    form = _stored_policy_form(policy) if request.method == "GET" and policy is not None else PolicyForm()
    if form.validate_on_submit() and (needs := form.needs()) is not None:
        values = {
            "name": form.name.data.strip(),
            "panel_size": form.panel_size.data,
            "quorum": form.quorum.data or None,
            "role_ranges": {
                r: [getattr(form, f"{r}_min").data, getattr(form, f"{r}_max").data] for r in pool.PANEL_ROLES
            },
            "category_needs": needs,
            "prefer_local_township": form.prefer_local_township.data,
            "distinct_affiliations": form.distinct_affiliations.data,
        }
        try:
            saved = pool.save_policy(policy, values)
        except pool.PoolError as exc:
            mark(form, exc)
        else:
            flash(_("Policy %(name)s saved.", name=saved.name), "success")
            return redirect(url_for(".policies"))
    status = 400 if request.method == "POST" else 200
    return render_template("panels/policy.html", form=form, policy=policy), status


@bp.route("/policies/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new_policy() -> Any:
    return _policy_page(None)


@bp.route("/policies/<int:policy_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def edit_policy(policy_id: int) -> Any:
    return _policy_page(db.get_or_404(CompositionPolicy, policy_id))


# --- import ---------------------------------------------------------------------------------------------------


@bp.route("/members/import", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def import_members() -> Any:
    """Members from CSV/XLSX with Chinese headers; every row checked, all or nothing."""
    form = MemberImportForm()
    if not form.validate_on_submit():
        return render_template("panels/import.html", form=form, errors=[]), 400 if form.errors else 200
    upload = form.file.data
    try:
        imported, problems = pool.import_members(upload.filename or "", upload.read())
    except UserError as exc:
        form.file.errors.append(explain(exc))
        return render_template("panels/import.html", form=form, errors=[]), 400
    if problems:
        errors = [
            {
                "row": p.row,
                "column": pool.column_of(p.field),
                "message": p.message if p.translated else _(p.message, **p.params),
            }
            for p in problems
        ]
        return render_template("panels/import.html", form=form, errors=errors), 400
    flash(_("%(n)d members imported.", n=len(imported)), "success")
    if form.invite.data:
        with_address = [m for m in imported if m.email]
        linked = sum(pool.invite_to_platform(m, current_user.id) == "linked" for m in with_address)
        flash(
            _(
                "Invitations to the platform: %(invited)d sent, %(linked)d linked to existing accounts, %(none)d "
                "members have no e-mail address.",
                invited=len(with_address) - linked,
                linked=linked,
                none=len(imported) - len(with_address),
            ),
            "info",
        )
    return redirect(url_for(".index"))
