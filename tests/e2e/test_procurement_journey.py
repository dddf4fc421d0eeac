"""A procurement as the office runs it: the organizer plans a project and announces it, records three bids with
their technical proposals, closes bidding once the deadline has passed, draws the experts (one recused by a past
employment at a bidder); two experts score every bid on their phones and confirm the report while the other three
do the same elsewhere; the organizer awards the first ranked, signs the contract, confirms its personal-information
clauses, and downloads the evaluation report as a PDF."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from playwright.sync_api import expect

from evaluation.db import utcnow
from evaluation.extensions import db
from panels.models import Member
from procurement import evaluation as ev
from procurement.expert_models import ExpertSeat
from procurement.models import BidState, PurchaseProject
from tests.e2e.conftest import screenshot
from tests.e2e.test_rubric_journey import _login

CODE = "CDCG-2027-0001"
BIDS = (
    ("成都明理社会评价研究中心", "100000"),
    ("四川公信第三方评估有限公司", "90000"),
    ("蓉城民意调查事务所", "120000"),
)
LEVELS = {"A": "4", "B": "2", "C": "3"}  # bidders as the experts see them, in the order they were recorded


def _local(delta: timedelta) -> str:
    """A datetime-local value in Beijing time, as the organizer types it."""
    return (datetime.now(ZoneInfo("Asia/Shanghai")) + delta).strftime("%Y-%m-%dT%H:%M")


def _plan_and_announce(page, live_server: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="采购管理").click()
    page.get_by_role("link", name="新建采购项目").click()
    page.get_by_label("项目编号").fill(CODE)
    page.get_by_label("标题").fill("2027年度不满意件第三方评议服务采购项目")
    page.get_by_label("预算（元）").fill("130000")
    page.get_by_label("技术评分标准").select_option(label="评议服务投标技术评分标准 v1")
    page.get_by_label("投标截止及开标时间（北京时间）").fill(_local(timedelta(days=10)))
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2027年度不满意件第三方评议服务采购项目")
    expect(page.locator("#next-step")).to_contain_text("各项前提条件均已满足")
    page.get_by_role("button", name="发布采购公告").click()
    expect(page.get_by_role("status").first).to_contain_text("项目已进入：已公告")


def _record_bids(page) -> None:
    for name, price in BIDS:
        page.get_by_label("机构").select_option(label=name)
        page.get_by_label("报价（元）").fill(price)
        page.get_by_label("递交时间（北京时间）").fill(_local(timedelta(hours=-1)))
        page.get_by_label("技术响应文件").set_input_files(
            {"name": "技术响应文件.pdf", "mimeType": "application/pdf", "buffer": f"%PDF-1.4 {name}".encode()}
        )
        page.get_by_role("button", name="登记投标").click()
        expect(page.get_by_role("status").first).to_contain_text("投标已登记")
    expect(page.locator("#bids tbody tr")).to_have_count(3)


def _deadline_passes(live_app) -> int:
    """Ten days pass: the deadline is behind us (the bids were received an hour before they were recorded)."""
    with live_app.app_context():
        project = db.session.execute(
            sa.select(PurchaseProject).where(PurchaseProject.code == CODE)
        ).scalar_one()
        project.bid_deadline_dt = utcnow() - timedelta(minutes=30)
        db.session.commit()
        return project.id


def _score_on_phone(phone, live_server: str, username: str) -> None:
    _login(phone, live_server, username)
    phone.get_by_role("navigation").get_by_role("link", name="我的评议").click()
    phone.get_by_role("link", name="我的评标任务").click()
    for letter, level in LEVELS.items():
        phone.get_by_role("link", name=f"投标人 {letter}").first.click()
        for code in ("T1", "T2", "T3", "T4", "T5"):
            phone.locator(f"input[name=c-{code}][value='{level}']").check()
        phone.get_by_label(re.compile("我已对每项指标评分")).check()
        if letter == "A":
            screenshot(phone, "bid-scoring-phone")
        phone.get_by_role("button", name="提交并锁定").click()
        expect(phone.get_by_role("status").first).to_contain_text(f"您对投标人 {letter} 的评分已提交")
    phone.get_by_role("button", name="确认评审报告").click()
    expect(phone.get_by_role("status").first).to_contain_text("您已确认评审报告")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.context.clear_cookies()


def _others_score(live_app, project_id: int, on_phones: set[int]) -> None:
    """The other three experts score at the evaluation site, through the same operations."""
    with live_app.app_context():
        project = db.session.get(PurchaseProject, project_id)
        seats = db.session.scalars(sa.select(ExpertSeat).where(ExpertSeat.project_id == project_id)).all()
        for seat in seats:
            if seat.member_id in on_phones:
                continue
            for bid, level in zip(
                (b for b in project.bids if b.state == BidState.VALID), (4, 2, 3), strict=True
            ):
                answers = {f"T{i}": {"value": level, "comment": None} for i in range(1, 6)}
                ev.save_score(seat, bid, answers, submit=True, user_id=seat.member.user_id)
            ev.confirm(seat, seat.member.user_id)
        db.session.commit()


def test_the_office_buys_evaluation_services_and_two_experts_score_on_their_phones(
    live_server: str, live_app, desktop, phone
) -> None:
    _login(desktop, live_server, "organizer")
    _plan_and_announce(desktop, live_server)
    _record_bids(desktop)
    project_id = _deadline_passes(live_app)
    desktop.reload()
    desktop.get_by_role("button", name="截止投标").click()
    expect(desktop.get_by_role("status").first).to_contain_text("投标已截止")
    desktop.get_by_role("button", name="开始评标").click()
    expect(desktop.get_by_role("status").first).to_contain_text("评标中")
    desktop.get_by_role("button", name="开始抽取").click()
    expect(desktop.locator("#experts code.hash")).to_be_visible()
    desktop.get_by_role("button", name="抽取专家").click()
    expect(desktop.get_by_role("status").first).to_contain_text("专家已抽取")
    expect(desktop.locator("#experts tbody tr")).to_have_count(5)
    desktop.get_by_role("link", name=re.compile("抽取记录")).click()
    expect(desktop.locator("body")).to_contain_text("重放：抽取结果完全一致")
    expect(desktop.locator("body")).to_contain_text("受聘于")  # expert01 once worked for a bidder
    desktop.go_back()

    with live_app.app_context():
        seated = db.session.scalars(
            sa.select(Member)
            .join(ExpertSeat, ExpertSeat.member_id == Member.id)
            .where(ExpertSeat.project_id == project_id)
            .order_by(Member.id)
        ).all()
        on_phones = [(m.id, m.email) for m in seated[:2]]
    for _member_id, email in on_phones:
        _score_on_phone(phone, live_server, email)
    _others_score(live_app, project_id, {member_id for member_id, _ in on_phones})

    desktop.reload()
    expect(desktop.locator("#next-step")).to_contain_text("各项前提条件均已满足")
    desktop.get_by_role("button", name="确定排名第一的投标人中标").click()
    expect(desktop.get_by_role("status").first).to_contain_text("已中标")
    expect(desktop.locator("#next-step")).to_contain_text("成都明理社会评价研究中心")
    screenshot(desktop, "procurement-awarded-desktop", full_page=True)
    desktop.get_by_role("link", name="签订合同").click()
    desktop.get_by_label("起始日期").fill("2027-01-01")
    desktop.get_by_label("终止日期").fill("2027-12-31")
    desktop.get_by_label("评议件数额度").fill("400")
    desktop.get_by_label("履约节点").fill("首付款 | 2027-01-31 | 30000\n年度报告 | 2027-12-31 | 70000")
    desktop.get_by_role("button", name="登记合同").click()
    expect(desktop.locator(".field-error").first).to_contain_text("个人信息条款均为必填")
    desktop.get_by_label("个人信息处理目的").fill("仅用于不满意件第三方评议")
    desktop.get_by_label("处理期限").fill("合同期内")
    desktop.get_by_label("保护措施").fill("平台内处理，加密存储，访问留痕")
    desktop.get_by_label("个人信息返还或删除日期").fill("2028-01-31")
    desktop.get_by_role("button", name="登记合同").click()
    expect(desktop.get_by_role("status").first).to_contain_text("合同已登记")
    desktop.get_by_role("button", name="确认条款，合同生效").click()
    expect(desktop.get_by_role("status").first).to_contain_text("条款已确认，合同生效")
    screenshot(desktop, "contract-desktop", full_page=True)

    desktop.get_by_role("link", name=CODE).click()
    expect(desktop.locator(".page-head")).to_contain_text("已签约")
    with desktop.expect_download() as download:
        desktop.get_by_role("link", name="评审报告（PDF）").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".pdf") and Path(path).read_bytes()[:5] == b"%PDF-"
    assert shutil.which("pdftotext") or not os.environ.get("CI"), ".ci/run installs poppler-utils"
    if shutil.which("pdftotext"):  # read the report back
        text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout
        assert "评审报告" in text and "成都明理社会评价研究中心" in text and "ICC(2,1)" in text
