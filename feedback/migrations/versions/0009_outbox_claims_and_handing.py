"""Outbox: each batch's claim, and the moment a message was handed to the server

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00.000000

A worker records each message's outcome as soon as the server has answered it. To
know which messages a dead worker may have delivered, a message is marked
(``handed_at``) just before the end of its content goes to the server, and every claim
carries the claiming batch's random ``claim``, so that a worker whose claim was taken
over neither sends nor records anything for it. A message whose worker died after
handing it becomes ``uncertain`` (a new state, within the column's ten characters) and
is not sent again. Downgrading counts an uncertain message as sent: it most likely
arrived, and the older code would send it again.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

outbox = sa.table("outbox_messages", sa.column("state", sa.String))


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("handed_at", sa.DateTime(), nullable=True))


def downgrade():
    op.execute(outbox.update().where(outbox.c.state == "uncertain").values(state="sent"))
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("handed_at")
        batch_op.drop_column("claim")
