"""Responses: held answers, which wait for a close that may show them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 16:00:00.000000

Answers that arrive after a cycle was reopened wait (``held``) until they can join the
results without singling anyone out (docs/analysis.md "Across time"); from now on
every rater's response is stored held and the next close decides. Responses stored
before this revision are taken as shown, as they were: a cycle reopened before it and
still open shows its late answers at its next close, as it would have before.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("held")
