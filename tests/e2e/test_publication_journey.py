"""Publication, as the office and the main system live it: the main system has a client with a webhook; the
organizer opens the demo's finalized batch, reads its agreement figures, and publishes it after confirming; the
outbox worker delivers every assessment, each verified with the Standard Webhooks library as the receiver would;
the main system also pulls them with its cursor."""

from __future__ import annotations

import json
import re
import urllib.request

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from tests.e2e.conftest import screenshot
from tests.e2e.test_rubric_journey import _login
from tests.evaluation.test_outbox import Receiver

BATCH = "不满意件评议 第2批"


def test_the_organizer_publishes_and_the_main_system_receives_signed_assessments(
    live_app: Flask, live_server: str, desktop
) -> None:
    from evaluation.accounts.operations import create_client
    from evaluation.assessments.models import Assessment
    from evaluation.batches.models import Batch, BatchItem
    from evaluation.extensions import db
    from evaluation.publication.outbox import deliver_due

    receiver = Receiver()
    try:
        with live_app.app_context():
            _client, token, secret = create_client("主办件系统（端到端）", ["assessments:read"], receiver.url)
            batch = db.session.scalar(sa.select(Batch).where(Batch.name == BATCH))
            batch_id = batch.id
            db.session.commit()

        _login(desktop, live_server, "organizer")
        desktop.goto(f"{live_server}/batches/{batch_id}")
        expect(desktop.get_by_role("heading", name="评议员之间的一致性")).to_be_visible()
        screenshot(desktop, "publication-agreement", full_page=True)
        publish = desktop.get_by_role("button", name="发布本批次")
        publish.click()  # without the tick: refused, in words
        expect(desktop.get_by_text("请勾选确认")).to_be_visible()
        desktop.get_by_label("我已核对结果，确认发布").check()
        desktop.get_by_role("button", name="发布本批次").click()
        expect(desktop.get_by_text(re.compile(r"已发布 \d+ 份评议结论"))).to_be_visible()

        with live_app.app_context():  # the outbox worker, as `flask outbox work` runs it
            published = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Assessment)
                .join(BatchItem, BatchItem.id == Assessment.batch_item_id)
                .where(BatchItem.batch_id == batch_id, Assessment.published_dt.is_not(None))
            )
            while deliver_due():
                pass
        events = [
            Webhook(secret).verify(body, headers)
            for headers, body, status in receiver.received
            if status == 200
        ]
        assert events and {e["type"] for e in events} == {"assessment.published"}
        assert all(e["data"]["batch"]["name"] == BATCH for e in events)

        request = urllib.request.Request(  # noqa: S310 - the live server on loopback
            f"{live_server}/api/v1/assessments?after=0&limit=1000",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the live server on loopback
            page = json.load(response)
        pulled = {item["id"] for item in page["items"] if item["batch"]["name"] == BATCH}
        assert pulled == {e["data"]["id"] for e in events} and len(pulled) == len(events) == published
    finally:
        receiver.close()
