"""Pulses, and stage three's keep / change / in-the-way lists

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_STATES = ('awaiting', 'pending', 'sent', 'opened', 'submitted', 'declined', 'bounced', 'removed')


def upgrade():
    op.create_table('pulses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('statements', sa.JSON(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_pulses_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulses'))
    )
    with op.batch_alter_table('pulses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pulses_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('pulse_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pulse_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=12), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('from_cycle', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum(*_STATES, name='invitestate', native_enum=False, length=12), nullable=False),
    sa.Column('link_key', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_reminded_at', sa.DateTime(), nullable=True),
    sa.Column('draft', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['pulse_id'], ['pulses.id'], name=op.f('fk_pulse_invites_pulse_id_pulses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_invites')),
    sa.UniqueConstraint('link_key', name=op.f('uq_pulse_invites_link_key')),
    sa.UniqueConstraint('pulse_id', 'email', name=op.f('uq_pulse_invites_pulse_id'))
    )
    with op.batch_alter_table('pulse_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pulse_invites_pulse_id'), ['pulse_id'], unique=False)

    op.create_table('pulse_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('pulse_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=12), nullable=False),
    sa.Column('changed', sa.Text(), nullable=False),
    sa.CheckConstraint('"group" IN (\'boss\', \'peer\', \'subordinate\', \'partner\')', name=op.f('ck_pulse_responses_group')),
    sa.ForeignKeyConstraint(['pulse_id'], ['pulses.id'], name=op.f('fk_pulse_responses_pulse_id_pulses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_responses')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('pulse_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pulse_responses_pulse_id'), ['pulse_id'], unique=False)

    op.create_table('pulse_scores',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=True),
    sa.CheckConstraint('score BETWEEN 1 AND 7', name=op.f('ck_pulse_scores_score')),
    sa.ForeignKeyConstraint(['response_id'], ['pulse_responses.id'], name=op.f('fk_pulse_scores_response_id_pulse_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item_key', name=op.f('pk_pulse_scores')),
    sqlite_with_rowid=False
    )

    op.create_table('journey_aspects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coachee_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('keep', 'change', 'in_the_way')", name=op.f('ck_journey_aspects_kind')),
    sa.ForeignKeyConstraint(['coachee_id'], ['coachees.id'], name=op.f('fk_journey_aspects_coachee_id_coachees'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_aspects'))
    )
    with op.batch_alter_table('journey_aspects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_aspects_coachee_id'), ['coachee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('journey_aspects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_aspects_coachee_id'))
    op.drop_table('journey_aspects')
    op.drop_table('pulse_scores')
    with op.batch_alter_table('pulse_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pulse_responses_pulse_id'))
    op.drop_table('pulse_responses')
    with op.batch_alter_table('pulse_invites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pulse_invites_pulse_id'))
    op.drop_table('pulse_invites')
    with op.batch_alter_table('pulses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pulses_cycle_id'))
    op.drop_table('pulses')
