"""A procurement to test with: a published technical rubric, agencies, and a pool of experts who can log in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from evaluation.accounts.models import Role, User
from evaluation.clock import to_local
from evaluation.db import utcnow
from evaluation.extensions import db
from panels.models import Member, MemberRole
from procurement.credit_code import check_character
from procurement.expert_models import ExpertRelation, RelationKind
from procurement.models import Agency, AgencyStatus
from rubrics.models import RubricVersion
from rubrics.operations import BID_TEMPLATE, import_version, load_template
from tests.conftest import make_user

PREFIXES = ("52510107MJ6CX3Q2K", "52510100MJ0123456", "91510100MA61R8KX5", "91510100MA61R8KX6")


@dataclass
class Procurement:
    organizer: User
    rubric: RubricVersion
    agencies: list[Agency]
    blacklisted: Agency
    experts: list[Member]
    recused: Member
    users: dict[int, User] = field(default_factory=dict)  # member id -> login


def agency(name: str, prefix: str, status: AgencyStatus = AgencyStatus.ACTIVE) -> Agency:
    found = Agency(name=name, credit_code=prefix + check_character(prefix), status=status)
    if status != AgencyStatus.ACTIVE:
        found.status_reason = "提供虚假材料"
    db.session.add(found)
    return found


def procurement(n_experts: int = 6) -> Procurement:
    organizer = make_user("office", Role.ORGANIZER)
    rubric = import_version(load_template(BID_TEMPLATE), publish=True)
    agencies = [agency(n, p) for n, p in zip(("明理评价", "公信评估", "蓉城调查"), PREFIXES, strict=False)]
    blacklisted = agency("失信机构", PREFIXES[3], AgencyStatus.BLACKLISTED)
    experts, users = [], {}
    for i in range(n_experts):
        login = make_user(f"expert{i}", Role.MEMBER, display_name=f"专家{i}")
        member = Member(name=f"专家{i}", role=MemberRole.EXPERT, user_id=login.id)
        db.session.add(member)
        db.session.flush()
        experts.append(member)
        users[member.id] = login
    recused = experts[0]
    db.session.add(
        ExpertRelation(
            member_id=recused.id,
            agency=agencies[0],
            kind=RelationKind.EMPLOYED,
            end_date=date.today() - timedelta(days=700),
        )
    )
    db.session.commit()
    return Procurement(organizer, rubric, agencies, blacklisted, experts, recused, users)


def local(delta: timedelta) -> str:
    """A datetime-local value, Beijing time, ``delta`` from now."""
    return to_local(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


def project_form(world: Procurement, **overrides: str) -> dict[str, str]:
    return {
        "code": "CDCG-2027-0001",
        "title": "2027年度不满意件第三方评议服务",
        "budget": "130000",
        "method": "open_tender",
        "price_weight": "30",
        "rubric_version": str(world.rubric.id),
        "expert_count": "5",
        "bid_deadline": local(timedelta(days=1)),
        **overrides,
    }


def technical_form(level: int, **extra: str) -> dict[str, str]:
    """Every criterion of the bid template at ``level`` (0–4); the lowest needs a comment."""
    data = {f"c-T{i}": str(level) for i in range(1, 6)}
    if level == 0:
        data.update({f"c-T{i}-comment": "方案缺失" for i in range(1, 6)})
    return {**data, **extra}


PRICES = (Decimal("70000"), Decimal("100000"), Decimal("120000"))
