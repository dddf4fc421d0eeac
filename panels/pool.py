"""The member pool, composition policies, availability and conflicts. Operations flush; the request commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from evaluation.accounts import links
from evaluation.accounts.models import AccountToken, Role, TokenPurpose, User
from evaluation.audit.operations import record
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.labels import lazy_label
from evaluation.mailer import external_url, queue_template
from evaluation.org.models import Department
from evaluation.tabular import cell_text, read_table
from evaluation.text import N_, UserError
from panels import invitations
from panels.models import (
    CompositionPolicy,
    Conflict,
    ConflictSource,
    ConflictState,
    Member,
    MemberAffiliation,
    MemberRole,
    MemberUnavailability,
)

PANEL_ROLES = ("official", "lawyer", "township_rep", "citizen_rep")


@dataclass
class RowError:
    """One refused cell of an imported file: its row, the field, and a message id with its parameters (or a
    message already translated, from a form's validators)."""

    row: int
    field: str | None
    message: str
    params: dict[str, Any]
    translated: bool = False


class PoolError(UserError):
    """Bad input for the pool; ``field`` names the form field."""

    def __init__(self, field: str, message: str, **params: Any):
        super().__init__(message, field=field, **params)


def policy_problems(
    panel_size: int, role_ranges: dict[str, list[int]]
) -> list[tuple[str, str, dict[str, Any]]]:
    """Why a composition policy cannot work (field, message id, params); empty when it can."""
    problems: list[tuple[str, str, dict[str, Any]]] = []
    if panel_size < 3 or panel_size % 2 == 0:
        problems.append(("panel_size", N_("A panel has an odd number of members, at least 3."), {}))
    for role, (lo, hi) in role_ranges.items():
        if lo > hi:
            problems.append((f"{role}_max", N_("The maximum is below the minimum."), {}))
    if sum(lo for lo, _ in role_ranges.values()) > panel_size:
        problems.append(("panel_size", N_("The minimums add up to more than the panel size."), {}))
    if sum(hi for _, hi in role_ranges.values()) < panel_size:
        problems.append(("panel_size", N_("The maximums add up to less than the panel size."), {}))
    official_max = role_ranges.get("official", [0, 0])[1]
    if official_max * 3 > panel_size:
        problems.append(
            (
                "official_max",
                N_(
                    "At least two thirds of a panel are not government officials: "
                    "at most %(n)d officials on a panel of %(size)d."
                ),
                {"n": panel_size // 3, "size": panel_size},
            )
        )
    return problems


def save_policy(policy: CompositionPolicy | None, values: dict[str, Any]) -> CompositionPolicy:
    problems = policy_problems(values["panel_size"], values["role_ranges"])
    if values.get("quorum") and values["quorum"] > values["panel_size"]:
        problems.append(("quorum", N_("The quorum cannot be larger than the panel."), {}))
    for category, roles in sorted((values.get("category_needs") or {}).items()):
        for role, count in sorted(roles.items()):
            most = values["role_ranges"].get(role, [0, 0])[1]
            if count > most:
                problems.append(
                    (
                        "category_needs",
                        N_("%(category)s: %(n)d %(role)s is more than the %(max)d a panel may have."),
                        {"category": category, "role": lazy_label(role), "n": count, "max": most},
                    )
                )
        if sum(roles.values()) > values["panel_size"]:
            problems.append(
                (
                    "category_needs",
                    N_("%(category)s needs more members than a panel has."),
                    {"category": category},
                )
            )
    if problems:
        field, message, params = problems[0]
        raise PoolError(field, message, **params)
    clash = db.session.scalar(sa.select(CompositionPolicy.id).where(CompositionPolicy.name == values["name"]))
    if clash is not None and (policy is None or clash != policy.id):
        raise PoolError("name", N_("A policy with this name already exists."))
    created = policy is None
    if policy is None:
        policy = CompositionPolicy()
        db.session.add(policy)
    changed = {k: v for k, v in values.items() if created or getattr(policy, k) != v}
    for key, value in values.items():
        setattr(policy, key, value)
    db.session.flush()
    if changed:  # a policy decides who sits on the panels drawn under it
        record("policy.created" if created else "policy.changed", "policy", policy.id, changed)
    return policy


def save_member(
    member: Member | None, values: dict[str, Any], departments: Mapping[str, Department] | None = None
) -> Member:
    """Create (``member`` None) or update a member. ``departments`` (code -> department) spares an import the
    lookup per row."""
    department = None
    if values.get("affiliation_code"):
        code = values["affiliation_code"]
        department = (
            departments.get(code)
            if departments is not None
            else db.session.scalar(sa.select(Department).where(Department.code == code))
        )
        if department is None:
            raise PoolError(
                "affiliation_code",
                N_("No department has the code %(code)s."),
                code=values["affiliation_code"],
            )
    created = member is None
    before = {} if member is None else _audited(member)
    if member is None:
        member = Member()
        db.session.add(member)
    elif member.affiliation_id is not None and member.affiliation != department:
        # Leaving a department starts the years in which its cases stay off limits (FORMER_EMPLOYMENT_YEARS).
        member.past_affiliations.append(
            MemberAffiliation(department_id=member.affiliation_id, end_date=to_local(utcnow()).date())
        )
    member.name, member.role = values["name"], MemberRole(values["role"])
    member.affiliation = department
    member.district_code = values.get("district_code") or None
    member.expertise = values.get("expertise") or []
    member.max_cases, member.active = values["max_cases"], values.get("active", True)
    member.email, member.phone = values.get("email") or None, values.get("phone") or None
    db.session.flush()
    after = _audited(member)
    changed = {
        key: "changed" if key in CONTACT and value else value
        for key, value in after.items()
        if before.get(key) != value
    }
    if created or changed:
        # Role, department and district decide which panels a member may sit on and which cases are off limits.
        record("member.created" if created else "member.changed", "member", member.id, changed)
    return member


CONTACT = {"email", "phone"}  # the audit records that they changed, not what they say


def _audited(member: Member) -> dict[str, Any]:
    return {
        "name": member.name,
        "role": member.role.value if member.role else None,
        "affiliation": member.affiliation.code if member.affiliation else None,
        "district": member.district_code,
        "expertise": list(member.expertise or []),
        "max_cases": member.max_cases,
        "active": member.active,
        "email": member.email,
        "phone": member.phone,
    }


def add_past_affiliation(
    member: Member, department: Department, start: date | None, end: date
) -> MemberAffiliation:
    """Record earlier employment, for the recusal of the departments a member left less than three years ago."""
    if start is not None and end < start:
        raise PoolError("end_date", N_("The last day is before the first."))
    if end > to_local(utcnow()).date():
        raise PoolError(
            "end_date",
            N_("Earlier employment ends today at the latest; the current one is the affiliation above."),
        )
    period = MemberAffiliation(department_id=department.id, start_date=start, end_date=end)
    member.past_affiliations.append(period)
    db.session.flush()
    record(
        "member.past_affiliation",
        "member",
        member.id,
        {"department": department.code, "end": end.isoformat()},
    )
    return period


def remove_past_affiliation(period: MemberAffiliation) -> None:
    """Strike an entry recorded by mistake (logged: it narrows recusal)."""
    record(
        "member.past_affiliation_removed",
        "member",
        period.member_id,
        {
            "department": period.department.code,
            "end": period.end_date.isoformat() if period.end_date else None,
        },
    )
    db.session.delete(period)
    db.session.flush()


def add_unavailability(member: Member, start: date, end: date, note: str | None) -> MemberUnavailability:
    if end < start:
        raise PoolError("end_date", N_("The last day is before the first."))
    period = MemberUnavailability(start_date=start, end_date=end, note=note or None)
    member.unavailabilities.append(period)
    db.session.flush()
    return period


def declare_conflict(
    member: Member,
    reason: str,
    department: Department | None = None,
    case_id: int | None = None,
    source: ConflictSource = ConflictSource.DECLARED,
) -> Conflict:
    """A member's own declaration takes effect at once; a department's or citizen's request waits for the
    organizer's decision."""
    if department is None and case_id is None:
        raise PoolError("department", N_("Name a department or a case."))
    if not reason.strip():
        raise PoolError("reason", N_("Please give a reason."))
    state = ConflictState.ACCEPTED if source == ConflictSource.DECLARED else ConflictState.PENDING
    conflict = Conflict(
        member_id=member.id,
        department_id=department.id if department else None,
        case_id=case_id,
        source=source,
        state=state,
        reason=reason.strip(),
    )
    db.session.add(conflict)
    db.session.flush()
    record(
        "conflict.recorded",
        "conflict",
        conflict.id,
        {"member": member.id, "source": source.value, "state": state.value},
    )
    invitations.recuse_for(conflict)
    return conflict


def decide_conflict(conflict: Conflict, accept: bool, user_id: int) -> int:
    """Accept or reject a recusal request; an accepted one recuses the member's open seats it names (returns
    how many)."""
    if conflict.state != ConflictState.PENDING:
        raise PoolError("state", N_("This request has already been decided."))
    conflict.state = ConflictState.ACCEPTED if accept else ConflictState.REJECTED
    conflict.decided_by_id, conflict.decided_dt = user_id, utcnow()
    record("conflict.decided", "conflict", conflict.id, {"state": conflict.state.value}, actor_id=user_id)
    db.session.flush()
    return len(invitations.recuse_for(conflict))


# --- importing members ----------------------------------------------------------------------------------------

MEMBER_COLUMNS = {
    "姓名": "name",
    "身份": "role",
    "所在单位编码": "affiliation_code",
    "区划代码": "district_code",
    "擅长领域": "expertise",
    "每批最多件数": "max_cases",
    "电子邮箱": "email",
    "电话": "phone",
}
ROLE_WORDS = {
    "政府工作人员": "official",
    "律师代表": "lawyer",
    "乡镇（街道）代表": "township_rep",
    "街道代表": "township_rep",
    "群众代表": "citizen_rep",
    "评标专家": "expert",
}


def column_of(field: str | None) -> str:
    """The Chinese header of a member field, as the file has it."""
    return next((header for header, name in MEMBER_COLUMNS.items() if name == field), field or "")


def import_members(filename: str, data: bytes) -> tuple[list[Member], list[RowError]]:
    """Members from CSV/XLSX with the Chinese headers above. Every row goes through the member page's own form
    (one set of rules and messages) and ``save_member``; returns (the members added, every row's errors). With
    errors, the caller keeps nothing (the request rolls back): all or nothing."""
    from werkzeug.datastructures import MultiDict

    from panels.forms import MemberForm

    rows, _encoding = read_table(filename, data)
    headers = [cell_text(h) for h in rows[0]]
    unknown = [h for h in headers if h and h not in MEMBER_COLUMNS]
    if unknown or "姓名" not in headers or "身份" not in headers:
        raise PoolError("file", N_("Use the columns %(columns)s."), columns="、".join(MEMBER_COLUMNS))
    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    known = {
        (email or "").lower(): name
        for email, name in db.session.execute(
            sa.select(Member.email, Member.name).where(Member.email.is_not(None))
        )
    }
    row_of_email: dict[str, int] = {}
    errors: list[RowError] = []
    imported: list[Member] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {MEMBER_COLUMNS[h]: cell_text(v) for h, v in zip(headers, row, strict=False) if h}
        if not any(cells.values()):
            continue
        email = (cells.get("email") or "").strip().lower()
        if email in known:
            errors.append(
                RowError(
                    number,
                    "email",
                    N_("%(name)s already has this e-mail address; edit that member instead."),
                    {"name": known[email]},
                )
            )
            continue
        if email and email in row_of_email:
            errors.append(
                RowError(
                    number,
                    "email",
                    N_("Row %(row)d has the same e-mail address."),
                    {"row": row_of_email[email]},
                )
            )
            continue
        if email:
            row_of_email[email] = number
        cells["role"] = ROLE_WORDS.get(cells.get("role", ""), cells.get("role", ""))
        cells["max_cases"] = cells.get("max_cases") or "15"
        form = MemberForm(formdata=MultiDict({**cells, "active": "y"}), meta={"csrf": False})
        if not form.validate():
            errors.extend(
                RowError(number, field, " ".join(map(str, messages)), {}, translated=True)
                for field, messages in form.errors.items()
            )
            continue
        try:
            imported.append(save_member(None, form.values(), departments))
        except PoolError as exc:
            errors.append(RowError(number, exc.field, exc.message, exc.params))
    if imported and not errors:
        record("members.imported", "file", filename, {"members": [m.id for m in imported]})
    return imported, errors


def remove_unavailability(period: MemberUnavailability) -> None:
    """A member takes back an absence they had declared: they may be drawn on those days again."""
    db.session.delete(period)
    db.session.flush()


# --- platform accounts for pool members --------------------------------------------------------------------------


def invite_to_platform(member: Member, by: int | None) -> str:
    """Give a pool member a login: an e-mail with a link to set a password ("invited"), or, when an account
    with their e-mail address already exists, that account is linked to them ("linked"), not duplicated."""
    if member.user_id is not None:
        raise PoolError("email", N_("%(name)s already has an account."), name=member.name)
    if not member.email:
        raise PoolError(
            "email", N_("%(name)s has no e-mail address; add one to invite them."), name=member.name
        )
    existing = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == member.email.lower()))
    if existing is not None:
        if db.session.scalar(sa.select(Member.id).where(Member.user_id == existing.id)) is not None:
            raise PoolError("email", N_("The account with this e-mail address belongs to another member."))
        member.user_id = existing.id
        existing.add_role(Role.MEMBER)
        record("member.account_linked", "member", member.id, {"user": existing.id}, actor_id=by)
        db.session.flush()
        return "linked"
    token, secret = links.issue(TokenPurpose.INVITATION, member.email, member_id=member.id, by=by)
    queue_template(
        member.email,
        "panels/emails/account_invitation",
        (N_("Your account on the evaluation platform"), {}),
        member_name=member.name,
        link=external_url("accounts.password", token=secret),
        expires=to_local(token.expires_dt).strftime("%Y-%m-%d %H:%M"),
    )
    record("member.account_invited", "member", member.id, {}, actor_id=by)
    return "invited"


def revoke_platform_invitation(member: Member, by: int | None) -> None:
    if not links.revoke(TokenPurpose.INVITATION, member_id=member.id):
        raise PoolError("email", N_("%(name)s has no open invitation."), name=member.name)
    record("member.account_invitation_revoked", "member", member.id, {}, actor_id=by)


def open_account(token: AccountToken, password: str) -> User:
    """The invited member sets their password: their account is made (username: their e-mail address) and
    linked to them, and the link is spent."""
    member = db.session.get(Member, token.member_id) if token.member_id is not None else None
    if member is None or member.user_id is not None:
        raise links.LinkError(
            N_(
                "This link has already been used. Log in with your password, or ask the office "
                "for a new link."
            )
        )
    username = token.email.lower()
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise links.LinkError(
            N_("An account with this e-mail address exists already; ask the office to link it.")
        )
    user = User(username=username, display_name=member.name, email=token.email)
    user.add_role(Role.MEMBER)
    links.use(token, user, password)  # sets the password, then writes the account
    member.user_id = user.id
    record("member.account_opened", "member", member.id, {"user": user.id})
    db.session.flush()
    return user


@dataclass
class AccountState:
    """Where a member stands with the platform: "none", "invited" (with the link's expiry), "never" (an account
    never used) or "active" (with the last login)."""

    state: str
    when: datetime | None = None


def account_states(members: list[Member]) -> dict[int, AccountState]:
    """Each member's account state, in two queries however many members."""
    user_ids = [m.user_id for m in members if m.user_id is not None]
    logins = (
        dict(db.session.execute(sa.select(User.id, User.last_login_dt).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    invited = dict(
        db.session.execute(
            sa.select(AccountToken.member_id, sa.func.max(AccountToken.expires_dt))
            .where(
                AccountToken.member_id.in_([m.id for m in members if m.user_id is None]),
                AccountToken.purpose == TokenPurpose.INVITATION,
                AccountToken.used_dt.is_(None),
                AccountToken.revoked_dt.is_(None),
                AccountToken.expires_dt > utcnow(),
            )
            .group_by(AccountToken.member_id)
        ).all()
    )
    states = {}
    for m in members:
        if m.user_id is not None:
            last = logins.get(m.user_id)
            states[m.id] = AccountState("active", last) if last else AccountState("never")
        elif m.id in invited:
            states[m.id] = AccountState("invited", invited[m.id])
        else:
            states[m.id] = AccountState("none")
    return states
