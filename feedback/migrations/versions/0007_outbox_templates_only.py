"""Outbox: every message is a template rendered when sent; the stored text goes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 19:45:00.000000

Rows queued before revision 0005 carried their rendered text (with a working link);
none is left on a database that has run 0.1.0, and any that is, is removed here
rather than sent with a link signed under old rules.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

outbox = sa.table("outbox_messages", sa.column("template", sa.String))


def upgrade():
    op.execute(outbox.delete().where(outbox.c.template.is_(None)))
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_messages_template_or_text"), type_="check")
        batch_op.alter_column("template", existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_column("html_body")
        batch_op.drop_column("text_body")


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.alter_column("template", existing_type=sa.String(length=40), nullable=True)
        batch_op.create_check_constraint(
            batch_op.f("ck_outbox_messages_template_or_text"),
            "template IS NOT NULL OR text_body IS NOT NULL",
        )
