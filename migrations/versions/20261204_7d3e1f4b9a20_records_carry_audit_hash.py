"""records carry their audit event's hash: score sheets, assessments and draws keep the hash of the event that
recorded them (evaluation.audit.records checks them against it). Existing records are anchored to the latest event
about them that agrees with them (its total, verdict or seed); their events hold no digest, so those are checked by
what they did record.

Revision ID: 7d3e1f4b9a20
Revises: 5c0e7a91d2b4
Create Date: 2026-12-04 14:20:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = '7d3e1f4b9a20'
down_revision = '5c0e7a91d2b4'
branch_labels = None
depends_on = None

TABLES = ("score_sheets", "assessments", "draws")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("audit_hash", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    events = {}
    for row in bind.execute(
        sa.text(
            "SELECT id, hash, action, object_id, data FROM audit_events WHERE action IN "
            "('score.submitted', 'score.revised', 'verdict.settled', 'draw.made') ORDER BY id"
        )
    ):
        data = row.data if isinstance(row.data, dict) else json.loads(row.data or "{}")
        kind = {"verdict.settled": "assessment", "draw.made": "draw"}.get(row.action, "sheet")
        events.setdefault((kind, row.object_id), []).append((row.hash, data))
    _anchor(bind, events, "sheet", "SELECT id, id AS object_id, total FROM score_sheets WHERE state != 'draft'",
            "score_sheets", lambda r, d: d.get("total") == r.total)
    _anchor(bind, events, "assessment", "SELECT id, case_id AS object_id, total, verdict FROM assessments",
            "assessments", lambda r, d: d.get("total") == r.total and d.get("verdict") == r.verdict)
    _anchor(bind, events, "draw", "SELECT id, id AS object_id, seed FROM draws WHERE result IS NOT NULL",
            "draws", lambda r, d: d.get("seed") == r.seed)


def _anchor(bind, events, kind, query, table, agrees):
    update = sa.text(f"UPDATE {table} SET audit_hash = :hash WHERE id = :id")
    for row in bind.execute(sa.text(query)).all():
        candidates = [(h, d) for h, d in events.get((kind, str(row.object_id)), []) if agrees(row, d)]
        if candidates:
            bind.execute(update, {"hash": candidates[-1][0], "id": row.id})


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("audit_hash")
