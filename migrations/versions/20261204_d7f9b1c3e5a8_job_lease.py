"""job lease: a running job is leased to its worker until a time; a worker killed mid-job no longer leaves its job
running forever, another takes it once the lease has passed.

Revision ID: d7f9b1c3e5a8
Revises: c5e7a9b1d3f6
Create Date: 2026-12-04 15:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd7f9b1c3e5a8'
down_revision = 'c5e7a9b1d3f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until_dt", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("lease_until_dt")
