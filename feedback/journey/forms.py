"""The coach's forms of the journey and the coachee's step form. The homework answers
are one text area per question, read by the view (their number varies per coachee)."""

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..timeutil import today
from .models import STEP_STATUSES
from .services import MAX_ANSWER, MAX_QUESTION


class HomeworkForm(FlaskForm):
    """Open a stage for the coachee: a note and a due date."""

    note = TextAreaField("A note to the coachee", validators=[Optional(), Length(max=MAX_ANSWER)])
    due_on = DateField(
        "Due on",
        validators=[DataRequired(message="Please give a valid date.")],
        default=lambda: today() + timedelta(days=7),
    )


class OwnQuestionForm(FlaskForm):
    """The coach's own question for one stage."""

    text = TextAreaField(
        "Your own question",
        validators=[DataRequired(message="Please write the question."), Length(max=MAX_QUESTION)],
    )


class SessionNoteForm(FlaskForm):
    """The coach's private notes of a session."""

    held_on = DateField(
        "Session on", validators=[DataRequired(message="Please give a valid date.")], default=today
    )
    discussed = TextAreaField(
        "What was discussed",
        validators=[
            DataRequired(message="Please note what was discussed."),
            Length(max=MAX_ANSWER),
        ],
    )
    agreed = TextAreaField("What was agreed", validators=[Optional(), Length(max=MAX_ANSWER)])


class StepForm(FlaskForm):
    """One first step and its due date."""

    step = TextAreaField(
        "Step", validators=[DataRequired(message="Please describe the step."), Length(max=300)]
    )
    due_on = DateField(
        "Due on",
        validators=[DataRequired(message="Please give a valid date.")],
        default=lambda: today() + timedelta(days=14),
    )


class StepStatusForm(FlaskForm):
    """A step's new status."""

    status = SelectField(
        "Status", choices=[(s, s.capitalize()) for s in STEP_STATUSES], validators=[DataRequired()]
    )


class AnswersForm(FlaskForm):
    """Only the CSRF token: the answers are ``answer-<question key>`` fields."""
