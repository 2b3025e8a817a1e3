"""Questionnaires in several languages: a version's translations, kept with it

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 02:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # A plain nullable ADD COLUMN: versions stored before are English only.
    op.add_column('questionnaires', sa.Column('translations', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.drop_column('translations')
