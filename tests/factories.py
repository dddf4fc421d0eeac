"""Small worlds built through the real operations, for the tests that need more than a row or two.

Each factory makes just what its tests read: a few departments, the standard rubric, a policy, a handful of
members and cases, a batch taken through the draw, invitations and scoring. Fixtures in each package's
``conftest.py`` call these; seeding the whole demo is left to the demo's own tests and the browser journeys.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from werkzeug.datastructures import MultiDict

from evaluation.accounts.models import Role, User
from evaluation.batches.models import Batch
from evaluation.batches.operations import create_batch, open_scoring
from evaluation.cases.models import CallbackRating, Case, CaseStatus, CaseType, HandlingStep, StepAction
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.org.models import Department, DepartmentKind
from evaluation.scoring import operations as scoring
from panels.draw import open_draw, run_draw
from panels.invitations import accept, invite_batch
from panels.models import CompositionPolicy, Member, MemberRole, Seat
from rubrics.models import RubricVersion
from rubrics.operations import export_version, import_version, load_template

PASSWORD = "correct horse battery"
ROLE_RANGES = {"official": [0, 1], "lawyer": [0, 2], "township_rep": [0, 2], "citizen_rep": [1, 3]}


def department(
    code: str, name: str, kind: DepartmentKind = DepartmentKind.MUNICIPAL, parent: Department | None = None
) -> Department:
    unit = Department(code=code, name=name, kind=kind, parent=parent)
    db.session.add(unit)
    db.session.flush()
    return unit


def user(username: str, *roles: str, **fields: object) -> User:
    account = User(username=username, display_name=fields.pop("display_name", username), **fields)
    account.set_password(PASSWORD)
    for role in roles:
        account.add_role(role)
    db.session.add(account)
    db.session.flush()
    return account


def published_rubric() -> RubricVersion:
    """The standard rubric (程序/内容/目标 and the verdict questions), published."""
    return import_version(load_template(), publish=True)


def cases(
    n: int,
    lead: Department,
    *,
    category: str = "物业纠纷",
    prefix: str = "T",
    status: CaseStatus = CaseStatus.ELIGIBLE,
    start: int = 0,
) -> list[Case]:
    made = []
    for i in range(start, start + n):
        case = Case(
            source="test",
            external_id=f"{prefix}-{i:04d}",
            case_type=CaseType.COMPLAINT,
            lead_department=lead,
            category=category,
            region_code="510107",
            title=f"电梯故障 {i}",
            received_dt=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=i),
            request_text="小区电梯坏了三个月，请联系13800001111。",
            reply_text="已督促物业维修。",
            citizen_name="张三丰",
            citizen_phone="13800001111",
            citizen_address="成都市武侯区玉林街道玉林北路1号",
            callback_rating=CallbackRating.UNSATISFIED,
            callback_reason="电梯还是坏的",
            status=status,
        )
        received = case.received_dt
        case.steps.extend(
            [
                HandlingStep(position=0, action=StepAction.ACCEPT, at_dt=received, note="12345热线受理"),
                HandlingStep(
                    position=1,
                    action=StepAction.DISPATCH,
                    department=lead,
                    at_dt=received + timedelta(hours=1),
                    note="按职责交办，联系人 13900002222",
                ),
            ]
        )
        db.session.add(case)
        made.append(case)
    db.session.flush()
    return made


def answers_form(version: RubricVersion, **overrides: str) -> MultiDict[str, str]:
    """A complete sheet as the scoring form sends it: the middle level of each scale, the first option."""
    data = {}
    for criterion in export_version(version)["criteria"]:
        scale = criterion["scale"]
        data[f"c-{criterion['code']}"] = (
            "2" if scale["type"] == "ordinal" else str(scale["options"][0]["value"])
        )
    data.update(overrides)
    return MultiDict(data)


def submit(seat: Seat, **overrides: str) -> None:
    version = seat.panel.batch_item.batch.rubric_version
    scoring.submit(
        seat,
        scoring.parse_form(export_version(version), answers_form(version, **overrides)),
        None,
        seat.member.user_id,
    )


# What the main system pushes: one complete case object (the API's schema).
CASE = {
    "source": "cd12345",
    "external_id": "CD-2026-000001",
    "channel": "hotline",
    "type": "complaint",
    "category": "物业纠纷",
    "region_code": "510107",
    "received_at": "2026-11-01T09:30:00+08:00",
    "dispatched_at": "2026-11-01T11:00:00+08:00",
    "due_at": "2026-11-11T18:00:00+08:00",
    "replied_at": "2026-11-08T15:00:00+08:00",
    "lead_department": "CD-ZJ",
    "assisting_departments": ["D-510107"],
    "title": "小区电梯长期故障",
    "request_text": "电梯坏了三个月，请回电13812345678。",
    "reply_text": "已督促物业维修。",
    "steps": [
        {"action": "accept", "at": "2026-11-01T09:30:00+08:00", "note": "受理"},
        {"action": "dispatch", "department": "CD-ZJ", "at": "2026-11-01T11:00:00+08:00"},
        {"action": "reply", "department": "CD-ZJ", "at": "2026-11-08T15:00:00+08:00"},
    ],
    "callback": {"at": "2026-11-09T10:00:00+08:00", "rating": "unsatisfied", "reason": "电梯还是坏的"},
    "citizen": {
        "name": "张三丰",
        "phone": "13812345678",
        "id_number": "51010719800101123X",
        "address": "成都市武侯区玉林街道玉林北路12号3栋2单元502",
    },
    "confidential": False,
    "attachments": [{"name": "现场照片.jpg", "url": "https://files.example.gov/a/1.jpg"}],
}


def case_payload(n: int = 1, **overrides: object) -> dict[str, object]:
    """A case as the main system pushes it, numbered ``n``."""
    item = copy.deepcopy(CASE)
    item["external_id"] = f"CD-2026-{n:06d}"
    item.update(overrides)
    return item


@dataclass
class World:
    """A batch and who works on it. Every panel is the same five members (the only active ones), so the member
    with a login ("member") holds a seat on every case; four inactive members with e-mail addresses stand
    aside. Beside the batch: eligible cases (物业纠纷 and 噪音扰民) and one still being received."""

    batch: Batch
    organizer: User
    member_user: User
    member: Member
    panel_members: list[Member]
    spare_members: list[Member] = field(default_factory=list)


def world(stage: str = "scoring", n_cases: int = 6, *, spares: bool = False) -> World:
    """``stage``: "draft" (the batch made, nothing drawn) or "scoring" (drawn with a known seed, every seat
    invited and accepted, scoring open). With ``spares`` the four spare citizen representatives are active:
    the citizen seats then have substitutes (and the member with a login is no longer on every panel)."""
    housing = department("CD-ZJ", "成都市住房和城乡建设局")
    police = department("CD-GA", "成都市公安局")
    district = department("D-510107", "武侯区人民政府", DepartmentKind.DISTRICT)
    street = department("T-510107-01", "玉林街道办事处", DepartmentKind.TOWNSHIP, parent=district)
    organizer = user("organizer", Role.ORGANIZER, email="office@example.gov")
    member_user = user("member", Role.MEMBER)
    version = published_rubric()
    policy = CompositionPolicy(name="默认", panel_size=5, role_ranges=ROLE_RANGES, category_needs={})
    db.session.add(policy)
    roles = [
        ("官员甲", MemberRole.OFFICIAL, police),
        ("律师甲", MemberRole.LAWYER, None),
        ("街道代表甲", MemberRole.TOWNSHIP_REP, street),
        ("群众代表甲", MemberRole.CITIZEN_REP, None),
        ("群众代表乙", MemberRole.CITIZEN_REP, None),
    ]
    panel_members = [
        Member(
            name=name,
            role=role,
            affiliation=unit,
            district_code="510107",
            max_cases=50,
            email=f"m{i}@example.org",
        )
        for i, (name, role, unit) in enumerate(roles)
    ]
    panel_members[3].user_id = member_user.id
    spare = [
        Member(
            name=f"后备{i}",
            role=MemberRole.CITIZEN_REP,
            max_cases=50,
            active=spares,
            email=f"spare{i}@example.org",
        )
        for i in range(4)
    ]
    db.session.add_all([*panel_members, *spare])
    reviewed = cases(n_cases, housing)
    cases(10, housing, prefix="E")
    cases(4, street, category="噪音扰民", prefix="N")
    cases(1, housing, prefix="R", status=CaseStatus.RECEIVED)
    now = utcnow()
    batch = create_batch(
        "测试批次",
        version,
        policy,
        now - timedelta(days=1),
        now + timedelta(days=5),
        [c.id for c in reviewed],
        None,
        organizer.id,
    )
    if stage == "draft":
        db.session.commit()
        return World(batch, organizer, member_user, panel_members[3], panel_members, spare)
    draw = open_draw(batch, organizer.id)
    draw.seed = "test-seed"  # a known seed: the same panels on every run
    draw.seed_hash = hashlib.sha256(draw.seed.encode()).hexdigest()
    run_draw(draw)
    invite_batch(batch)
    for item in batch.items:
        for seat in item.panel.seats:
            accept(seat)
    open_scoring(batch)
    db.session.commit()
    return World(batch, organizer, member_user, panel_members[3], panel_members, spare)


def close_with_every_sheet(world: World) -> None:
    """Every seat of the world's batch submits, the window closes and scoring with it (nothing flagged)."""
    from evaluation.batches.operations import close_scoring

    for item in world.batch.items:
        for seat in item.panel.seats:
            submit(seat)
    world.batch.closes_dt = utcnow() - timedelta(minutes=1)
    close_scoring(world.batch, 100)
