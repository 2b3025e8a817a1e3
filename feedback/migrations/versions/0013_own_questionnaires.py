"""Questionnaires of a coach's own: an owner, and "Don't know" may be left out

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:50:00

A questionnaire may belong to a coach (``coach_id``; none for the shipped ones). Its
scale has 4 to 7 points (the labels column already holds any number of them) and may
offer no "Don't know" (an empty label). A rating, and a coachee's prediction, may be
1 to 7 (the forms check the cycle's own scale).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Not a batch on SQLite: a batch copies the table, and dropping the old one with
    # foreign keys on would delete every competency, statement and question with it.
    # SQLite adds a nullable column with its reference in place.
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # A downgrade on SQLite leaves the column (see downgrade): use it again.
        columns = {column['name'] for column in sa.inspect(bind).get_columns('questionnaires')}
        if 'coach_id' not in columns:
            op.execute(
                'ALTER TABLE questionnaires ADD COLUMN coach_id INTEGER '
                'CONSTRAINT fk_questionnaires_coach_id_coaches '
                'REFERENCES coaches (id)'
            )
    else:
        op.add_column('questionnaires', sa.Column('coach_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_questionnaires_coach_id_coaches'),
            'questionnaires',
            'coaches',
            ['coach_id'],
            ['id'],
        )
    op.create_index(
        op.f('ix_questionnaires_coach_id'), 'questionnaires', ['coach_id'], unique=False
    )
    with op.batch_alter_table(
        'ratings', schema=None, table_kwargs={'sqlite_with_rowid': False}
    ) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ratings_score'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_ratings_score'), 'score BETWEEN 1 AND 7'
        )
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_predictions_score'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_predictions_score'),
            'score >= 1 AND score <= 7 AND score * 2 = ROUND(score * 2)',
        )


def downgrade():
    # Ratings and predictions above 5 exist only on scales the older schema cannot hold.
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_predictions_score'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_predictions_score'),
            'score >= 1 AND score <= 5 AND score * 2 = ROUND(score * 2)',
        )
    with op.batch_alter_table(
        'ratings', schema=None, table_kwargs={'sqlite_with_rowid': False}
    ) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ratings_score'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_ratings_score'), 'score BETWEEN 1 AND 5'
        )
    op.drop_index(op.f('ix_questionnaires_coach_id'), table_name='questionnaires')
    # SQLite drops no column that a foreign key uses, and copying the table would
    # delete its statements (see upgrade): there the unused column stays.
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(
            op.f('fk_questionnaires_coach_id_coaches'), 'questionnaires', type_='foreignkey'
        )
        op.drop_column('questionnaires', 'coach_id')
