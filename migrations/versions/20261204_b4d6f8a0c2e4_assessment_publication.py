"""assessment publication: the order of publication (the pull API's cursor), the object as published and its
content hash. Assessments published before this revision (the demo's) keep them empty until re-published.

Revision ID: b4d6f8a0c2e4
Revises: 9b2c4d6e8f10
Create Date: 2026-12-04 15:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b4d6f8a0c2e4'
down_revision = '9b2c4d6e8f10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("publication", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_assessments_published_seq"), ["published_seq"])


def downgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_assessments_published_seq"), type_="unique")
        batch_op.drop_column("content_hash")
        batch_op.drop_column("publication")
        batch_op.drop_column("published_seq")
