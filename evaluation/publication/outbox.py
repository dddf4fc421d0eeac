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


def _claim(message_id: int, now: datetime, lease: timedelta) -> bool:
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state.in_(DUE),
            sa.or_(OutboxMessage.lease_until_dt.is_(None), OutboxMessage.lease_until_dt <= now),
        )
        .values(lease_until_dt=now + lease, attempts=OutboxMessage.attempts + 1)
    )
    claimed = cast("sa.CursorResult[Any]", result).rowcount == 1
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
    """Deliver the messages due now (each claimed first); returns how many were delivered."""
    config = current_app.config
    lease = timedelta(seconds=config["EVALUATION_OUTBOX_LEASE_S"])
    now = utcnow()
    query = (
        sa.select(OutboxMessage.id)
        .where(
            OutboxMessage.state.in_(DUE),
            OutboxMessage.next_attempt_dt <= now,
            sa.or_(OutboxMessage.lease_until_dt.is_(None), OutboxMessage.lease_until_dt <= now),
        )
        .order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(db.session.scalars(query))
    db.session.commit()
    delivered = 0
    for message_id in candidates:
        if not _claim(message_id, utcnow(), lease):
            continue  # another worker has it
        delivered += _deliver(db.session.get_one(OutboxMessage, message_id))
    return delivered


def _deliver(message: OutboxMessage) -> int:
    config = current_app.config
    client = db.session.get(ApiClient, message.client_id) if message.client_id else None
    now = utcnow()
    if client is None or not client.webhook_url or client.revoked_dt is not None:
        error: str | None = "the client has no webhook or was revoked"
    else:
        body, headers = request_for(message, client, now)
        error = _post(client.webhook_url, body, headers, config["EVALUATION_OUTBOX_TIMEOUT_S"])
    message.lease_until_dt = None
    if error is None:
        message.state, message.delivered_dt, message.last_error = OutboxState.DELIVERED, utcnow(), None
    else:
        message.last_error = error
        if message.attempts >= config["EVALUATION_OUTBOX_MAX_ATTEMPTS"]:
            message.state = OutboxState.DEAD
            log.warning(
                "outbox message %s is dead after %d attempts: %s", message.id, message.attempts, error
            )
        else:
            message.state = OutboxState.RETRYING
            wait = backoff(message.attempts, config["EVALUATION_OUTBOX_BACKOFF_S"])
            message.next_attempt_dt = utcnow() + timedelta(seconds=wait)
    db.session.commit()
    return 1 if error is None else 0


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
