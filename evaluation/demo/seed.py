"""Build the realistic demo data set. Deterministic, and idempotent: everything is found by its natural
key before it is created, so a second run adds nothing.

The cases are made in evaluation.demo.cases, the batches with their panels and sheets in evaluation.demo.batches.
"""

from __future__ import annotations

import random
from typing import Any

import sqlalchemy as sa

from evaluation.accounts.models import Role, User
from evaluation.cases.models import (
    Case,
)
from evaluation.db import utcnow
from evaluation.demo import data
from evaluation.demo import procurement as demo_procurement
from evaluation.demo.batches import build_batches
from evaluation.demo.cases import make_cases, person_name
from evaluation.extensions import db
from evaluation.org.models import Department, DepartmentKind, Region, RegionLevel
from panels.models import CompositionPolicy, Member, MemberRole
from procurement.credit_code import check_character
from procurement.models import (
    Agency,
)
from rubrics.models import Rubric, RubricVersion
from rubrics.operations import import_version, load_template

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed for the demo's users
N_MEMBERS = {
    MemberRole.OFFICIAL: 20,
    MemberRole.LAWYER: 15,
    MemberRole.TOWNSHIP_REP: 20,
    MemberRole.CITIZEN_REP: 25,
}


def _get_or_add(model: type, where: dict[str, Any], **values: Any) -> Any:
    obj = db.session.scalar(sa.select(model).filter_by(**where))
    if obj is None:
        obj = model(**where, **values)
        db.session.add(obj)
    return obj


def _regions() -> None:
    _get_or_add(Region, {"code": data.PROVINCE[0]}, name=data.PROVINCE[1], level=RegionLevel.PROVINCE)
    _get_or_add(
        Region,
        {"code": data.CITY[0]},
        name=data.CITY[1],
        level=RegionLevel.CITY,
        parent_code=data.PROVINCE[0],
    )
    for code, name in data.DISTRICTS:
        _get_or_add(Region, {"code": code}, name=name, level=RegionLevel.DISTRICT, parent_code=data.CITY[0])
    db.session.flush()


def _departments() -> dict[str, Department]:
    for code, name in data.MUNICIPAL:
        _get_or_add(
            Department, {"code": code}, name=name, kind=DepartmentKind.MUNICIPAL, region_code=data.CITY[0]
        )
    for code, name in data.ENTERPRISES:
        _get_or_add(
            Department, {"code": code}, name=name, kind=DepartmentKind.ENTERPRISE, region_code=data.CITY[0]
        )
    for region_code, district in data.DISTRICTS:
        gov = _get_or_add(
            Department,
            {"code": f"D-{region_code}"},
            name=f"{district}人民政府",
            kind=DepartmentKind.DISTRICT,
            region_code=region_code,
        )
        db.session.flush()
        for i, street in enumerate(data.STREETS[region_code], start=1):
            _get_or_add(
                Department,
                {"code": f"T-{region_code}-{i:02d}"},
                name=f"{district}{street}办事处",
                kind=DepartmentKind.TOWNSHIP,
                region_code=region_code,
                parent_id=gov.id,
            )
    db.session.flush()
    return {d.code: d for d in db.session.scalars(sa.select(Department))}


def _rubric() -> RubricVersion:
    spec = load_template()
    rubric = db.session.scalar(sa.select(Rubric).where(Rubric.code == spec["code"]))
    if rubric is not None and rubric.versions:
        return rubric.versions[0]
    return import_version(spec, publish=True)


def _policy() -> CompositionPolicy:
    return _get_or_add(
        CompositionPolicy,
        {"name": "默认组成规则"},
        panel_size=5,
        role_ranges={"official": [0, 1], "lawyer": [0, 2], "township_rep": [0, 2], "citizen_rep": [1, 3]},
        category_needs={c: {"lawyer": 1} for c in data.LEGAL_CATEGORIES},
        prefer_local_township=True,
        distinct_affiliations=True,
    )


def _members(departments: dict[str, Department]) -> list[Member]:
    rng = random.Random("demo-members")
    existing = {m.email: m for m in db.session.scalars(sa.select(Member))}
    municipal = [d for d in departments.values() if d.kind == DepartmentKind.MUNICIPAL]
    townships = [d for d in departments.values() if d.kind == DepartmentKind.TOWNSHIP]
    categories = list(data.CATEGORIES)
    members = []
    for role, count in N_MEMBERS.items():
        for i in range(1, count + 1):
            email = f"{role.value}{i:02d}@demo.example"
            name = person_name(rng)
            affiliation = (
                rng.choice(municipal)
                if role == MemberRole.OFFICIAL
                else (townships[(i - 1) % len(townships)] if role == MemberRole.TOWNSHIP_REP else None)
            )
            district = (
                affiliation.region_code
                if affiliation is not None and role == MemberRole.TOWNSHIP_REP
                else rng.choice(data.DISTRICTS)[0]
            )
            expertise = (
                rng.sample(categories, 2)
                if role != MemberRole.LAWYER
                else rng.sample(data.LEGAL_CATEGORIES, 2)
            )
            phone = f"139{rng.randrange(10**8):08d}"
            member = existing.get(email)
            if member is None:
                member = Member(
                    name=name,
                    role=role,
                    affiliation=affiliation,
                    district_code=district,
                    expertise=expertise,
                    max_cases=15,
                    email=email,
                    phone=phone,
                )
                db.session.add(member)
            members.append(member)
    db.session.flush()
    return members


def _users(
    departments: dict[str, Department], members: list[Member], agency: Agency
) -> list[tuple[str, str]]:
    logins = [
        ("admin", "系统管理员", [Role.ADMIN], None),
        ("organizer", "评议办 李文", [Role.ORGANIZER], None),
        ("member", "", [Role.MEMBER], None),
        ("department", "武侯区人民政府 联络员", [Role.DEPARTMENT], departments["D-510107"]),
        ("agency", "评估中心 项目经理", [Role.AGENCY], None),
    ]
    demo_member = next(m for m in members if m.role == MemberRole.CITIZEN_REP)
    for username, name, roles, department in logins:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=name or demo_member.name, department=department)
            user.set_password(DEMO_PASSWORD)
            for role in roles:
                user.add_role(role)
            db.session.add(user)
        if username == "member":
            db.session.flush()
            demo_member.user_id = user.id
        if username == "agency":
            user.agency = agency
    db.session.flush()
    _member_logins(members)
    return [(username, ", ".join(r.value for r in roles)) for username, _, roles, _ in logins]


def _member_logins(members: list[Member]) -> None:
    """Every panel member can log in, with their e-mail address and the demo's one password, so a tester can
    act as any panelist. (One hash serves all: hashing the same password 80 times would only cost time.)"""
    password_hash = db.session.execute(
        sa.select(User.password_hash).where(User.username == "member")
    ).scalar_one()
    taken = set(db.session.scalars(sa.select(User.username)))
    for member in members:
        if member.user_id is not None or not member.email or member.email in taken:
            continue
        user = User(
            username=member.email, display_name=member.name, email=member.email, password_hash=password_hash
        )
        user.add_role(Role.MEMBER)
        db.session.add(user)
        db.session.flush()
        member.user_id = user.id
    db.session.flush()


def _credit_code(prefix17: str) -> str:
    return prefix17 + check_character(prefix17)


def seed() -> list[str]:
    """Create whatever part of the demo data set is missing; return lines describing the result."""
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    _regions()
    departments = _departments()
    version = _rubric()
    policy = _policy()
    members = _members(departments)
    experts = demo_procurement.experts()
    cases = make_cases(departments, now)
    bidders = demo_procurement.agencies()
    logins = _users(departments, members + experts, bidders[0])
    contract = demo_procurement.procure(bidders, experts, now)
    made = build_batches(cases, version, policy, contract, now)
    demo_procurement.review_after_batches(contract, now)
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    lines = [
        f"demo data ready: {len(departments)} departments, {len(members)} panel members, "
        f"{len(experts)} procurement experts, {count} cases",
        "batches created this run: " + (", ".join(made) if made else "none (already there)"),
        f"logins (password {DEMO_PASSWORD}):",
    ]
    lines += [f"  {username:<12} {roles}" for username, roles in logins]
    lines.append("  and every panel member, with their e-mail address as the username (the pool lists them)")
    return lines
