"""agency status: an agency is active, suspended or blacklisted, with the reason and the period; its
qualifications are recorded. An inactive agency becomes a suspended one.

Revision ID: 0103984d334f
Revises: 285775ddee8f
Create Date: 2026-12-05 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0103984d334f'
down_revision = '285775ddee8f'
branch_labels = None
depends_on = None

STATUS = sa.Enum('active', 'suspended', 'blacklisted', name='agencystatus', native_enum=False, length=32)


def upgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualifications', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('status', STATUS, nullable=False, server_default='active'))
        batch_op.add_column(sa.Column('status_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('status_until', sa.Date(), nullable=True))
    op.execute("UPDATE agencies SET status = 'suspended' WHERE NOT active")
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
        batch_op.drop_column('active')


def downgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE agencies SET active = (status = 'active')")
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.alter_column('active', server_default=None)
        batch_op.drop_column('status_until')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status')
        batch_op.drop_column('qualifications')
