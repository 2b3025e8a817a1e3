"""Languages: each pulse rater's language (their cycle invite's, else the cycle's)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 02:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN with a server default: no table copy is needed.
    op.add_column(
        'pulse_invites',
        sa.Column('language', sa.String(length=8), server_default='en', nullable=False),
    )
    # Raters of pulses sent before: their cycle invite's language, else the cycle's.
    op.execute(
        "UPDATE pulse_invites SET language = COALESCE("
        "(SELECT i.language FROM invites i JOIN pulses p ON p.cycle_id = i.cycle_id"
        " WHERE p.id = pulse_invites.pulse_id AND i.email = pulse_invites.email"
        " AND i.language IS NOT NULL ORDER BY i.id LIMIT 1),"
        " (SELECT c.language FROM cycles c JOIN pulses p ON p.cycle_id = c.id"
        " WHERE p.id = pulse_invites.pulse_id), 'en')"
    )


def downgrade():
    with op.batch_alter_table('pulse_invites', schema=None) as batch_op:
        batch_op.drop_column('language')
