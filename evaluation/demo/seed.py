"""Build the realistic demo data set. Deterministic, and idempotent: everything is found by its natural
key before it is created, so a second run adds nothing.

Panels here are laid out directly (no recorded draw) because the demo shows results, not a draw to verify;
real batches get their panels from panels' seeded draw.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from evaluation.accounts.models import Role, User
from evaluation.assessments.operations import settle, verdict_of
from evaluation.audit.operations import record
from evaluation.batches.models import Batch, BatchItem, BatchState
from evaluation.cases.models import (
    CallbackRating,
    Case,
    CaseStatus,
    CaseType,
    Channel,
    ExclusionReason,
    HandlingStep,
    StepAction,
)
from evaluation.db import utcnow
from evaluation.demo import data
from evaluation.extensions import db
from evaluation.org.models import Department, DepartmentKind, Region, RegionLevel
from evaluation.scoring.models import Answer, ScoreSheet, SheetRevision, SheetState
from panels.models import CompositionPolicy, Member, MemberRole, Panel, Seat, SeatState
from procurement.credit_code import check_character
from procurement.models import (
    Agency,
    Bid,
    BidState,
    Contract,
    Deliverable,
    Payment,
    ProjectState,
    PurchaseProject,
)
from rubrics.models import Rubric, RubricVersion
from rubrics.operations import export_version, import_version, load_template
from rubrics.scoring import sheet_total, summarise

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed for the demo's users
SOURCE = "demo"
N_CASES = 600
N_MEMBERS = {MemberRole.OFFICIAL: 20, MemberRole.LAWYER: 15, MemberRole.TOWNSHIP_REP: 20, MemberRole.CITIZEN_REP: 25}
PANEL_ROLES = [MemberRole.OFFICIAL, MemberRole.LAWYER, MemberRole.TOWNSHIP_REP, MemberRole.CITIZEN_REP,
               MemberRole.CITIZEN_REP]
BATCHES = [  # name, state, case index range (oldest first), days the window opened before now
    ("不满意件评议 第1批", BatchState.PUBLISHED, range(0, 40), 50),
    ("不满意件评议 第2批", BatchState.FINALIZED, range(40, 80), 25),
    ("不满意件评议 第3批", BatchState.SCORING, range(80, 120), 3),
    ("不满意件评议 第4批", BatchState.DRAFT, range(120, 150), -3),  # ready for a draw, opening in three days
]


def _get_or_add(model: type, where: dict[str, Any], **values: Any) -> Any:
    obj = db.session.scalar(sa.select(model).filter_by(**where))
    if obj is None:
        obj = model(**where, **values)
        db.session.add(obj)
    return obj


def _regions() -> None:
    _get_or_add(Region, {"code": data.PROVINCE[0]}, name=data.PROVINCE[1], level=RegionLevel.PROVINCE)
    _get_or_add(Region, {"code": data.CITY[0]}, name=data.CITY[1], level=RegionLevel.CITY, parent_code=data.PROVINCE[0])
    for code, name in data.DISTRICTS:
        _get_or_add(Region, {"code": code}, name=name, level=RegionLevel.DISTRICT, parent_code=data.CITY[0])
    db.session.flush()


def _departments() -> dict[str, Department]:
    for code, name in data.MUNICIPAL:
        _get_or_add(Department, {"code": code}, name=name, kind=DepartmentKind.MUNICIPAL, region_code=data.CITY[0])
    for code, name in data.ENTERPRISES:
        _get_or_add(Department, {"code": code}, name=name, kind=DepartmentKind.ENTERPRISE, region_code=data.CITY[0])
    for region_code, district in data.DISTRICTS:
        gov = _get_or_add(Department, {"code": f"D-{region_code}"}, name=f"{district}人民政府",
                          kind=DepartmentKind.DISTRICT, region_code=region_code)
        db.session.flush()
        for i, street in enumerate(data.STREETS[region_code], start=1):
            _get_or_add(Department, {"code": f"T-{region_code}-{i:02d}"}, name=f"{district}{street}办事处",
                        kind=DepartmentKind.TOWNSHIP, region_code=region_code, parent_id=gov.id)
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
        CompositionPolicy, {"name": "默认组成规则"}, panel_size=5,
        role_ranges={"official": [0, 1], "lawyer": [0, 2], "township_rep": [0, 2], "citizen_rep": [1, 3]},
        category_needs={c: {"lawyer": 1} for c in data.LEGAL_CATEGORIES},
        prefer_local_township=True, distinct_affiliations=True,
    )


def _person_name(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + "".join(rng.choice(data.GIVEN) for _ in range(rng.choice((1, 2))))


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
            name = _person_name(rng)
            affiliation = rng.choice(municipal) if role == MemberRole.OFFICIAL else (
                townships[(i - 1) % len(townships)] if role == MemberRole.TOWNSHIP_REP else None)
            district = affiliation.region_code if affiliation is not None and role == MemberRole.TOWNSHIP_REP \
                else rng.choice(data.DISTRICTS)[0]
            expertise = rng.sample(categories, 2) if role != MemberRole.LAWYER else rng.sample(data.LEGAL_CATEGORIES, 2)
            phone = f"139{rng.randrange(10**8):08d}"
            member = existing.get(email)
            if member is None:
                member = Member(name=name, role=role, affiliation=affiliation, district_code=district,
                                expertise=expertise, max_cases=15, email=email, phone=phone)
                db.session.add(member)
            members.append(member)
    db.session.flush()
    return members


def _id_number(rng: random.Random, region: str) -> str:
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(50 * 365))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def _cases(departments: dict[str, Department], now: datetime) -> list[Case]:
    """600 unsatisfied cases, oldest first; the first 120 go to the demo batches."""
    rng = random.Random("demo-cases")
    existing = {c.external_id: c for c in db.session.scalars(sa.select(Case).where(Case.source == SOURCE))}
    categories = list(data.CATEGORIES)
    wuhou = [d for d in departments.values() if d.code == "D-510107" or d.code.startswith("T-510107-")]
    types = [CaseType.COMPLAINT] * 5 + [CaseType.HELP] * 3 + [CaseType.CONSULTATION, CaseType.SUGGESTION,
                                                                  CaseType.REPORT]
    channels = [Channel.HOTLINE] * 6 + [Channel.MAYOR_MAILBOX] * 2 + [Channel.SECRETARY_MAILBOX, Channel.WEB,
                                                                         Channel.APP]
    cases = []
    for n in range(N_CASES):
        external_id = f"CD12345-2026-{n + 1:06d}"
        category = rng.choice(categories)
        municipal_code, requests, replies, reasons = data.CATEGORIES[category]
        district_code, district = rng.choice(data.DISTRICTS)
        local = rng.random() < 0.45
        if rng.random() < 0.2:
            lead = rng.choice(wuhou)
            district_code, district = "510107", "武侯区"
        elif local:
            lead = departments[rng.choice([f"D-{district_code}"] + [
                f"T-{district_code}-{i:02d}" for i in range(1, len(data.STREETS[district_code]) + 1)])]
        else:
            lead = departments[municipal_code]
        street = rng.choice(data.STREETS[district_code])
        k = rng.randrange(len(requests))
        title, template = requests[k]
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        id_number = _id_number(rng, district_code)
        fields = {"community": rng.choice(data.COMMUNITIES), "building": rng.randrange(1, 20),
                  "month": rng.randrange(1, 11), "road": rng.choice(data.ROADS), "street": street,
                  "district": district, "phone": phone, "id_number": id_number}
        days_ago = 88 - n * 0.135 + rng.random()  # oldest first, spread over three months
        received = (now - timedelta(days=days_ago)).replace(microsecond=0)
        dispatched = received + timedelta(hours=rng.randrange(1, 6))
        due = dispatched + timedelta(days=10)
        replied = dispatched + timedelta(days=rng.randrange(3, 14))
        callback_at = replied + timedelta(days=rng.randrange(1, 3))
        case_type = rng.choice(types)
        channel = rng.choice(channels)
        citizen_name = _person_name(rng)
        if external_id in existing:
            cases.append(existing[external_id])
            continue
        case = Case(
            source=SOURCE, external_id=external_id, channel=channel, case_type=case_type, category=category,
            region_code=district_code, received_dt=received, dispatched_dt=dispatched, due_dt=due,
            replied_dt=replied, lead_department=lead, title=title,
            request_text=template.format(**fields), reply_text=replies[k % len(replies)].format(**fields),
            callback_dt=callback_at,
            callback_rating=CallbackRating.VERY_UNSATISFIED if rng.random() < 0.3 else CallbackRating.UNSATISFIED,
            callback_reason=rng.choice(reasons), citizen_name=citizen_name, citizen_phone=phone,
            citizen_id_number=id_number,
            citizen_address=f"成都市{district}{street}{fields['road']}{rng.randrange(1, 300)}号"
                            f"{fields['building']}栋{rng.randrange(1, 4)}单元{rng.randrange(1, 30)}0{rng.randrange(1, 5)}",
            confidential=case_type == CaseType.REPORT, status=CaseStatus.RECEIVED,
        )
        if not local and rng.random() < 0.3:
            case.assisting_departments.append(departments[f"D-{district_code}"])
        _add_steps(case, rng, lead, (received, dispatched, due, replied, callback_at))
        db.session.add(case)
        cases.append(case)
    db.session.flush()
    _screen(cases, set(existing))
    return cases


def _add_steps(case: Case, rng: random.Random, lead: Department,
               times: tuple[datetime, datetime, datetime, datetime, datetime]) -> None:
    """The case's handling history, from acceptance to the callback, in time order."""
    received, dispatched, due, replied, callback_at = times
    steps: list[tuple[StepAction, Department | None, datetime, str | None]] = [
        (StepAction.ACCEPT, None, received, "12345热线受理"),
             (StepAction.DISPATCH, lead, dispatched, "按职责交办")]
    if rng.random() < 0.15:
        steps.append((StepAction.RETURN, lead, dispatched + timedelta(hours=20), "申请退回：不属于本单位职责"))
        steps.append((StepAction.REASSIGN, lead, dispatched + timedelta(days=1), "经审核重新交办"))
    steps.append((StepAction.SIGN, lead, dispatched + timedelta(hours=rng.randrange(2, 30)), None))
    if replied > due:
        steps.append((StepAction.EXTEND, lead, due - timedelta(days=1), "申请延期办理"))
    steps.append((StepAction.REPLY, lead, replied, "已答复诉求人"))
    steps.append((StepAction.CALLBACK, None, callback_at, "回访评价：不满意"))
    steps.sort(key=lambda s: s[2])
    for position, (action, dept, at, note) in enumerate(steps):
        case.steps.append(HandlingStep(position=position, action=action, department=dept, at_dt=at, note=note))


def _screen(cases: list[Case], existing: set[str]) -> None:
    """Cases outside the demo batches: recent ones still being screened, a few excluded, the rest eligible."""
    for index, case in enumerate(cases[120:], start=120):
        if case.status != CaseStatus.RECEIVED or case.external_id in existing:
            continue
        if index >= N_CASES - 60:
            continue
        if index % 17 == 0:
            case.status = CaseStatus.EXCLUDED
            case.exclusion_reason = [ExclusionReason.DUPLICATE, ExclusionReason.WITHDRAWN,
                                     ExclusionReason.RESOLVED_ON_REHANDLING][index % 3]
        else:
            case.status = CaseStatus.ELIGIBLE


def _users(departments: dict[str, Department], members: list[Member], agency: Agency) -> list[tuple[str, str]]:
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
    return [(username, ", ".join(r.value for r in roles)) for username, _, roles, _ in logins]


def _credit_code(prefix17: str) -> str:
    return prefix17 + check_character(prefix17)


def _procurement(now: datetime) -> tuple[Agency, Contract]:
    agency = _get_or_add(Agency, {"credit_code": _credit_code("52510107MJ6CX3Q2K")},
                         name="成都明理社会评价研究中心", contact_name="周敏", contact_phone="028-85551234",
                         email="service@mingli.example", address="成都市武侯区人民南路四段1号")
    rival = _get_or_add(Agency, {"credit_code": _credit_code("52510100MJ0123456")}, name="四川公信第三方评估有限公司",
                        contact_name="何杰", contact_phone="028-86661234")
    project = db.session.scalar(sa.select(PurchaseProject).where(PurchaseProject.code == "CDCG-2026-0137"))
    if project is None:
        project = PurchaseProject(
            code="CDCG-2026-0137", title="2026年度12345热线不满意件第三方评议服务采购项目",
            description="采用综合评分法，价格分权重30%。", budget=Decimal("1200000.00"), price_weight=30.0,
            rubric_version=None, state=ProjectState.AWARDED,
            bid_deadline_dt=datetime(2026, 1, 10, 2, 0, tzinfo=UTC),
        )
        db.session.add(project)
        db.session.flush()
        for bidder, price, technical in ((agency, "1080000.00", 62.5), (rival, "1150000.00", 58.0)):
            lowest = Decimal("1080000.00")
            price_score = float(lowest / Decimal(price)) * 30.0
            db.session.add(Bid(project=project, agency=bidder, price=Decimal(price), state=BidState.VALID,
                               technical_score=technical, price_score=round(price_score, 2),
                               total_score=round(technical + price_score, 2)))
        db.session.flush()
        for rank, bid in enumerate(sorted(project.bids, key=lambda b: -(b.total_score or 0)), start=1):
            bid.rank = rank
    contract = _get_or_add(Contract, {"number": "CDZF-2026-0137"}, project=project, agency=agency,
                           amount=Decimal("1080000.00"), start_date=date(2026, 1, 15), end_date=date(2026, 12, 31))
    db.session.flush()
    if not contract.deliverables:
        for month in (3, 6, 9, 12):
            delivered = datetime(2026, month, 28, 8, 0, tzinfo=UTC)
            contract.deliverables.append(Deliverable(
                title=f"2026年第{month // 3}季度不满意件评议报告", due_date=date(2026, month, 30),
                delivered_dt=delivered if delivered < now else None,
                accepted_dt=delivered + timedelta(days=5) if delivered + timedelta(days=5) < now else None))
        contract.payments.append(Payment(amount=Decimal("324000.00"), paid_date=date(2026, 2, 10), note="首付款30%"))
        contract.payments.append(Payment(amount=Decimal("324000.00"), paid_date=date(2026, 7, 15), note="中期款30%"))
    return agency, contract


def _panel_for(rng: random.Random, case: Case, members: list[Member], load: Counter[int],
               forced: Member | None) -> list[tuple[MemberRole, Member]]:
    """A valid demo panel: roles per PANEL_ROLES, no member of the case's departments, distinct affiliations."""
    barred = {case.lead_department_id, case.lead_department.parent_id} | {d.id for d in case.assisting_departments}
    barred.discard(None)
    chosen: list[tuple[MemberRole, Member]] = []
    used_affiliations: set[int] = set()
    for role in PANEL_ROLES:
        if forced is not None and forced.role == role and all(m is not forced for _, m in chosen):
            chosen.append((role, forced))
            continue
        candidates = [
            m for m in members
            if m.role == role and m.affiliation_id not in barred and all(m is not c for _, c in chosen)
            and (m.affiliation_id is None or m.affiliation_id not in used_affiliations)
            and load[m.id] < m.max_cases
        ]
        if role == MemberRole.TOWNSHIP_REP:
            local = [m for m in candidates if m.district_code == case.region_code]
            candidates = local or candidates
        if not candidates:
            raise RuntimeError(f"demo panel for {case.external_id}: no {role.value} left")
        candidates.sort(key=lambda m: (load[m.id], rng.random()))
        member = candidates[0]
        chosen.append((role, member))
        if member.affiliation_id is not None:
            used_affiliations.add(member.affiliation_id)
    for _, member in chosen:
        load[member.id] += 1
    return chosen


def _answers(rng: random.Random, spec: dict[str, Any], quality: float, severity: float) -> dict[str, dict[str, Any]]:
    answers: dict[str, dict[str, Any]] = {}
    for criterion in spec["criteria"]:
        if criterion["role"] != "score":
            continue
        levels = [level["value"] for level in criterion["scale"]["levels"]]
        x = quality + severity + rng.gauss(0, 0.15)
        value = levels[min(len(levels) - 1, max(0, round(x * (len(levels) - 1))))]
        comment = rng.choice(data.LOW_SCORE_COMMENTS) if value <= (criterion["comment_required_at_or_below"] or -1) \
            else None
        answers[criterion["code"]] = {"value": value, "comment": comment}
    total = sheet_total(spec, answers) or 0.0
    verdicts = ["upheld", "partly_upheld", "not_upheld"]
    k = 0 if total < 55 else 1 if total < 75 else 2
    if rng.random() < 0.15:
        k = min(2, max(0, k + rng.choice((-1, 1))))
    verdict = verdicts[k]
    answers["Q1"] = {"value": ["reasonable", "partly_reasonable", rng.choice(["unreasonable", "partly_reasonable"])][k]}
    answers["Q2"] = {"value": ["not_done", "basically_done", "done"][k]}
    answers["Q3"] = {"value": verdict, "comment": rng.choice(data.VERDICT_REASONS[verdict])}
    answers["Q4"] = {"value": ["subjective", "objective", rng.choice(["claim_unreasonable", "citizen"])][k]}
    answers["Q5"] = {"value": [rng.choice(["rehandle", "supervise"]), rng.choice(["supervise", "maintain"]),
                               "maintain"][k]}
    return answers


def _sheet(seat: Seat, spec: dict[str, Any], criteria: dict[str, int], answers: dict[str, dict[str, Any]],
           state: SheetState, at: datetime, author_id: int | None) -> ScoreSheet:
    total = sheet_total(spec, answers)
    sheet = ScoreSheet(seat=seat, state=state, total=total,
                       submitted_dt=at if state == SheetState.SUBMITTED else None, updated_dt=at)
    db.session.add(sheet)  # the sheet points at its seat; nothing cascades it into the session
    for code, answer in answers.items():
        value = answer.get("value")
        sheet.answers.append(Answer(
            criterion_id=criteria[code], value_num=None if isinstance(value, str) else value,
            value_text=value if isinstance(value, str) else None, comment=answer.get("comment")))
    if state == SheetState.SUBMITTED:
        sheet.revisions.append(SheetRevision(number=1, state=state, answers=answers, total=total,
                                             author_id=author_id, created_dt=at))
    return sheet


def _batches(cases: list[Case], members: list[Member], version: RubricVersion, policy: CompositionPolicy,
             contract: Contract, now: datetime) -> list[str]:
    spec = export_version(version)
    criteria = {c.code: c.id for c in version.criteria}
    organizer = db.session.execute(sa.select(User).where(User.username == "organizer")).scalar_one()
    demo_member = db.session.scalar(sa.select(Member).join(User, Member.user_id == User.id)
                                    .where(User.username == "member"))
    made = []
    for name, state, indices, opened_days_ago in BATCHES:
        if db.session.scalar(sa.select(Batch.id).where(Batch.name == name)) is not None:
            continue
        with db.session.no_autoflush:
            _build_batch(name, state, [cases[i] for i in indices], opened_days_ago, members, version, policy,
                         contract, spec, criteria, organizer, demo_member, now)
        made.append(name)
    return made


def _build_batch(name: str, state: BatchState, batch_cases: list[Case], opened_days_ago: int,
                 members: list[Member], version: RubricVersion, policy: CompositionPolicy, contract: Contract,
                 spec: dict[str, Any], criteria: dict[str, int], organizer: User, demo_member: Member | None,
                 now: datetime) -> None:
    rng = random.Random(f"demo-batch-{name}")
    opens = (now - timedelta(days=opened_days_ago)).replace(minute=0, second=0, microsecond=0)
    closes = opens + timedelta(days=10)
    batch = Batch(name=name, state=state, rubric_version=version, policy=policy, contract=contract,
                  opens_dt=opens, closes_dt=closes, created_by_id=organizer.id, created_dt=opens - timedelta(days=2))
    db.session.add(batch)
    if state == BatchState.DRAFT:
        for case in batch_cases:
            batch.items.append(BatchItem(case=case, created_dt=batch.created_dt))
            case.status = CaseStatus.QUEUED
        return
    load: Counter[int] = Counter()
    for position, case in enumerate(batch_cases):
        item = BatchItem(batch=batch, case=case, created_dt=batch.created_dt)
        panel = Panel(batch_item=item, created_dt=batch.created_dt)
        forced = demo_member if position % 3 == 0 else None
        quality = rng.uniform(0.15, 0.95)
        sheets = []
        for seat_no, (role, member) in enumerate(_panel_for(rng, case, members, load, forced)):
            seat = Seat(panel=panel, member=member, role=role, position=seat_no, state=SeatState.ACCEPTED,
                        invited_dt=opens - timedelta(days=1), responded_dt=opens, created_dt=batch.created_dt)
            severity = ((member.id * 7919) % 21 - 10) / 100  # stable per member: some strict, some lenient
            answers = _answers(rng, spec, quality, severity)
            if state == BatchState.SCORING:
                roll = rng.random()
                if member is demo_member:
                    roll = [0.0, 0.7, 0.95][position // 3 % 3]
                if roll < 0.55:
                    _sheet(seat, spec, criteria, answers, SheetState.SUBMITTED,
                           opens + timedelta(hours=rng.randrange(2, 60)), member.user_id)
                elif roll < 0.75:
                    partial = dict(list(answers.items())[:4])
                    _sheet(seat, spec, criteria, partial, SheetState.DRAFT, opens + timedelta(hours=5), None)
            else:
                _sheet(seat, spec, criteria, answers, SheetState.SUBMITTED,
                       opens + timedelta(hours=rng.randrange(2, 200)), member.user_id)
                sheets.append(answers)
        db.session.add(panel)
        if state == BatchState.SCORING:
            case.status = CaseStatus.IN_REVIEW
            continue
        tie = None
        if verdict_of(spec, sheets)[0] is None:
            total = summarise(spec, sheets).total or 0.0
            tie = ("upheld" if total < 55 else "partly_upheld" if total < 75 else "not_upheld",
                   f"评议员意见平票，组织者依据综合得分{total:.1f}分裁定为该结论。")
        assessment = settle(item, spec, sheets, organizer.id, tie, closes + timedelta(days=2))
        case.status = CaseStatus.ASSESSED
        if state == BatchState.PUBLISHED:
            assessment.published_dt = closes + timedelta(days=4)
            case.status = CaseStatus.PUBLISHED
    db.session.flush()
    if state in (BatchState.FINALIZED, BatchState.PUBLISHED):
        batch.finalized_dt = closes + timedelta(days=2)
        record("batch.finalized", "batch", batch.id, {"name": name}, actor_id=organizer.id)
    if state == BatchState.PUBLISHED:
        batch.published_dt = closes + timedelta(days=4)
        record("batch.published", "batch", batch.id, {"name": name, "assessments": len(batch_cases)},
               actor_id=organizer.id)


def seed() -> list[str]:
    """Create whatever part of the demo data set is missing; return lines describing the result."""
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    _regions()
    departments = _departments()
    version = _rubric()
    policy = _policy()
    members = _members(departments)
    cases = _cases(departments, now)
    agency, contract = _procurement(now)
    logins = _users(departments, members, agency)
    made = _batches(cases, members, version, policy, contract, now)
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    lines = [
        f"demo data ready: {len(departments)} departments, {len(members)} panel members, {count} cases",
        "batches created this run: " + (", ".join(made) if made else "none (already there)"),
        f"logins (password {DEMO_PASSWORD}):",
    ]
    lines += [f"  {username:<12} {roles}" for username, roles in logins]
    return lines
