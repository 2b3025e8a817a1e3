"""The coach's own wording of raters' emails, and the audit trail

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 22:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coach_mail_texts',
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=150), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('invite', 'reminder')", name=op.f('ck_coach_mail_texts_kind')
        ),
        sa.ForeignKeyConstraint(
            ['coach_id'], ['coaches.id'],
            name=op.f('fk_coach_mail_texts_coach_id_coaches'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('coach_id', 'kind', name=op.f('pk_coach_mail_texts')),
    )
    op.create_table(
        'audit_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.Column('coachee_id', sa.Integer(), nullable=True),
        sa.Column('cycle_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('detail', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['coach_id'], ['coaches.id'],
            name=op.f('fk_audit_events_coach_id_coaches'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['coachee_id'], ['coachees.id'],
            name=op.f('fk_audit_events_coachee_id_coachees'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['cycle_id'], ['cycles.id'],
            name=op.f('fk_audit_events_cycle_id_cycles'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_audit_events_coachee_id'), ['coachee_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_coachee_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_coach_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
    op.drop_table('audit_events')
    op.drop_table('coach_mail_texts')
