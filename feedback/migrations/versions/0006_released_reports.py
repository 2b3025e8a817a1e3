"""Released reports: what the coachee was shown, kept when a cycle is reopened

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 23:58:00.000000

Reports released before this revision are stored the first time their cycle is
reopened (until then the closed cycle's results are what was released).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('released_reports',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_released_reports_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cycle_id', name=op.f('pk_released_reports'))
    )


def downgrade():
    op.drop_table('released_reports')
