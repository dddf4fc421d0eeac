"""outbox lease and webhook secret rotation: a message being delivered is leased to its worker until a time (a
worker killed mid-delivery leaves it to the next after that); a client's previous webhook secret still signs,
beside the new one, until its grace period ends.

Revision ID: c5e7a9b1d3f6
Revises: b4d6f8a0c2e4
Create Date: 2026-12-04 15:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c5e7a9b1d3f6'
down_revision = 'b4d6f8a0c2e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until_dt", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_webhook_secret", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("previous_secret_until_dt", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("previous_secret_until_dt")
        batch_op.drop_column("previous_webhook_secret")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("lease_until_dt")
