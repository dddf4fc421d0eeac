"""A month's cycle, as the office runs it: the organizer imports new panel members from a file, makes a batch and
draws it, invites one new member to the platform; the member opens the e-mail (from a real SMTP server on
loopback), sets a password, accepts the seat and scores on a phone; a member who does not answer is replaced by
a substitute, a case below quorum is withdrawn, the batch is finalized and its results are on its page.

The other members' answers arrive meanwhile through the same operations the pages use."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from tests.e2e.conftest import LoopbackInbox, screenshot
from tests.e2e.test_rubric_journey import _login

NEWCOMERS = ["端木清源", "上官若兰", "欧阳子墨", "司马景行", "诸葛明远", "慕容书瑶"]
BATCH = "不满意件评议 第5批（端到端）"
PASSWORD = "Qingyuan-2026-pw"  # noqa: S105 - the newcomer's own, chosen in the journey


def _wait_for(found: Callable[[], object], what: str, timeout: float = 15.0) -> object:
    """Poll until ``found`` returns something (mail arrives after the request that sent it has committed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {timeout:.0f} s for {what}")


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _category(app: Flask) -> str:
    """The category with the most eligible cases: the batch takes four of them."""
    from evaluation.cases.models import Case, CaseStatus
    from evaluation.extensions import db

    with app.app_context():
        return str(
            db.session.scalar(
                sa.select(Case.category)
                .where(Case.status == CaseStatus.ELIGIBLE)
                .group_by(Case.category)
                .order_by(sa.func.count().desc(), Case.category)
                .limit(1)
            )
        )


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def test_an_office_runs_a_cycle_end_to_end(
    live_server: str, live_app: Flask, mailbox: LoopbackInbox, desktop, phone
) -> None:
    category = _category(live_app)
    _login(desktop, live_server, "organizer")
    _import_newcomers(desktop, live_server, category)
    batch_id = _create_and_draw(desktop, live_server, category)
    newcomer = _drawn_newcomer(live_app, batch_id)

    desktop.get_by_role("button", name="发送邀请").click()
    expect(desktop.get_by_role("status").first).to_contain_text("份邀请")
    desktop.get_by_label("仍然开始评分").check()
    desktop.get_by_role("button", name="开始评分", exact=True).click()
    expect(desktop.get_by_role("status").first).to_contain_text("评分已开始")

    # The organizer invites the newcomer to the platform from the pool.
    desktop.goto(f"{live_server}/panels/members/{newcomer['member']}")
    desktop.get_by_role("button", name="邀请登录平台").click()
    expect(desktop.get_by_role("status").first).to_contain_text(newcomer["email"])
    _member_sets_a_password_and_scores(phone, mailbox, newcomer)

    silent, short = _others_answer(live_app, batch_id, newcomer["member"])
    _organizer_settles(desktop, live_server, batch_id, silent, short)


def _import_newcomers(desktop, live_server: str, category: str) -> None:
    rows = ["姓名,身份,区划代码,擅长领域,每批最多件数,电子邮箱"]
    rows += [
        f"{name},群众代表,510107,{category},5,cycle{i}@e2e.example"
        for i, name in enumerate(NEWCOMERS, start=1)
    ]
    desktop.get_by_role("navigation").get_by_role("link", name="评议员库").click()
    desktop.locator("a[href$='/panels/members/import']").click()
    desktop.locator("input[type=file]").set_input_files(
        files=[{"name": "新任评议员.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}]
    )
    desktop.get_by_role("button", name="导入").click()
    expect(desktop.get_by_role("status").first).to_contain_text("已导入 6 名评议员")
    expect(desktop.locator("body")).to_contain_text(NEWCOMERS[0])


def _create_and_draw(desktop, live_server: str, category: str) -> int:
    now = datetime.now(ZoneInfo("UTC"))
    desktop.goto(f"{live_server}/batches/new")
    desktop.locator("#name").fill(BATCH)
    desktop.locator("#opens").fill(_local(now - timedelta(hours=1)))
    desktop.locator("#closes").fill(_local(now + timedelta(days=7)))
    desktop.locator("#category").select_option(category)
    desktop.locator("#sample_size").fill("4")
    desktop.get_by_role("button", name="创建批次").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text(BATCH)
    batch_id = int(re.search(r"/batches/(\d+)$", desktop.url).group(1))
    desktop.get_by_role("button", name="准备抽取").click()
    desktop.get_by_role("button", name="执行抽取").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("已抽取")
    screenshot(desktop, "cycle-drawn-desktop", full_page=True)
    return batch_id


def _drawn_newcomer(app: Flask, batch_id: int) -> dict[str, object]:
    """A newcomer the draw seated (their declared expertise is the batch's category, so the draw favours them)."""
    from evaluation.extensions import db
    from panels.models import Member, Seat, batch_seats

    with app.app_context():
        row = db.session.execute(
            batch_seats(batch_id)
            .with_only_columns(Member.id, Member.email, Member.name)
            .join(Member, Seat.member_id == Member.id)
            .where(Member.name.in_(NEWCOMERS))
            .order_by(Seat.id)
            .limit(1)
        ).first()
    assert row is not None, "the draw seated none of the newcomers"
    return {"member": row[0], "email": row[1], "name": row[2]}


def _member_sets_a_password_and_scores(phone, mailbox: LoopbackInbox, newcomer: dict[str, object]) -> None:
    address = str(newcomer["email"])

    def account_mail() -> EmailMessage | None:
        return next((m for m in mailbox.to(address) if "/account/password/" in _text(m)), None)

    message = _wait_for(account_mail, f"the platform invitation to {address}")
    assert isinstance(message, EmailMessage)
    assert message["Subject"].startswith("【评议平台】您的账号")  # Chinese first
    link = re.search(r"https?://\S+/account/password/\S+", _text(message)).group(0)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="设置密码")).to_be_visible()
    phone.locator("#password").fill(PASSWORD)
    phone.locator("#confirm").fill(PASSWORD)
    phone.get_by_role("button", name="设置密码并登录").click()
    expect(phone).to_have_url(re.compile(r"/batches/mine$"))
    expect(phone.locator("body")).to_contain_text(BATCH)
    # The seat's own invitation came by mail too.
    _wait_for(lambda: [m for m in mailbox.to(address) if "/invitations/" in _text(m)], "the seat invitation")
    phone.get_by_role("button", name="接受邀请").first.click()
    expect(phone.get_by_role("status").first).to_contain_text("您已接受邀请")
    phone.locator("a[href*='/reviews/seats/']").first.click()
    for fieldset in phone.locator("fieldset.criterion").all():
        code = fieldset.get_attribute("id").removeprefix("criterion-")
        radios = fieldset.locator("input[type=radio]")
        (radios.first if code.startswith("Q") else radios.nth(2)).check()
    phone.get_by_label("我已对每项指标作出评价").check()
    phone.get_by_role("button", name="提交并锁定").click()
    expect(phone.get_by_role("status").first).to_contain_text("已提交")
    screenshot(phone, "cycle-newcomer-submitted-phone")


def _others_answer(app: Flask, batch_id: int, newcomer_id: int) -> tuple[int, int]:
    """The rest of the panels meanwhile: on one case a member never answers the invitation; on another only two
    members submit (below quorum); everyone else accepts and submits. Returns (the silent seat, the short case's
    item)."""
    from evaluation.batches.models import BatchItem
    from evaluation.demo.sheets import answers
    from evaluation.extensions import db
    from evaluation.scoring.operations import submit
    from panels.invitations import accept
    from panels.models import Seat, SeatState, batch_seats
    from rubrics.operations import export_version

    rng = random.Random("e2e-cycle")
    with app.app_context():
        items = db.session.scalars(
            sa.select(BatchItem).where(BatchItem.batch_id == batch_id).order_by(BatchItem.id)
        ).all()
        spec = export_version(items[0].batch.rubric_version)
        seats = db.session.scalars(
            batch_seats(batch_id).where(Seat.state == SeatState.INVITED).order_by(Seat.id)
        ).all()
        by_item: dict[int, list[Seat]] = {}
        for seat in seats:
            by_item.setdefault(seat.panel.batch_item_id, []).append(seat)
        mine = next(s.panel.batch_item_id for s in batch_seats_of(newcomer_id, batch_id))
        silent_item, short_item = [item.id for item in items if item.id != mine][:2]
        silent = by_item[silent_item][0].id
        for item_id, panel in by_item.items():
            for position, seat in enumerate(panel):
                if seat.id == silent:
                    continue
                accept(seat)
                if item_id == short_item and position >= 2:
                    continue
                submit(seat, answers(rng, spec, 0.6, 0.0), None, seat.member.user_id)
        db.session.commit()
    return silent, short_item


def batch_seats_of(member_id: int, batch_id: int) -> list[object]:
    from evaluation.extensions import db
    from panels.models import Seat, batch_seats

    return list(db.session.scalars(batch_seats(batch_id).where(Seat.member_id == member_id)))


def _organizer_settles(desktop, live_server: str, batch_id: int, silent: int, short: int) -> None:
    desktop.goto(f"{live_server}/batches/{batch_id}")
    # The member who never answered gives way to the seat's next substitute.
    desktop.locator(f"form:has(#replace-{silent})").get_by_role("button").click()
    expect(desktop.get_by_role("status").first).to_contain_text("替补")

    # Close early, confirming the count of sheets still missing.
    desktop.locator("input[name=confirmed]").check()
    desktop.get_by_role("button", name="结束评分并进入合议").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("合议")

    # The short case is what stands between the batch and finalizing: it is withdrawn with a reason.
    blockers = desktop.locator("#blockers")
    expect(blockers).to_contain_text("距离定稿还差")
    blockers.locator(f"#reason-{short}").fill("评分不足法定人数，转入下一批次重新评议。")
    blockers.locator(f"form:has(#reason-{short})").get_by_role("button", name="将案件移出批次").click()
    expect(desktop.get_by_role("status").first).to_contain_text("已移出本批次")
    expect(desktop.locator("#blockers")).to_have_count(0)

    for verdict in desktop.locator("select[id^=tie-]").all():
        verdict.select_option("partly_upheld")
    for reason in desktop.locator("textarea[id^=tie-]").all():
        reason.fill("评议员意见平票，组织者依据综合得分裁定。")
    waive = desktop.locator("input[name=without_silent_outliers]")
    if waive.count():
        waive.check()
    desktop.get_by_role("button", name="批次定稿").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("已定稿")
    results = desktop.locator("#results")
    expect(results.locator("tbody tr")).to_have_count(3)  # four cases, one withdrawn
    screenshot(desktop, "cycle-results-desktop", full_page=True)
