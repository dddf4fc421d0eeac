"""audit chain keyed: each event's hash becomes an HMAC keyed with EVALUATION_AUDIT_KEY. The existing chain is
checked under the old unkeyed SHA-256 first (the upgrade stops, naming the event, if it is broken) and then
re-chained with the key, in order.

Revision ID: 5c0e7a91d2b4
Revises: ba7d18266ef8
Create Date: 2026-12-03 21:10:00

"""
import hashlib
import hmac
import json

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = '5c0e7a91d2b4'
down_revision = 'ba7d18266ef8'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
DEVELOPMENT_AUDIT_KEY = "development-only-audit-key"


def _body(prev_hash, row):
    occurred = row.occurred_dt
    if isinstance(occurred, str):  # SQLite hands back text to an untyped column
        from datetime import datetime

        occurred = datetime.fromisoformat(occurred)
    if occurred.tzinfo is None:
        from datetime import UTC

        occurred = occurred.replace(tzinfo=UTC)
    data = row.data if isinstance(row.data, dict) else json.loads(row.data or "{}")
    return json.dumps(
        [prev_hash, occurred.isoformat(), row.actor_id, row.action, row.object_type, row.object_id, data],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    ).encode()


def _plain(body):
    return hashlib.sha256(body).hexdigest()


def _keyed(body):
    key = str(current_app.config.get("EVALUATION_AUDIT_KEY") or DEVELOPMENT_AUDIT_KEY).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _rechain(old, new):
    connection = op.get_bind()
    events = sa.table(
        'audit_events', sa.column('id'), sa.column('occurred_dt'), sa.column('actor_id'), sa.column('action'),
        sa.column('object_type'), sa.column('object_id'), sa.column('data'), sa.column('prev_hash'),
        sa.column('hash'),
    )
    rows = connection.execute(sa.select(events).order_by(events.c.id)).all()
    old_prev, new_prev = GENESIS, GENESIS
    for row in rows:
        if row.prev_hash != old_prev or row.hash != old(_body(old_prev, row)):
            raise RuntimeError(f"the audit chain is broken at event {row.id}; it is not re-chained")
        new_hash = new(_body(new_prev, row))
        connection.execute(
            events.update().where(events.c.id == row.id).values(prev_hash=new_prev, hash=new_hash)
        )
        old_prev, new_prev = row.hash, new_hash


def upgrade():
    _rechain(_plain, _keyed)


def downgrade():
    _rechain(_keyed, _plain)
