"""Shown results: a closed cycle's dashboard kept as plain data, read by every worker

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-07 04:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    # Cycles closed before are computed on their first view, as before.
    op.create_table(
        'shown_results',
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['cycle_id'],
            ['cycles.id'],
            name=op.f('fk_shown_results_cycle_id_cycles'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('cycle_id', 'key', name=op.f('pk_shown_results')),
    )


def downgrade():
    op.drop_table('shown_results')
