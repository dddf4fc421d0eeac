"""Publication and appeal, as the office, the department and the main system live them: the main system has a
client with a webhook; the organizer opens the demo's finalized batch, reads its agreement figures and publishes it
after confirming; the outbox worker delivers every assessment, each verified with the Standard Webhooks library as
the receiver would; the main system also pulls them with its cursor. Then the district government appeals one of
its results, the organizer accepts the appeal, puts the case in a re-review batch whose draw leaves out the earlier
panel, and publishes the re-review: the main system receives it as version 2, correcting version 1."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from tests.e2e.conftest import screenshot
from tests.e2e.test_rubric_journey import _login
from tests.evaluation.test_outbox import Receiver

BATCH = "不满意件评议 第2批"
RE_REVIEW = "复核批次（端到端）"


def _delivered(live_app: Flask, receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """Run the outbox worker as `flask outbox work --once` does; every delivery so far, verified."""
    from evaluation.publication.outbox import deliver_due

    with live_app.app_context():
        while deliver_due():
            pass
    return [
        Webhook(secret).verify(body, headers) for headers, body, status in receiver.received if status == 200
    ]


def _organizer_publishes(desktop, live_server: str, batch_id: int, batch_name: str) -> None:
    desktop.goto(f"{live_server}/batches/{batch_id}")
    publish = desktop.get_by_role("button", name="发布本批次")
    publish.click()  # without the tick: refused, in words
    expect(desktop.get_by_text("请勾选确认")).to_be_visible()
    desktop.get_by_label("我已核对结果，确认发布").check()
    desktop.get_by_role("button", name="发布本批次").click()
    expect(desktop.get_by_text(re.compile(r"已发布 \d+ 份评议结论"))).to_be_visible()


def _pulled(live_server: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the live server on loopback
        f"{live_server}/api/v1/assessments?after=0&limit=1000",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the live server on loopback
        return json.load(response)


def _appealable(live_app: Flask, batch_id: int) -> tuple[int, str]:
    """A result of the batch against a unit of the district government (the demo's department login)."""
    from evaluation.assessments.models import Assessment, Verdict
    from evaluation.batches.models import BatchItem
    from evaluation.extensions import db
    from evaluation.org.models import Department

    with live_app.app_context():
        district = db.session.scalar(sa.select(Department.id).where(Department.code == "D-510107"))
        found = db.session.scalars(
            sa.select(Assessment)
            .join(BatchItem, BatchItem.id == Assessment.batch_item_id)
            .where(
                BatchItem.batch_id == batch_id,
                Assessment.verdict != Verdict.NOT_UPHELD,
                Assessment.department_id.in_(Department.subtree_ids(district)),
            )
            .order_by(Assessment.id)
        ).first()
        assert found is not None, "the demo's second batch has an upheld case of the district"
        return found.id, found.case.external_id


def _department_appeals(phone, live_server: str, case_number: str) -> None:
    _login(phone, live_server, "department")
    phone.get_by_role("navigation").get_by_role("link", name="本单位评议结果").click()
    phone.get_by_role("link", name=case_number).first.click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(case_number)
    phone.get_by_role("button", name="提交复核申请").click()  # empty: refused beside the fields
    expect(phone.locator(".field-error").first).to_be_visible()
    phone.get_by_label("复核理由").fill(
        "我单位已于本月完成整改，诉求人确认问题已解决，评议时未纳入整改材料。"
    )
    phone.get_by_label("与诉求人沟通情况").fill(
        "本月再次电话回访诉求人，诉求人表示问题已解决，对处理结果认可。"
    )
    phone.get_by_role("button", name="提交复核申请").click()
    expect(phone.get_by_role("status").first).to_contain_text("复核申请已提交")
    phone.locator("#appeal").scroll_into_view_if_needed()
    screenshot(phone, "appeal-filed-phone")


def _organizer_accepts(desktop, live_server: str, case_number: str) -> None:
    desktop.get_by_role("navigation").get_by_role("link", name="复核申请").click()
    desktop.get_by_role("link", name=case_number).click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text(case_number)
    desktop.get_by_label("受理：由新的评议团复核").check()
    desktop.get_by_label("决定理由").fill("整改及回访材料充分，同意由新的评议团复核。")
    desktop.get_by_role("button", name="记录决定").click()
    expect(desktop.get_by_role("status").first).to_contain_text("已受理复核申请")
    screenshot(desktop, "appeal-accepted-desktop", full_page=True)


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def _organizer_creates_the_re_review(desktop, live_server: str) -> int:
    now = datetime.now(ZoneInfo("UTC"))
    desktop.goto(f"{live_server}/batches/new")
    expect(desktop.locator("body")).to_contain_text("等待复核")
    desktop.locator("#name").fill(RE_REVIEW)
    desktop.locator("#opens").fill(_local(now - timedelta(hours=1)))
    desktop.locator("#closes").fill(_local(now + timedelta(days=7)))
    desktop.get_by_label("仅包含已受理复核申请、等待复核的案件").check()
    desktop.get_by_role("button", name="创建批次").click()
    expect(desktop.get_by_role("status").first).to_contain_text("1 件")
    batch_id = int(re.search(r"/batches/(\d+)$", desktop.url).group(1))
    desktop.get_by_role("button", name="准备抽取").click()
    desktop.get_by_role("button", name="执行抽取").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("已抽取")
    expect(desktop.locator("body")).to_contain_text("申请复核后的复核")
    desktop.get_by_role("button", name="发送邀请").click()
    return batch_id


def _new_panel_scores(live_app: Flask, batch_id: int, earlier_assessment: int) -> None:
    """The new panel's members accept and score (their side is the scoring journey's); none sat on the first."""
    from evaluation.assessments.models import Assessment
    from evaluation.extensions import db
    from panels.invitations import accept
    from panels.models import Seat, SeatState, batch_seats

    with live_app.app_context():
        first = db.session.get(Assessment, earlier_assessment)
        earlier = {seat.member_id for seat in first.batch_item.panel.seats}
        seats = db.session.scalars(batch_seats(batch_id).where(Seat.state == SeatState.INVITED)).all()
        assert seats and not {s.member_id for s in seats} & earlier
        for seat in seats:
            accept(seat)
        db.session.commit()


def _submit_all(live_app: Flask, batch_id: int) -> None:
    from evaluation.extensions import db
    from panels.models import Seat, SeatState, batch_seats
    from tests import factories

    with live_app.app_context():
        for seat in db.session.scalars(batch_seats(batch_id).where(Seat.state == SeatState.ACCEPTED)).all():
            factories.submit(seat, **{"c-Q3": "not_upheld"})
        db.session.commit()


def _organizer_settles_the_re_review(desktop, live_server: str, live_app: Flask, batch_id: int) -> None:
    desktop.goto(f"{live_server}/batches/{batch_id}")
    desktop.get_by_role("button", name="开始评分", exact=True).click()
    expect(desktop.get_by_role("status").first).to_contain_text("评分已开始")
    _submit_all(live_app, batch_id)
    desktop.goto(f"{live_server}/batches/{batch_id}")
    desktop.get_by_role("button", name="结束评分并进入合议").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("合议")
    desktop.get_by_role("button", name="批次定稿").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("已定稿")
    _organizer_publishes(desktop, live_server, batch_id, RE_REVIEW)


def test_the_organizer_publishes_the_department_appeals_and_the_re_review_corrects_it(
    live_app: Flask, live_server: str, desktop, phone
) -> None:
    from evaluation.accounts.operations import create_client
    from evaluation.batches.models import Batch
    from evaluation.extensions import db

    receiver = Receiver()
    try:
        with live_app.app_context():
            _client, token, secret = create_client("主办件系统（端到端）", ["assessments:read"], receiver.url)
            batch_id = db.session.scalar(sa.select(Batch.id).where(Batch.name == BATCH))
            db.session.commit()

        _login(desktop, live_server, "organizer")
        desktop.goto(f"{live_server}/batches/{batch_id}")
        expect(desktop.get_by_role("heading", name="评议员之间的一致性")).to_be_visible()
        screenshot(desktop, "publication-agreement", full_page=True)
        _organizer_publishes(desktop, live_server, batch_id, BATCH)
        events = _delivered(live_app, receiver, secret)
        assert events and {e["type"] for e in events} == {"assessment.published"}
        assert all(e["data"]["batch"]["name"] == BATCH for e in events)
        pulled = {
            item["id"] for item in _pulled(live_server, token)["items"] if item["batch"]["name"] == BATCH
        }
        assert pulled == {e["data"]["id"] for e in events}

        assessment_id, case_number = _appealable(live_app, batch_id)
        _department_appeals(phone, live_server, case_number)
        _organizer_accepts(desktop, live_server, case_number)
        re_review = _organizer_creates_the_re_review(desktop, live_server)
        _new_panel_scores(live_app, re_review, assessment_id)
        _organizer_settles_the_re_review(desktop, live_server, live_app, re_review)

        corrected = [e for e in _delivered(live_app, receiver, secret) if e["type"] == "assessment.corrected"]
        assert [e["data"]["case"]["external_id"] for e in corrected] == [case_number]
        (event,) = corrected
        assert event["data"]["version"] == 2 and event["data"]["verdict"] == "not_upheld"
        first = next(e for e in events if e["data"]["case"]["external_id"] == case_number)
        assert event["data"]["supersedes"] == first["data"]["id"]

        phone.goto(f"{live_server}/results/")
        phone.get_by_role("link", name=case_number).first.click()
        expect(phone.locator("body")).to_contain_text("第 1 版")
        expect(phone.locator("#appeal")).to_contain_text("已复核")
        phone.locator("#appeal").scroll_into_view_if_needed()
        screenshot(phone, "appeal-re-reviewed-phone")
    finally:
        receiver.close()
