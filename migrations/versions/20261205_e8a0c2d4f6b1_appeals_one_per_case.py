"""appeals, one per case: grounds, the re-contact record and the decision encrypted at rest, and the re-review's
assessment linked. No appeal could be filed before this revision (there was no way to), so the table is made
anew rather than altered.

Revision ID: e8a0c2d4f6b1
Revises: d7f9b1c3e5a8
Create Date: 2026-12-05 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e8a0c2d4f6b1'
down_revision = 'd7f9b1c3e5a8'
branch_labels = None
depends_on = None

STATES = sa.Enum('filed', 'accepted', 'rejected', 'decided', name='appealstate', native_enum=False, length=32)


def _common():
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('filed_by_id', sa.Integer(), nullable=False),
        sa.Column('state', STATES, nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('filed_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_dt', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_appeals_assessment_id_assessments')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_appeals_decided_by_id_users')),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_appeals_department_id_departments')),
        sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_appeals_filed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
    ]


def upgrade():
    op.drop_table('appeals')
    op.create_table(
        'appeals',
        *_common(),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('reason_enc', sa.LargeBinary(), nullable=False),
        sa.Column('recontact_record_enc', sa.LargeBinary(), nullable=False),
        sa.Column('decision_note_enc', sa.LargeBinary(), nullable=True),
        sa.Column('result_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_appeals_case_id_cases')),
        sa.ForeignKeyConstraint(['result_id'], ['assessments.id'], name=op.f('fk_appeals_result_id_assessments')),
        sa.UniqueConstraint('case_id', name=op.f('uq_appeals_case_id')),
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_state'), ['state'], unique=False)


def downgrade():
    op.drop_table('appeals')
    op.create_table(
        'appeals',
        *_common(),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('recontact_record', sa.Text(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_department_id'), ['department_id'], unique=False)
