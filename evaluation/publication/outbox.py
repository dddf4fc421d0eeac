"""Delivering the outbox by webhook, as the Standard Webhooks specification defines it, so the main system verifies
deliveries with that project's libraries: a POST of the message's JSON with ``webhook-id`` (the message's id, the
same on every retry), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,`` and the base64
HMAC-SHA256 of ``{id}.{timestamp}.{body}`` keyed with the client's ``whsec_`` secret; two, space-separated,
while a rotated secret is in its grace period).

Delivery is at least once and loses nothing. A worker claims a due message with a conditional UPDATE that
leases it until a time: no two workers deliver it at once, and a worker killed mid-delivery leaves it to the
next once the lease has passed. A 2xx delivers; anything else, or no answer within the timeout, retries after
an exponential backoff with full jitter, until the message is dead. Any number of workers may run."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app

from evaluation import logfilter
from evaluation.accounts.models import ApiClient
from evaluation.db import utcnow
from evaluation.extensions import db
from evaluation.publication.models import OutboxMessage, OutboxState

log = logfilter.logger(__name__)
DUE = (OutboxState.PENDING, OutboxState.RETRYING)
NO_WEBHOOK = "no_webhook"  # stored as the last error, shown in words on the deliveries page (labels)


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,`` signature. The secret's base64 is decoded as the reference libraries decode it."""
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def request_for(message: OutboxMessage, client: ApiClient, now: datetime) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    signatures = " ".join(
        signature(s, message.delivery_id, timestamp, body) for s in client.signing_secrets(now)
    )
    return body, {
        "content-type": "application/json",
        "webhook-id": message.delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


def backoff(attempts: int, base_seconds: float) -> float:
    """Full jitter: a uniform wait up to base × 2^(attempts − 1), capped at a day."""
    return random.uniform(0, min(base_seconds * 2 ** max(attempts - 1, 0), 86400.0))  # noqa: S311 - not secret


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.state.in_(DUE),
        OutboxMessage.next_attempt_dt <= now,
        sa.or_(OutboxMessage.lease_until_dt.is_(None), OutboxMessage.lease_until_dt <= now),
    )


def _claim(message_id: int, now: datetime, lease: timedelta) -> bool:
    """Lease one message (as a worker does before it delivers it); whether this call got it."""
    return message_id in _claim_batch(now, lease, [message_id])


def _claim_batch(now: datetime, lease: timedelta, candidates: list[int]) -> list[int]:
    """Lease those of the candidates still due, in one conditional UPDATE: whatever another worker leased in the
    meantime no longer matches, so no message is leased to two workers. Commits (the lease must be seen)."""
    if not candidates:
        return []
    claimed = list(
        db.session.scalars(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), _due(now))
            .values(lease_until_dt=now + lease, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id)
        )
    )
    db.session.commit()
    return claimed


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """None when delivered (2xx); else what went wrong, in a line."""
    if not url.startswith(("http://", "https://")):  # as create_client checks: never file: or another scheme
        return "the webhook is not an http(s) URL"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - checked above
            response.read(1024)
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"


def deliver_due(limit: int = 100) -> int:
    """Deliver the messages due now, leased first in one statement; returns how many were delivered.

    No transaction stays open while the receivers answer (on SQLite it would hold every other writer off):
    the leased messages are read and the transaction ends, the POSTs go out, and the outcomes are written
    together. A worker that dies in between leaves its messages leased; they go out again after the lease."""
    lease = timedelta(seconds=current_app.config["EVALUATION_OUTBOX_LEASE_S"])
    now = utcnow()
    query = (
        sa.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = _claim_batch(utcnow(), lease, list(db.session.scalars(query)))
    if not claimed:
        db.session.commit()
        return 0
    messages = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(claimed))))
    client_ids = {m.client_id for m in messages if m.client_id is not None}
    clients = {c.id: c for c in db.session.scalars(sa.select(ApiClient).where(ApiClient.id.in_(client_ids)))}
    for loaded in [*messages, *clients.values()]:
        db.session.expunge(loaded)  # kept as read: the transaction ends before the first POST
    db.session.commit()
    outcomes = [(m.id, m.attempts, _send(m, clients.get(m.client_id or 0))) for m in messages]
    _record_outcomes(outcomes)
    return sum(1 for _id, _attempts, error in outcomes if error is None)


def _send(message: OutboxMessage, client: ApiClient | None) -> str | None:
    if client is None or not client.webhook_url or client.revoked_dt is not None:
        return NO_WEBHOOK
    body, headers = request_for(message, client, utcnow())
    return _post(client.webhook_url, body, headers, current_app.config["EVALUATION_OUTBOX_TIMEOUT_S"])


def _record_outcomes(outcomes: list[tuple[int, int, str | None]]) -> None:
    config = current_app.config
    now = utcnow()
    delivered = [message_id for message_id, _attempts, error in outcomes if error is None]
    if delivered:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(delivered))
            .values(state=OutboxState.DELIVERED, delivered_dt=now, last_error=None, lease_until_dt=None)
        )
    for message_id, attempts, error in outcomes:
        if error is None:
            continue
        dead = attempts >= config["EVALUATION_OUTBOX_MAX_ATTEMPTS"]
        wait = timedelta(seconds=backoff(attempts, config["EVALUATION_OUTBOX_BACKOFF_S"]))
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                state=OutboxState.DEAD if dead else OutboxState.RETRYING,
                last_error=error,
                lease_until_dt=None,
                next_attempt_dt=now if dead else now + wait,
            )
        )
        if dead:
            log.warning("outbox message %s is given up after %d attempts: %s", message_id, attempts, error)
    db.session.commit()


def work(once: bool = False, idle_seconds: float = 1.0) -> int:
    """Deliver until stopped (or, with ``once``, what is due now); returns how many were delivered."""
    total = 0
    while True:
        delivered = deliver_due()
        total += delivered
        if once:
            return total
        if delivered == 0:
            time.sleep(idle_seconds)  # nothing due: poll again shortly


def replay(message_ids: list[int] | None = None) -> int:
    """Make dead messages (these, or all) due again, their attempts reset; returns how many. Flushes."""
    query = sa.update(OutboxMessage).where(OutboxMessage.state == OutboxState.DEAD)
    if message_ids is not None:
        query = query.where(OutboxMessage.id.in_(message_ids))
    result = db.session.execute(
        query.values(
            state=OutboxState.PENDING,
            attempts=0,
            next_attempt_dt=utcnow(),
            lease_until_dt=None,
            last_error=None,
        )
    )
    return cast("sa.CursorResult[Any]", result).rowcount
