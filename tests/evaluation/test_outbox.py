"""Webhook deliveries against a real HTTP receiver on loopback that fails on demand, each verified with the
Standard Webhooks reference library exactly as the main system would verify it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from evaluation.accounts.models import ApiClient
from evaluation.accounts.operations import create_client
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.publication.models import OutboxMessage, OutboxState
from evaluation.publication.operations import publish_batch
from evaluation.publication.outbox import _claim, deliver_due
from tests.evaluation.test_races import _at_once
from tests.evaluation.test_results import _finalized


class Receiver:
    """Answers 503 to the next ``failing`` requests, 200 after; keeps what it was sent."""

    def __init__(self) -> None:
        self.failing = 0
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 503 if receiver.failing > 0 else 200
                receiver.failing = max(0, receiver.failing - 1)
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def published(world, receiver, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "EVALUATION_OUTBOX_BACKOFF_S", 0)  # retries are due at once
    _finalized(world)
    client, _token, secret = create_client("main", ["assessments:read"], receiver.url)
    publish_batch(world.batch, None)
    db.session.commit()
    return client.id, secret, len(world.batch.items)


def _verified(secret: str, receiver: Receiver) -> list[dict]:
    return [
        Webhook(secret).verify(body, headers) for headers, body, status in receiver.received if status == 200
    ]


def test_down_for_a_while_then_up_everything_arrives_with_one_id_each(published, receiver) -> None:
    _client_id, secret, count = published
    receiver.failing = 4
    rounds = 0
    while db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.state != OutboxState.DELIVERED)):
        deliver_due()
        rounds += 1
        assert rounds < 20
    payloads = _verified(secret, receiver)
    assert len(payloads) == count and {p["type"] for p in payloads} == {"assessment.published"}
    ids_by_assessment: dict[str, set[str]] = {}
    for headers, body, _status in receiver.received:
        ids_by_assessment.setdefault(json.loads(body)["data"]["id"], set()).add(headers["webhook-id"])
    assert all(len(ids) == 1 for ids in ids_by_assessment.values())  # the same webhook-id on every retry
    assert len(receiver.received) == count + 4


def test_a_wrong_secret_fails_verification(published, receiver) -> None:
    deliver_due()
    headers, body, _status = receiver.received[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(ApiClient.new_webhook_secret()).verify(body, headers)


def test_a_rotated_secret_verifies_with_either_during_the_grace_period(published, receiver, runner) -> None:
    client_id, old_secret, _count = published
    result = runner.invoke(args=["clients", "rotate-secret", "main", "--grace-hours", "1", "--json"])
    new_secret = json.loads(result.output)["webhook_secret"]
    deliver_due()
    headers, body, _status = receiver.received[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old_secret).verify(body, headers) == Webhook(new_secret).verify(body, headers)
    client = db.session.get(ApiClient, client_id)
    client.previous_secret_until_dt = utcnow() - timedelta(seconds=1)  # the grace period is over
    db.session.query(OutboxMessage).update({"state": OutboxState.PENDING, "next_attempt_dt": utcnow()})
    db.session.commit()
    receiver.received.clear()
    deliver_due()
    headers, body, _status = receiver.received[0]
    assert len(headers["webhook-signature"].split(" ")) == 1
    Webhook(new_secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(body, headers)


def test_a_leased_message_waits_for_its_lease_and_a_dead_one_is_replayed(
    published, receiver, runner, app_ctx, monkeypatch
) -> None:
    _client_id, secret, count = published
    first = db.session.scalar(sa.select(OutboxMessage.id).order_by(OutboxMessage.id))
    assert _claim(first, utcnow(), timedelta(minutes=5))  # a worker took it, then died
    assert deliver_due() == count - 1
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id == first).values(lease_until_dt=utcnow())
    )
    db.session.commit()
    assert deliver_due() == 1  # the lease has passed: another worker delivers it
    monkeypatch.setitem(app_ctx.config, "EVALUATION_OUTBOX_MAX_ATTEMPTS", 2)
    db.session.execute(sa.update(OutboxMessage).values(state=OutboxState.PENDING, attempts=0))
    db.session.commit()
    receiver.failing = 1000
    deliver_due()
    deliver_due()
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.state == OutboxState.DEAD)) == count
    )
    result = runner.invoke(args=["outbox", "replay", "--dead", "--json"])
    assert json.loads(result.output) == {"replayed": count}
    receiver.failing = 0
    assert runner.invoke(args=["outbox", "work", "--once"]).exit_code == 0
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.state == OutboxState.DELIVERED))
        == count
    )
    assert len(_verified(secret, receiver)) == 2 * count


def test_the_administrator_sees_given_up_messages_and_sends_them_again(
    published, receiver, client, auth, app_ctx, monkeypatch
) -> None:
    from tests.conftest import make_user

    _client_id, _secret, count = published
    monkeypatch.setitem(app_ctx.config, "EVALUATION_OUTBOX_MAX_ATTEMPTS", 1)
    receiver.failing = 1000
    deliver_due()
    make_user("root", "admin")
    db.session.commit()
    auth.login("root")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert f"已放弃 ({count})" in page and "HTTP 503" in page and "评议结论已发布" in page
    first = db.session.scalar(sa.select(OutboxMessage.id).order_by(OutboxMessage.id))
    assert "请勾选" in client.post("/admin/outbox/replay", follow_redirects=True).get_data(as_text=True)
    client.post("/admin/outbox/replay", data={"message_ids": [str(first)]})
    assert db.session.get(OutboxMessage, first).state == OutboxState.PENDING
    client.post("/admin/outbox/replay", data={"all": "yes"})
    assert db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.state == OutboxState.DEAD)) == 0


def test_two_workers_at_once_never_deliver_a_message_twice(published, receiver, app_ctx) -> None:
    _client_id, secret, count = published
    delivered = _at_once(app_ctx, [deliver_due, deliver_due])
    ids = [headers["webhook-id"] for headers, _body, _status in receiver.received]
    assert len(ids) == len(set(ids)) == count  # each once, by one of the two
    assert sum(delivered) == count
    assert len(_verified(secret, receiver)) == count


def test_a_worker_killed_mid_delivery_leaves_its_message_to_the_next_after_the_lease(
    published, receiver, app_ctx
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from evaluation.db import clock_at

    _client_id, secret, count = published
    arrived = threading.Event()
    hold = threading.Event()
    original = receiver.server.RequestHandlerClass.do_POST

    def stall(_handler) -> None:  # the first delivery gets no answer: the worker is mid-delivery when killed
        arrived.set()
        hold.wait(
            timeout=60
        )  # then the connection is dropped unanswered (the worker is gone, its body may be cut)

    receiver.server.RequestHandlerClass.do_POST = stall
    db.session.commit()  # the test's own transaction would hold SQLite's write lock against the worker
    env = {
        **os.environ,
        "FLASK_DEBUG": "1",
        "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "EVALUATION_OUTBOX_LEASE_S": "120",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "evaluation", "outbox", "work", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert arrived.wait(timeout=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        hold.set()
        receiver.server.RequestHandlerClass.do_POST = original
    db.session.expire_all()
    leased = db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.lease_until_dt.is_not(None), OutboxMessage.state != OutboxState.DELIVERED
        )
    )
    assert leased is not None  # the dead worker's message, still leased to it
    assert deliver_due() == 0  # the dead worker leased its whole batch: it waits for the lease
    with clock_at(leased.lease_until_dt + timedelta(seconds=1)):  # once the lease has passed
        assert deliver_due() == count
    db.session.expire_all()
    assert db.session.get(OutboxMessage, leased.id).state == OutboxState.DELIVERED
    ids = [headers["webhook-id"] for headers, _body, _status in receiver.received]
    assert set(ids) == {m.delivery_id for m in db.session.scalars(sa.select(OutboxMessage))}
    assert len(_verified(secret, receiver)) >= count  # at least once; the receiver dedupes on webhook-id
