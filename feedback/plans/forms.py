"""The forms of predictions and development goals."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..timeutil import today


class GoalForm(FlaskForm):
    """One goal: the statement it is about, what to do, how to know, when to review."""

    item_key = SelectField(_l("Statement"), validators=[DataRequired()], choices=[])
    goal = TextAreaField(
        _l("Goal"),
        validators=[DataRequired(message=_l("Please describe the goal.")), Length(max=500)],
    )
    success_criteria = TextAreaField(
        _l("How will you know the goal is reached?"),
        validators=[DataRequired(message=_l("Please say how success shows.")), Length(max=500)],
    )
    review_on = DateField(
        _l("Review on"),
        validators=[DataRequired(message=_l("Please give a valid date."))],
        default=lambda: today() + timedelta(days=90),
    )


class PredictionForm(FlaskForm):
    """Only the CSRF token: the predictions themselves are one select per competency and
    group, named ``predict-<competency key>-<group>``, read by the view."""
