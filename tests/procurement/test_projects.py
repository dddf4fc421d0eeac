"""A purchase project through the pages: planned, announced, bids recorded (invalid ones with their reason, a low
one flagged), bidding closed, the experts drawn with a recusal, blind scores, the award to the first ranked, the
contract with its personal-information clauses, milestones, payments and honoraria."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import sqlalchemy as sa

from evaluation.accounts.models import Role
from evaluation.audit.models import AuditEvent
from evaluation.db import utcnow
from evaluation.extensions import db
from procurement.expert_models import AgencyReview, BidScore, ExpertDraw, ExpertRelation, ExpertSeat
from procurement.models import (
    AgencyStatus,
    Bid,
    BidState,
    Contract,
    ContractState,
    Honorarium,
    Payment,
    PaymentState,
    ProjectState,
    PurchaseProject,
)
from tests.conftest import make_user
from tests.procurement.world import PRICES, local, procurement, project_form, technical_form
from tests.procurement.world import agency as make_agency


def _project() -> PurchaseProject:
    return db.session.scalars(sa.select(PurchaseProject)).one()


def _bid(client, project, agency, price, **extra):
    data = {
        "agency": str(agency.id),
        "price": str(price),
        "submitted": local(timedelta(hours=-2)),
        "proposal": (io.BytesIO(b"%PDF-1.4 technical proposal of " + agency.name.encode()), "方案.pdf"),
        **extra,
    }
    return client.post(
        f"/procurement/projects/{project.id}/bids", data=data, content_type="multipart/form-data"
    )


def _advance(client, project):
    return client.post(f"/procurement/projects/{project.id}/advance", follow_redirects=True)


def _to_evaluation(client, auth, world):
    """Planned, announced, three valid bids and one invalid, bidding closed (the clock moved past the deadline)."""
    auth.login("office")
    assert client.post("/procurement/projects/new", data=project_form(world)).status_code == 302
    project = _project()
    assert "公告" in _advance(client, project).get_data(as_text=True)
    for agency, price in zip(world.agencies, PRICES, strict=True):
        assert _bid(client, project, agency, price).status_code == 302
    _bid(client, project, world.blacklisted, "95000")
    project.bid_deadline_dt = utcnow() - timedelta(minutes=5)
    db.session.commit()
    _advance(client, project)
    _advance(client, project)
    db.session.refresh(project)
    assert project.state == ProjectState.EVALUATING
    return project


def test_each_step_states_its_preconditions(app_ctx, client, auth) -> None:
    world = procurement()
    auth.login("office")
    bare = project_form(world, rubric_version="", expert_count="4", price_weight="35")
    assert client.post("/procurement/projects/new", data=bare).status_code == 302
    project = _project()
    page = _advance(client, project).get_data(as_text=True)
    assert "请选择已发布的技术评分标准" in page and "评标委员会人数应为不少于 5 的单数" in page
    assert "价格分值应在 10 至 30 分之间" in page
    assert _project().state == ProjectState.PLANNING
    edit = f"/procurement/projects/{project.id}/edit"
    assert client.post(edit, data=project_form(world)).status_code == 302
    _advance(client, project)
    assert _project().state == ProjectState.ANNOUNCED
    early = _advance(client, project).get_data(as_text=True)
    assert "投标截止时间前不能截止投标" in early and _project().state == ProjectState.ANNOUNCED
    assert (
        client.get(edit, follow_redirects=True).status_code == 200
        and _project().state == ProjectState.ANNOUNCED
    )


def test_too_few_valid_bids_keep_the_evaluation_closed_and_the_project_can_fail(
    app_ctx, client, auth
) -> None:
    world = procurement()
    auth.login("office")
    client.post("/procurement/projects/new", data=project_form(world))
    project = _project()
    _advance(client, project)
    _bid(client, project, world.agencies[0], "100000")
    over = _bid(client, project, world.agencies[1], "150000", **{"submitted": local(timedelta(hours=-1))})
    assert "报价超出预算" in client.get(over.headers["Location"]).get_data(as_text=True)
    project.bid_deadline_dt = utcnow() - timedelta(minutes=5)
    db.session.commit()
    _advance(client, project)
    refused = _advance(client, project).get_data(as_text=True)
    assert "有效投标 1 家，该采购方式至少需要 3 家" in refused
    assert _project().state == ProjectState.BIDDING_CLOSED
    assert client.post(f"/procurement/projects/{project.id}/fail", data={"reason": ""}).status_code == 302
    assert _project().state == ProjectState.BIDDING_CLOSED
    client.post(f"/procurement/projects/{project.id}/fail", data={"reason": "有效投标不足三家，依法废标"})
    assert _project().state == ProjectState.FAILED and _project().failed_reason.startswith("有效投标不足")


def test_bids_invalid_flagged_and_the_proposal_encrypted(app_ctx, client, auth) -> None:
    world = procurement()
    project = _to_evaluation(client, auth, world)
    bids = {b.agency.name: b for b in project.bids}
    assert bids["失信机构"].state == BidState.INVALID
    assert bids["失信机构"].invalid_reason == "The agency is blacklisted."
    page = client.get(f"/procurement/projects/{project.id}").get_data(as_text=True)
    assert "该机构已被列入黑名单" in page and page.count('<p class="flag">') == 1
    stored = db.session.execute(
        sa.text("SELECT proposal_enc FROM bids WHERE id = :id"), {"id": bids["明理评价"].id}
    )
    assert b"technical proposal" not in bytes(stored.scalar_one())
    download = client.get(f"/procurement/bids/{bids['明理评价'].id}/proposal")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-1.4 technical proposal")
    again = _bid(client, project, world.agencies[0], "80000")
    assert again.status_code in (302, 400)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 4


def _score_everything(client, auth, world, project, levels):
    seats = db.session.scalars(sa.select(ExpertSeat).where(ExpertSeat.project_id == project.id)).all()
    valid = [b for b in project.bids if b.state == BidState.VALID]
    for seat in seats:
        auth.logout()
        auth.login(world.users[seat.member_id].username)
        for bid in valid:
            form = technical_form(levels[bid.agency.name], action="submit", confirm="yes")
            answer = client.post(f"/procurement/seats/{seat.id}/bids/{bid.id}", data=form)
            assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
        dissent = {"dissent": "蓉城调查的方案更切合本市实际，不同意排序"} if seat == seats[-1] else {}
        assert client.post(f"/procurement/seats/{seat.id}/confirm", data=dissent).status_code == 302
    auth.logout()
    auth.login("office")
    return seats


def test_the_experts_are_drawn_score_blind_and_the_first_ranked_wins(app_ctx, client, auth, runner) -> None:
    world = procurement()
    project = _to_evaluation(client, auth, world)
    assert client.post(f"/procurement/projects/{project.id}/draw").status_code == 302
    draw = db.session.scalars(sa.select(ExpertDraw)).one()
    assert draw.status == "pending" and draw.seed_hash
    client.post(f"/procurement/draws/{draw.id}/run")
    db.session.refresh(draw)
    seated = {s.member_id for s in db.session.scalars(sa.select(ExpertSeat))}
    assert len(seated) == 5 and world.recused.id not in seated
    assert draw.exclusions == [
        {"member": world.recused.id, "agency": "明理评价", "kind": "employed", "detail": None}
    ]
    record = client.get(f"/procurement/draws/{draw.id}").get_data(as_text=True)
    assert "重放：抽取结果完全一致" in record
    refused = _advance(client, project).get_data(as_text=True)
    assert "尚有 15 项技术评分未提交" in refused and "5 名专家尚未确认评审报告" in refused
    assert "请记录评标委员会对 1 份报价明显偏低投标的意见" in refused
    # An expert sees only their own seat: another's is refused.
    seats = db.session.scalars(sa.select(ExpertSeat).order_by(ExpertSeat.id)).all()
    auth.logout()
    auth.login(world.users[seats[0].member_id].username)
    bid = next(b for b in project.bids if b.state == BidState.VALID)
    assert client.get(f"/procurement/seats/{seats[1].id}/bids/{bid.id}").status_code == 403
    incomplete = client.post(
        f"/procurement/seats/{seats[0].id}/bids/{bid.id}",
        data={"c-T1": "3", "action": "submit", "confirm": "yes"},
    )
    refusal = incomplete.get_data(as_text=True)
    assert (
        incomplete.status_code == 400
        and "部分评价未作答或需要填写说明" in refusal
        and 'class="criterion has-error" id="criterion-T2"' in refusal
    )
    assert db.session.scalar(sa.select(BidScore.submitted_dt).where(BidScore.bid_id == bid.id)) is None
    auth.logout()
    auth.login("office")
    _score_everything(client, auth, world, project, {"明理评价": 2, "公信评估": 3, "蓉城调查": 4})
    low = next(b for b in project.bids if b.agency.name == "明理评价")
    client.post(
        f"/procurement/bids/{low.id}/finding", data={"finding": "已要求说明，成本构成合理，不影响履约"}
    )
    awarded = _advance(client, project).get_data(as_text=True)
    assert "授标" in awarded or "已中标" in awarded
    db.session.refresh(project)
    assert project.state == ProjectState.AWARDED
    shown = json.loads(runner.invoke(args=["procurement", "show", project.code, "--json"]).output)
    first = shown["bids"][0]
    assert project.awarded_bid.agency.name == first["agency"] and first["rank"] == 1
    report = client.get(f"/procurement/projects/{project.id}/report").get_data(as_text=True)
    for bid_row in shown["bids"]:
        if bid_row["valid"]:
            assert bid_row["total"] in report and bid_row["technical"] in report
    assert "ICC(2,1)" in report and "Kendall" in report
    assert "蓉城调查的方案更切合本市实际，不同意排序" in report and report.count("不同意排序") == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BidScore)) == 15


def test_contract_clauses_milestones_payments_and_honoraria(app_ctx, client, auth) -> None:
    world = procurement()
    project = _to_evaluation(client, auth, world)
    client.post(f"/procurement/projects/{project.id}/draw")
    client.post(f"/procurement/draws/{db.session.scalars(sa.select(ExpertDraw)).one().id}/run")
    seats = _score_everything(client, auth, world, project, {"明理评价": 2, "公信评估": 3, "蓉城调查": 4})
    low = next(b for b in project.bids if b.agency.name == "明理评价")
    client.post(f"/procurement/bids/{low.id}/finding", data={"finding": "成本构成合理"})
    _advance(client, project)
    contract_url = f"/procurement/projects/{project.id}/contract"
    terms = {
        "number": "CDZF-2027-0001",
        "amount": "120000",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "unit_price": "60",
        "case_quota": "2000",
        "milestones": "首付款 | 2027-01-15 | 36000\n中期 | 2027-06-30 | 48000",
        "pi_purpose": "仅用于不满意件评议",
        "pi_period": "合同期内",
        "pi_safeguards": "加密存储，最小授权",
        "pi_return_date": "2028-01-31",
    }
    missing = client.post(contract_url, data={**terms, "pi_safeguards": ""})
    assert missing.status_code == 400 and "个人信息条款均为必填" in missing.get_data(as_text=True)
    wrong = client.post(contract_url, data={**terms, "milestones": "首付款 | 2027-13-01 | 1"})
    assert "第 1 行" in wrong.get_data(as_text=True)
    assert client.post(contract_url, data=terms).status_code == 302
    contract = db.session.scalars(sa.select(Contract)).one()
    assert contract.state == ContractState.DRAFT and contract.agency_id == project.awarded_bid.agency_id
    assert _project().state == ProjectState.AWARDED
    client.post(f"/procurement/contracts/{contract.id}/confirm")
    db.session.refresh(contract)
    assert contract.state == ContractState.ACTIVE and _project().state == ProjectState.CONTRACTED
    first = contract.deliverables[0]
    early = client.post(f"/procurement/milestones/{first.id}/payment", follow_redirects=True)
    assert "节点验收后方可申请付款" in early.get_data(as_text=True)
    client.post(f"/procurement/milestones/{first.id}/accept")
    client.post(f"/procurement/milestones/{first.id}/payment")
    payment = db.session.scalars(sa.select(Payment)).one()
    assert payment.state == PaymentState.REQUESTED and payment.amount == 36000
    client.post(f"/procurement/payments/{payment.id}/approve")
    client.post(f"/procurement/payments/{payment.id}/paid", data={"paid_on": "2027-01-20"})
    db.session.refresh(payment)
    assert payment.state == PaymentState.PAID and str(payment.paid_date) == "2027-01-20"
    # Honoraria from the recorded session: 09:00–15:30 is 6.5 hours: 500 + 2.5 × 100 = 750 on a weekday.
    for seat in seats:
        client.post(
            f"/procurement/seats/{seat.id}/session",
            data={"checked_in": "2027-01-06T09:00", "checked_out": "2027-01-06T15:30"},
        )
    client.post(f"/procurement/projects/{project.id}/honoraria")
    rows = db.session.scalars(sa.select(Honorarium)).all()
    assert (
        len(rows) == 5 and {str(r.amount) for r in rows} == {"750.00"} and {r.minutes for r in rows} == {390}
    )
    client.post(f"/procurement/honoraria/{rows[0].id}/approve")
    export = client.get("/procurement/honoraria.csv")
    assert export.status_code == 200 and "750.00" in export.get_data(as_text=True)
    assert client.get("/procurement/honoraria.xlsx").status_code == 200
    review = client.post(
        f"/procurement/contracts/{contract.id}/review", data={"complaints": "1"}, follow_redirects=True
    )
    assert "机构履约记录已增加本次考评" in review.get_data(as_text=True)
    kept = db.session.scalars(sa.select(AgencyReview)).one()
    # Nothing under the contract yet: quota and agreement are not measured; one complaint costs a fifth of its 10.
    assert kept.kpis["quota_delivered"]["points"] == "0.00" and kept.kpis["complaints"]["points"] == "8.00"
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {
        "procurement.contract_signed",
        "procurement.clauses_confirmed",
        "procurement.payment_paid",
    } <= actions


def test_a_suspension_counts_only_within_its_period(app_ctx, client, auth) -> None:
    world = procurement()
    ended, running = world.agencies[1], world.agencies[2]
    for agency, until in (
        (ended, date.today() - timedelta(days=2)),
        (running, date.today() + timedelta(days=30)),
    ):
        agency.status, agency.status_reason, agency.status_until = AgencyStatus.SUSPENDED, "逾期未整改", until
    db.session.commit()
    auth.login("office")
    client.post("/procurement/projects/new", data=project_form(world))
    project = _project()
    _advance(client, project)
    _bid(client, project, ended, "100000")
    _bid(client, project, running, "110000")
    states = {b.agency.name: (b.state, b.invalid_reason) for b in _project().bids}
    assert states == {
        "公信评估": (BidState.VALID, None),
        "蓉城调查": (BidState.INVALID, "The agency is suspended."),
    }


def test_the_agency_s_record_is_shown_to_it_and_beside_its_next_bid(app_ctx, client, auth) -> None:
    world = procurement()
    contract = Contract(
        number="HT-1",
        agency=world.agencies[0],
        amount=1,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    db.session.add(contract)
    db.session.flush()
    db.session.add(
        AgencyReview(
            agency_id=world.agencies[0].id, contract_id=contract.id, kpis={}, score=86.5, note="履约良好"
        )
    )
    make_user("agent", Role.AGENCY, agency=world.agencies[0])
    make_user("stranger", Role.AGENCY, agency=world.agencies[1])
    auth.login("agent")
    own = client.get("/procurement/").get_data(as_text=True)
    assert "明理评价" in own and "86.5 分" in own and "HT-1" in own
    auth.logout()
    auth.login("stranger")
    theirs = client.get("/procurement/").get_data(as_text=True)
    assert "86.5" not in theirs and "HT-1" not in theirs
    assert client.get(f"/procurement/contracts/{contract.id}").status_code == 403
    auth.logout()
    auth.login("office")
    client.post("/procurement/projects/new", data=project_form(world))
    project = _project()
    _advance(client, project)
    _bid(client, project, world.agencies[0], "100000")
    page = client.get(f"/procurement/projects/{project.id}").get_data(as_text=True)
    assert "履约记录：86.5 分" in page
    agency_page = client.get(f"/procurement/agencies/{world.agencies[0].id}").get_data(as_text=True)
    assert "86.5" in agency_page and "(agent)" in agency_page and "(stranger)" not in agency_page


def test_numbers_that_are_not_amounts_are_refused_in_words(app_ctx, client, auth) -> None:
    world = procurement()
    auth.login("office")
    for value in ("NaN", "sNaN", "Infinity", "1e400", "十万", "-5"):
        answer = client.post("/procurement/projects/new", data=project_form(world, budget=value))
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400 and 'id="budget-error"' in page, value
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseProject)) == 0
    ok = client.post("/procurement/projects/new", data=project_form(world, budget="1,300,000"))
    assert ok.status_code == 302 and _project().budget == 1300000


def test_the_pages_run_as_many_queries_for_more_bids_and_payments(
    app_ctx, client, auth, count_queries
) -> None:
    """No query per row: the project page with three bids scored by five experts, and then with two more bids;
    the contract and honoraria pages likewise."""
    world = procurement()
    project = _to_evaluation(client, auth, world)
    client.post(f"/procurement/projects/{project.id}/draw")
    client.post(f"/procurement/draws/{db.session.scalars(sa.select(ExpertDraw)).one().id}/run")
    seats = _score_everything(client, auth, world, project, {"明理评价": 2, "公信评估": 3, "蓉城调查": 4})
    url = f"/procurement/projects/{project.id}"
    with count_queries() as before:
        assert client.get(url).status_code == 200
    for name, prefix in (("甲机构", "91510100MA61R8KX7"), ("乙机构", "91510100MA61R8KX8")):
        extra = make_agency(name, prefix)
        db.session.flush()
        db.session.add(
            Bid(project=project, agency=extra, price=100000, state=BidState.VALID, submitted_dt=utcnow())
        )
    for seat in seats:
        seat.checked_in_dt, seat.checked_out_dt = utcnow() - timedelta(hours=5), utcnow()
    db.session.commit()
    with count_queries() as after:
        assert client.get(url).status_code == 200
    assert after["n"] == before["n"]
    client.post(f"/procurement/projects/{project.id}/honoraria")
    with count_queries() as listing:
        assert client.get("/procurement/honoraria").status_code == 200
    with count_queries() as export:
        assert client.get("/procurement/honoraria.xlsx").status_code == 200
    assert listing["n"] <= 12 and export["n"] <= 12


def test_an_expert_who_cannot_sit_gives_the_seat_to_the_draw_s_substitute(
    app_ctx, client, auth, runner
) -> None:
    world = procurement(n_experts=8)
    project = _to_evaluation(client, auth, world)
    client.post(f"/procurement/projects/{project.id}/draw")
    draw = db.session.scalars(sa.select(ExpertDraw)).one()
    client.post(f"/procurement/draws/{draw.id}/run")
    seats = db.session.scalars(sa.select(ExpertSeat).order_by(ExpertSeat.id)).all()
    first, second = seats[0], seats[1]
    absent, related = first.member_id, second.member_id
    no_reason = client.post(
        f"/procurement/seats/{first.id}/replace", data={"reason": ""}, follow_redirects=True
    )
    assert "请说明专家回避的原因" in no_reason.get_data(as_text=True)
    page = client.post(
        f"/procurement/seats/{first.id}/replace", data={"reason": "临时患病"}, follow_redirects=True
    )
    db.session.refresh(first)
    assert "递补" in page.get_data(as_text=True) and first.member_id not in (absent, world.recused.id)
    # The second expert declares a relation before scoring, on their phone.
    auth.logout()
    auth.login(world.users[related].username)
    listing = client.get("/procurement/evaluations").get_data(as_text=True)
    # The bidders are listed for the expert to check against.
    assert all(name in listing for name in ("明理评价", "公信评估", "蓉城调查"))
    client.post(f"/procurement/seats/{second.id}/step-down", data={"reason": "曾在公信评估兼职"})
    db.session.refresh(second)
    seated = set(db.session.scalars(sa.select(ExpertSeat.member_id)))
    assert second.member_id not in (related, absent) and len(seated) == 5 and absent not in seated
    assert {
        r.kind.value
        for r in db.session.scalars(sa.select(ExpertRelation).where(ExpertRelation.member_id == related))
    } == {"declared"}
    # Someone who has submitted cannot be replaced; the draw still replays.
    auth.logout()
    auth.login(world.users[seats[2].member_id].username)
    bid = next(b for b in project.bids if b.state == BidState.VALID)
    client.post(
        f"/procurement/seats/{seats[2].id}/bids/{bid.id}",
        data=technical_form(3, action="submit", confirm="yes"),
    )
    auth.logout()
    auth.login("office")
    refused = client.post(
        f"/procurement/seats/{seats[2].id}/replace", data={"reason": "迟到"}, follow_redirects=True
    )
    assert "已提交评分的专家不能再被替换" in refused.get_data(as_text=True)
    db.session.refresh(draw)
    assert sorted(draw.stepped_down) == sorted([absent, related])
    assert runner.invoke(args=["procurement", "verify-draw", project.code]).exit_code == 0
