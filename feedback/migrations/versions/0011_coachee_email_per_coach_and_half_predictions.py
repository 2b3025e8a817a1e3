"""A coachee's address once per coach; predictions in steps of a half

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 10:00:00.000000

A coach cannot have two coachees with the same address (the commands and the import
already found a coachee by coach and address); two coaches may still coach the same
person. A database that holds such pairs already cannot take the constraint: the
upgrade stops and names the coaches, whose duplicate coachees are to be merged or
deleted first (nothing is deleted here).

A prediction is a mean on the 1–5 scale in steps of a half (3.5 is between 3 and 4):
the column becomes a float, checked to be a whole or half point.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

coachees = sa.table("coachees", sa.column("coach_id", sa.Integer), sa.column("email", sa.String))
predictions = sa.table("predictions", sa.column("score", sa.Float))


def upgrade():
    duplicates = (
        op.get_bind()
        .execute(
            sa.select(coachees.c.coach_id, sa.func.count())
            .group_by(coachees.c.coach_id, sa.func.lower(coachees.c.email))
            .having(sa.func.count() > 1)
        )
        .all()
    )
    if duplicates:
        coaches = sorted({coach_id for coach_id, _count in duplicates})
        raise RuntimeError(
            "coachees with the same address for the same coach (coach ids "
            f"{', '.join(map(str, coaches))}): merge or delete them, then upgrade again"
        )
    op.execute(coachees.update().values(email=sa.func.lower(coachees.c.email)))
    with op.batch_alter_table("coachees", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_coachees_coach_id"), ["coach_id", "email"])
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_predictions_score"), type_="check")
        batch_op.alter_column(
            "score", existing_type=sa.Integer(), type_=sa.Float(), existing_nullable=False
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_predictions_score"),
            "score >= 1 AND score <= 5 AND score * 2 = ROUND(score * 2)",
        )


def downgrade():
    # A half-point prediction becomes the whole point below it (3.5 -> 3).
    op.execute(predictions.update().values(score=sa.func.floor(predictions.c.score)))
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_predictions_score"), type_="check")
        batch_op.alter_column(
            "score", existing_type=sa.Float(), type_=sa.Integer(), existing_nullable=False
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_predictions_score"), "score >= 1 AND score <= 5"
        )
    with op.batch_alter_table("coachees", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_coachees_coach_id"), type_="unique")
