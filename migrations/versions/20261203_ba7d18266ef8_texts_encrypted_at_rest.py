"""texts encrypted at rest: a case's title, request, reply, callback reason and exclusion note, its steps' notes,
its attachments' names and addresses and the verification calls' accounts are stored encrypted with the
personal-data key (EVALUATION_PII_KEY), like the citizen's identity; masked copies of the title and the request
serve search

Revision ID: ba7d18266ef8
Revises: 821971b9da58
Create Date: 2026-12-03 20:25:12.283111

"""
import sqlalchemy as sa
from alembic import op

from evaluation import crypto
from evaluation.privacy import mask_text

# revision identifiers, used by Alembic.
revision = 'ba7d18266ef8'
down_revision = '821971b9da58'
branch_labels = None
depends_on = None

# table: [(clear column, encrypted column, type of the clear column)]
MOVES = {
    'cases': [
        ('title', 'title_enc', sa.String(300)),
        ('request_text', 'request_text_enc', sa.Text()),
        ('reply_text', 'reply_text_enc', sa.Text()),
        ('callback_reason', 'callback_reason_enc', sa.Text()),
        ('exclusion_note', 'exclusion_note_enc', sa.Text()),
    ],
    'handling_steps': [('note', 'note_enc', sa.Text())],
    'case_attachments': [('name', 'name_enc', sa.String(300)), ('url', 'url_enc', sa.String(2000))],
    'verification_calls': [('account', 'account_enc', sa.Text())],
}


def _copy(table_name, pairs, transform):
    """Row by row: read one set of columns, write the other through ``transform``."""
    connection = op.get_bind()
    sources = [source for source, _ in pairs]
    table = sa.table(table_name, sa.column('id', sa.Integer), *(sa.column(c) for pair in pairs for c in pair))
    for row in connection.execute(sa.select(table.c.id, *(table.c[c] for c in sources))).all():
        values = {target: transform(value) for (_, target), value in zip(pairs, row[1:])}
        connection.execute(table.update().where(table.c.id == row[0]).values(**values))


def _encrypt(value):
    return None if value is None else crypto.encrypt(value)


def _decrypt(value):
    return None if value is None else crypto.decrypt(bytes(value))


def upgrade():
    for table_name, moves in MOVES.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for _, encrypted, _ in moves:
                batch_op.add_column(sa.Column(encrypted, sa.LargeBinary(), nullable=True))
            if table_name == 'cases':
                batch_op.add_column(sa.Column('title_masked', sa.String(length=300), nullable=True))
                batch_op.add_column(sa.Column('request_masked', sa.Text(), nullable=True))
        _copy(table_name, [(clear, encrypted) for clear, encrypted, _ in moves], _encrypt)
    _mask_cases()
    for table_name, moves in MOVES.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for clear, _, _ in moves:
                batch_op.drop_column(clear)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('request_text_enc', existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.alter_column('name_enc', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('url_enc', existing_type=sa.LargeBinary(), nullable=False)


def _mask_cases():
    connection = op.get_bind()
    cases = sa.table(
        'cases', sa.column('id', sa.Integer), sa.column('title_enc'), sa.column('request_text_enc'),
        sa.column('citizen_name_enc'), sa.column('title_masked'), sa.column('request_masked'),
    )
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.title_enc, cases.c.request_text_enc, cases.c.citizen_name_enc)
    ).all()
    for case_id, title, request, name in rows:
        name = _decrypt(name)
        connection.execute(
            cases.update().where(cases.c.id == case_id).values(
                title_masked=mask_text(_decrypt(title), name=name)[:300] or None,
                request_masked=mask_text(_decrypt(request), name=name),
            )
        )


def downgrade():
    for table_name, moves in MOVES.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for clear, _, kind in moves:
                batch_op.add_column(sa.Column(clear, kind, nullable=True))
        _copy(table_name, [(encrypted, clear) for clear, encrypted, _ in moves], _decrypt)
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for _, encrypted, _ in moves:
                batch_op.drop_column(encrypted)
            if table_name == 'cases':
                batch_op.drop_column('title_masked')
                batch_op.drop_column('request_masked')
