"""A released report keeps how many raters' answers it was made of

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 23:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: nothing refers to this table, and no copy of it is needed.
    op.add_column('released_reports', sa.Column('answers_shown', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('released_reports', schema=None) as batch_op:
        batch_op.drop_column('answers_shown')
