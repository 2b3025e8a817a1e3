"""Languages of the coach's pages, the coachee's portal, a cycle and each rater

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (nullable, or with a server default): no table copy is needed.
    op.add_column('coaches', sa.Column('language', sa.String(length=8), nullable=True))
    op.add_column('coachees', sa.Column('language', sa.String(length=8), nullable=True))
    op.add_column(
        'cycles',
        sa.Column('language', sa.String(length=8), server_default='en', nullable=False),
    )
    op.add_column('invites', sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    for table in ('invites', 'cycles', 'coachees', 'coaches'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('language')
