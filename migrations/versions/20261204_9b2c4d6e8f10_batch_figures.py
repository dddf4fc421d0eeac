"""batch figures: a finalized batch keeps its agreement and rater-severity figures (evaluation.figures), computed
once at finalization so pages and the API read them without recomputing.

Revision ID: 9b2c4d6e8f10
Revises: 7d3e1f4b9a20
Create Date: 2026-12-04 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '9b2c4d6e8f10'
down_revision = '7d3e1f4b9a20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("figures", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_column("figures")
