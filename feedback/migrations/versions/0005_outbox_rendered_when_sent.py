"""Outbox: messages keep their template, params and cycle, and are rendered when sent

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 23:22:01.182036

Messages queued before this revision keep their rendered text and are sent as they
are. Those already sent or failed lose it (it held working links and is never sent
again). Messages about an invite are given the invite's cycle.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

outbox = sa.table(
    "outbox_messages",
    sa.column("invite_id", sa.Integer),
    sa.column("cycle_id", sa.Integer),
    sa.column("template", sa.String),
    sa.column("text_body", sa.Text),
    sa.column("html_body", sa.Text),
    sa.column("state", sa.String),
    sa.column("last_error", sa.String),
)
invites = sa.table("invites", sa.column("id", sa.Integer), sa.column("cycle_id", sa.Integer))
FINISHED = ("sent", "failed")


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("cycle_id", sa.Integer(), nullable=True))
        batch_op.alter_column("text_body", existing_type=sa.TEXT(), nullable=True)
        batch_op.create_index(batch_op.f("ix_outbox_messages_cycle_id"), ["cycle_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_cycle_id_cycles"),
            "cycles",
            ["cycle_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_outbox_messages_template_or_text"),
            "template IS NOT NULL OR text_body IS NOT NULL",
        )

    op.execute(
        outbox.update()
        .where(outbox.c.invite_id.is_not(None))
        .values(
            cycle_id=sa.select(invites.c.cycle_id)
            .where(invites.c.id == outbox.c.invite_id)
            .scalar_subquery()
        )
    )
    op.execute(
        outbox.update()
        .where(outbox.c.state.in_(FINISHED), outbox.c.template.is_(None))
        .values(text_body="", html_body=None)
    )


def downgrade():
    # The code before this revision sends the stored text: a message that has none
    # could only go out empty, so it is marked failed instead.
    op.execute(
        outbox.update()
        .where(outbox.c.text_body.is_(None), outbox.c.state.not_in(FINISHED))
        .values(state="failed", last_error="not sent: the outbox was downgraded before it was")
    )
    op.execute(outbox.update().where(outbox.c.text_body.is_(None)).values(text_body=""))
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_messages_template_or_text"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_outbox_messages_cycle_id_cycles"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_messages_cycle_id"))
        batch_op.alter_column("text_body", existing_type=sa.TEXT(), nullable=False)
        batch_op.drop_column("cycle_id")
        batch_op.drop_column("params")
        batch_op.drop_column("template")
