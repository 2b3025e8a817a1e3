"""Coach session key: signing out ends every copy of the session

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 22:10:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('coaches', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_key', sa.String(length=32), server_default='', nullable=False)
        )
    # Existing coaches get a key of their own (their current sessions end once).
    coaches = sa.table('coaches', sa.column('id', sa.Integer), sa.column('session_key'))
    connection = op.get_bind()
    for (coach_id,) in connection.execute(sa.select(coaches.c.id)).all():
        connection.execute(
            coaches.update()
            .where(coaches.c.id == coach_id)
            .values(session_key=secrets.token_hex(16))
        )


def downgrade():
    with op.batch_alter_table('coaches', schema=None) as batch_op:
        batch_op.drop_column('session_key')
