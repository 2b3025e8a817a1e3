"""Nominations the coach approves, and the minimum raters per group of a cycle

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

#: The new columns of ``cycles``: cycles started before keep no minimum and no approval.
CYCLE_COLUMNS = ('approve_nominations', 'min_boss', 'min_peers', 'min_subordinates', 'min_raters')


def upgrade():
    with op.batch_alter_table('cycles') as batch:
        batch.add_column(
            sa.Column('approve_nominations', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for name in CYCLE_COLUMNS[1:]:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('invites') as batch:
        batch.add_column(sa.Column('removed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('invites') as batch:
        batch.drop_column('removed_at')
    with op.batch_alter_table('cycles') as batch:
        for name in reversed(CYCLE_COLUMNS):
            batch.drop_column(name)
