"""The demo's procurement, played through the real operations with the clock at each step: agencies, a pool of
experts (one recused by a past employment), the 2026 purchase project announced in December 2025, three bids (one
abnormally low), the expert panel drawn, scoring blind and confirming the report, the award, the contract with its
personal-information clauses, under which the demo's batches run, milestones paid on acceptance and the experts'
honoraria. Idempotent: a second run finds the project and adds nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from evaluation.accounts.models import User
from evaluation.db import clock_at
from evaluation.demo.cases import person_name
from evaluation.extensions import db
from panels.models import Member, MemberRole
from procurement import contracts, payroll
from procurement import evaluation as ev
from procurement import projects as ops
from procurement.agency_record import review
from procurement.credit_code import check_character
from procurement.expert_models import AgencyReview, ExpertRelation, ExpertSeat, RelationKind
from procurement.models import Agency, BidState, Contract, ProjectState, PurchaseProject
from rubrics.models import Rubric
from rubrics.operations import BID_TEMPLATE, import_version, load_template

PROJECT_CODE = "CDCG-2026-0137"
CONTRACT_NUMBER = "CDZF-2026-0137"
N_EXPERTS = 7
AGENCIES = (  # name, credit code without its check character, contact, phone, price, technical level (0–4)
    ("成都明理社会评价研究中心", "52510107MJ6CX3Q2K", "周敏", "028-85551234", "1080000.00", 4),
    ("四川公信第三方评估有限公司", "52510100MJ0123456", "何杰", "028-86661234", "1150000.00", 3),
    ("蓉城民意调查事务所", "91510100MA61R8KX5", "邓丽", "028-87771234", "780000.00", 1),
)
MILESTONES = (
    ("合同签订首付款", date(2026, 1, 31), Decimal("324000.00")),
    ("第一季度评议报告", date(2026, 3, 31), Decimal("162000.00")),
    ("第二季度评议报告", date(2026, 6, 30), Decimal("162000.00")),
    ("第三季度评议报告", date(2026, 9, 30), Decimal("162000.00")),
    ("年度评议报告及验收", date(2026, 12, 31), Decimal("270000.00")),
)


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def agencies() -> list[Agency]:
    found = []
    for name, prefix, contact, phone, _price, _level in AGENCIES:
        code = prefix + check_character(prefix)
        agency = db.session.scalar(sa.select(Agency).where(Agency.credit_code == code))
        if agency is None:
            agency = Agency(name=name, credit_code=code, contact_name=contact, contact_phone=phone)
            db.session.add(agency)
        found.append(agency)
    found[0].qualifications = "民办非企业单位；社会调查与评估专业人员12名；近三年承担市、区两级评议项目5项。"
    found[0].address, found[0].email = "成都市武侯区人民南路四段1号", "service@mingli.example"
    db.session.flush()
    return found


def experts() -> list[Member]:
    """Seven procurement experts who can log in like every member (expert01@demo.example …)."""
    rng = random.Random("demo-experts")
    found = []
    for i in range(1, N_EXPERTS + 1):
        email = f"expert{i:02d}@demo.example"
        member = db.session.scalar(sa.select(Member).where(Member.email == email))
        if member is None:
            member = Member(
                name=person_name(rng),
                role=MemberRole.EXPERT,
                expertise=["社会评价", "政府购买服务"],
                max_cases=5,
                email=email,
                phone=f"138{rng.randrange(10**8):08d}",
            )
            db.session.add(member)
        found.append(member)
    db.session.flush()
    return found


def _bid_rubric() -> int:
    rubric = db.session.scalar(sa.select(Rubric).where(Rubric.code == load_template(BID_TEMPLATE)["code"]))
    if rubric is not None:
        return rubric.versions[-1].id
    return import_version(load_template(BID_TEMPLATE), publish=True).id


def procure(bidders: list[Agency], pool: list[Member], now: datetime) -> Contract:
    """The whole procurement once; afterwards the contract it signed."""
    existing = db.session.scalar(sa.select(Contract).where(Contract.number == CONTRACT_NUMBER))
    if existing is not None:
        return existing
    organizer = db.session.execute(sa.select(User.id).where(User.username == "organizer")).scalar_one()
    if not db.session.scalar(sa.select(ExpertRelation.id).limit(1)):
        db.session.add(
            ExpertRelation(
                member_id=pool[0].id,
                agency_id=bidders[0].id,
                kind=RelationKind.EMPLOYED,
                start_date=date(2021, 3, 1),
                end_date=date(2024, 6, 30),
                note="曾任该中心项目主管",
            )
        )
    with clock_at(_utc(date(2025, 12, 20), 1)):
        project = PurchaseProject(
            code=PROJECT_CODE,
            title="2026年度12345热线不满意件第三方评议服务采购项目",
            description="采用公开招标、综合评分法，价格分30分，技术分70分。",
            budget=Decimal("1200000.00"),
            price_weight=30.0,
            rubric_version_id=_bid_rubric(),
            state=ProjectState.PLANNING,
            announce_date=date(2025, 12, 20),
            bid_deadline_dt=_utc(date(2026, 1, 12), 2),
            evaluation_date=date(2026, 1, 12),
        )
        db.session.add(project)
        db.session.flush()
        ops.advance(project, ProjectState.ANNOUNCED, organizer)
    for i, (agency, row) in enumerate(zip(bidders, AGENCIES, strict=True)):
        moment = _utc(date(2026, 1, 8), 2 + i)
        with clock_at(moment):
            proposal = f"{row[0]} 技术响应文件（演示）".encode()
            ops.record_bid(
                project, agency, Decimal(row[4]), moment, ("技术响应文件.pdf", proposal), organizer
            )
    _evaluate(project, organizer)
    return _contract(project, organizer, now)


def _evaluate(project: PurchaseProject, organizer: int) -> None:
    levels = {agency_name: level for agency_name, *_rest, level in AGENCIES}
    with clock_at(_utc(date(2026, 1, 12), 2, 5)):
        ops.advance(project, ProjectState.BIDDING_CLOSED, organizer)
        ops.advance(project, ProjectState.EVALUATING, organizer)
        ev.run_draw(ev.open_draw(project, organizer), organizer)
    seats = db.session.scalars(
        sa.select(ExpertSeat).where(ExpertSeat.project_id == project.id).order_by(ExpertSeat.id)
    ).all()
    rng = random.Random("demo-bid-scores")
    for n, seat in enumerate(seats):
        seat.checked_in_dt, seat.checked_out_dt = (
            _utc(date(2026, 1, 12), 1, 30),
            _utc(date(2026, 1, 12), 7, 45),
        )
        for m, bid in enumerate(b for b in project.bids if b.state == BidState.VALID):
            base = levels[bid.agency.name]
            answers = {}
            for code in ("T1", "T2", "T3", "T4", "T5"):
                level = max(0, min(4, base + rng.choice((-1, 0, 0, 0, 1))))
                answers[code] = {"value": level, "comment": "方案缺失，无法评价" if level == 0 else None}
            with clock_at(_utc(date(2026, 1, 12), 3, 10 * n + m)):
                ev.save_score(seat, bid, answers, submit=True, user_id=seat.member.user_id)
        with clock_at(_utc(date(2026, 1, 12), 6, n)):
            ev.confirm(seat, seat.member.user_id)
    low = next(b for b in project.bids if ops.low_flags(project).get(b.id))
    with clock_at(_utc(date(2026, 1, 12), 6, 30)):
        ops.record_finding(
            low,
            "经要求书面说明，该机构报价未包含律师及群众代表劳务费，成本构成不完整，评标委员会认为存在不能诚信履约的风险，"
            "技术评分已据实体现。",
            organizer,
        )
        ops.advance(project, ProjectState.AWARDED, organizer)
    with clock_at(_utc(date(2026, 1, 13), 2)):
        for row in payroll.compute(project, organizer):
            payroll.approve(row, organizer)


def _contract(project: PurchaseProject, organizer: int, now: datetime) -> Contract:
    terms = contracts.Terms(
        number=CONTRACT_NUMBER,
        amount=Decimal("1080000.00"),
        start_date=date(2026, 1, 15),
        end_date=date(2026, 12, 31),
        unit_price=Decimal("270.00"),
        case_quota=4000,
        pi_purpose="仅为不满意件第三方评议之目的处理诉求人及承办人员信息，不得用于其他任何目的。",
        pi_period="自合同生效之日起至2026年12月31日止。",
        pi_safeguards="数据仅在评议平台内处理，不得下载或复制；人员签署保密承诺；访问留痕；个人信息加密存储。",
        pi_return_date=date(2027, 1, 31),
        milestones=list(MILESTONES),
    )
    with clock_at(_utc(date(2026, 1, 14), 2)):
        contract = contracts.sign(project, terms, organizer)
        contracts.confirm_clauses(contract, organizer)
    for milestone in contract.deliverables:
        accepted = _utc(milestone.due_date + timedelta(days=3), 2)
        if accepted > now:
            break
        with clock_at(accepted):
            contracts.accept_milestone(milestone, organizer)
            payment = contracts.request_payment(contract, milestone, organizer)
        if _utc(milestone.due_date + timedelta(days=5), 2) <= now:
            with clock_at(_utc(milestone.due_date + timedelta(days=5), 2)):
                contracts.approve_payment(payment, organizer)
        if milestone.due_date + timedelta(days=10) <= now.date():
            with clock_at(_utc(milestone.due_date + timedelta(days=10), 2)):
                contracts.mark_paid(payment, milestone.due_date + timedelta(days=10), organizer)
    return contract


def review_after_batches(contract: Contract, now: datetime) -> None:
    """The agency's record, once its batches have run: reviewed on the measured KPIs at the latest milestone."""
    if db.session.scalar(sa.select(AgencyReview.id).where(AgencyReview.contract_id == contract.id)):
        return
    organizer = db.session.execute(sa.select(User.id).where(User.username == "organizer")).scalar_one()
    with clock_at(now):
        review(contract, "按合同约定对履约情况进行阶段性考评。", organizer, complaints=0)
