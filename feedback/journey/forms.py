"""The coach's forms of the journey and the coachee's step form. The homework answers
are one text area per question, read by the view (their number varies per coachee)."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..timeutil import today
from .decision import MAX_LEARNT, MAX_NAME, POINTS
from .gaps import MAX_ASPECT
from .models import ASPECT_KINDS
from .services import MAX_ANSWER, MAX_QUESTION


class HomeworkForm(FlaskForm):
    """Open a stage for the coachee: a note and a due date."""

    note = TextAreaField(
        _l("A note to the coachee"), validators=[Optional(), Length(max=MAX_ANSWER)]
    )
    due_on = DateField(
        _l("Due on"),
        validators=[DataRequired(message=_l("Please give a valid date."))],
        default=lambda: today() + timedelta(days=7),
    )


class OwnQuestionForm(FlaskForm):
    """The coach's own question for one stage."""

    text = TextAreaField(
        _l("Your own question"),
        validators=[
            DataRequired(message=_l("Please write the question.")),
            Length(max=MAX_QUESTION),
        ],
    )


class SessionNoteForm(FlaskForm):
    """The coach's private notes of a session."""

    held_on = DateField(
        _l("Session on"),
        validators=[DataRequired(message=_l("Please give a valid date."))],
        default=today,
    )
    discussed = TextAreaField(
        _l("What was discussed"),
        validators=[
            DataRequired(message=_l("Please note what was discussed.")),
            Length(max=MAX_ANSWER),
        ],
    )
    agreed = TextAreaField(_l("What was agreed"), validators=[Optional(), Length(max=MAX_ANSWER)])


class StepForm(FlaskForm):
    """One first step and its due date."""

    step = TextAreaField(
        _l("Step"),
        validators=[DataRequired(message=_l("Please describe the step.")), Length(max=300)],
    )
    due_on = DateField(
        _l("Due on"),
        validators=[DataRequired(message=_l("Please give a valid date."))],
        default=lambda: today() + timedelta(days=14),
    )


class AnswersForm(FlaskForm):
    """Only the CSRF token: the answers are ``answer-<question key>`` fields."""


class OptionForm(FlaskForm):
    """A realistic opportunity and what the coachee learnt about it."""

    name = StringField(
        _l("Option"),
        validators=[DataRequired(message=_l("Please name the option.")), Length(max=MAX_NAME)],
    )
    learnt = TextAreaField(
        _l("What you learnt about it"), validators=[Optional(), Length(max=MAX_LEARNT)]
    )


class CriterionForm(FlaskForm):
    """A criterion of the decision and its weight."""

    name = StringField(
        _l("Criterion"),
        validators=[DataRequired(message=_l("Please name the criterion.")), Length(max=MAX_NAME)],
    )
    weight = SelectField(
        _l("Weight"),
        choices=[SelectChoice(p, _l("5 (matters most)") if p == 5 else str(p)) for p in POINTS],
        coerce=int,
        default=3,
        validators=[DataRequired(message=_l("Choose a weight from 1 to 5."))],
    )


class SuccessCriterionForm(FlaskForm):
    """How the coachee will know they made the right decision, and when to look back."""

    criterion = TextAreaField(
        _l("How will you know you made the right decision?"),
        validators=[DataRequired(message=_l("Please say how you will know.")), Length(max=500)],
    )
    review_on = DateField(
        _l("Look back on"),
        validators=[DataRequired(message=_l("Please give a valid date."))],
        default=lambda: today() + timedelta(days=90),
    )


class SkillGapForm(FlaskForm):
    """A skill gap, how to tackle it, and the plan's goal it belongs to (choices set by
    the view: the coachee's goals, and none)."""

    gap = StringField(
        _l("Skill gap"),
        validators=[DataRequired(message=_l("Please name the skill gap.")), Length(max=300)],
    )
    plan = TextAreaField(_l("How you plan to tackle it"), validators=[Optional(), Length(max=4000)])
    goal_id = SelectField(_l("Goal of the development plan"), choices=[], validate_choice=True)


class AspectForm(FlaskForm):
    """One entry of stage three's lists; ``kind`` says which list (keep, change,
    in_the_way) and comes with each list's own add button."""

    kind = SelectField(
        _l("List"),
        choices=[SelectChoice(kind, kind.replace("_", " ").capitalize()) for kind in ASPECT_KINDS],
        validators=[DataRequired(message=_l("Choose a list."))],
    )
    text = StringField(
        _l("Entry"),
        validators=[DataRequired(message=_l("Please write the aspect.")), Length(max=MAX_ASPECT)],
    )
