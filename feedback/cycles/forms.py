"""The coach's forms."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..coaching.questionnaires import questionnaire_choices
from ..coaching.services import coachee_with_email
from ..i18n import GROUP_NAMES, LANGUAGES
from ..questionnaires import default_questionnaire
from ..raters.services import DEFAULT_MINIMUM_IN_ALL, DEFAULT_MINIMUMS, MAX_RATERS_PER_CYCLE
from ..timeutil import today
from ..vocabulary import RATER_GROUPS, name_too_long
from .lifecycle import MAX_CYCLE_LENGTH


def name_fits(_form, field) -> None:
    """A name the columns hold, else a message. Unlike ``Length`` it gives the field no
    ``maxlength``, with which a browser silently cuts a longer name that is pasted."""
    if field.data and (problem := name_too_long(field.data)):
        raise ValidationError(problem[0].upper() + problem[1:] + ".")


class CoacheeForm(FlaskForm):
    """Add a coachee, or correct one (``coachee``). With ``coach``, an address that
    another of the coach's coachees has is refused with a message."""

    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Please give a name.")), name_fits]
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])

    def __init__(self, *args, coach=None, coachee=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.coach = coach
        self.coachee = coachee

    def validate_email(self, field) -> None:
        if self.coach is None or not field.data:
            return
        other = coachee_with_email(self.coach, field.data)
        if other is not None and (self.coachee is None or other.id != self.coachee.id):
            raise ValidationError(
                _l(
                    "%(name)s already has this address. To run another 360 for "
                    "%(first_name)s, start a new cycle from their page.",
                    name=other.name,
                    first_name=other.first_name,
                )
            )


def _language_choices() -> list[tuple[str, str]]:
    """The coachee's language: the coach's (empty) or one of the service's languages,
    each named in itself."""
    return [("", _l("The coach's language")), *LANGUAGES.items()]


class EditCoacheeForm(CoacheeForm):
    """Correct a coachee, and choose the language of their portal and emails."""

    language = SelectField(
        _l("Language of the coachee's portal and emails"),
        choices=_language_choices,
        coerce=lambda value: value or None,
        validate_choice=True,
    )


def _minimum(label: str, default: int) -> IntegerField:
    """A minimum number of raters: a whole number from 0 (no minimum) to the most
    raters a cycle can have; the default when the form does not send it."""
    return IntegerField(
        label,
        default=default,
        validators=[
            NumberRange(
                min=0,
                max=MAX_RATERS_PER_CYCLE,
                message=_l("Give a number from 0 to %(max)s.", max=MAX_RATERS_PER_CYCLE),
            ),
        ],
    )


class CycleForm(FlaskForm):
    """Start a cycle: a deadline, a note to the coachee and the questionnaire (the
    default or one of ``coach``'s own; any other key is refused as not a choice)."""

    closes_on = DateField(
        _l("Answers close after"),
        validators=[DataRequired(message=_l("Please give a valid date."))],
        default=lambda: today() + timedelta(days=21),
    )
    welcome_note = TextAreaField(
        _l("Note to the coachee"), validators=[Optional(), Length(max=2000)]
    )
    boss_exempt = BooleanField(
        _l("Show the boss's answers even when the boss is the only one in the group"),
        default=True,
    )
    approve_nominations = BooleanField(
        _l("I approve the raters before they are invited"),
        description=_l(
            "The coachee's nominations wait for you; nobody is invited until you "
            "approve them on the cycle's page."
        ),
    )
    min_boss = _minimum(_l("Boss"), DEFAULT_MINIMUMS["boss"])
    min_peers = _minimum(_l("Peers"), DEFAULT_MINIMUMS["peer"])
    min_subordinates = _minimum(_l("Subordinates"), DEFAULT_MINIMUMS["subordinate"])
    min_raters = _minimum(_l("Raters in all"), DEFAULT_MINIMUM_IN_ALL)

    @property
    def minimums(self) -> dict[str, int]:
        """The minimums given, as :func:`.lifecycle.start_cycle` takes them."""
        return {
            "min_boss": self.min_boss.data,
            "min_peers": self.min_peers.data,
            "min_subordinates": self.min_subordinates.data,
            "min_raters": self.min_raters.data,
        }

    questionnaire = SelectField(
        _l("Questionnaire"), validate_choice=True, default=lambda: default_questionnaire().key
    )
    language = SelectField(
        _l("Raters are invited in"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default="en",
        description=_l("The coachee can choose another language for each rater."),
    )

    def __init__(self, *args, coach=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire.choices = questionnaire_choices(coach) if coach is not None else []

    def validate_closes_on(self, field) -> None:
        if field.data and field.data < today():
            raise ValidationError(_l("The deadline cannot be in the past."))
        if field.data and field.data > today() + MAX_CYCLE_LENGTH:
            raise ValidationError(_l("The deadline must be within a year."))


class ReopenForm(FlaskForm):
    """Reopen a closed cycle: a new deadline, and the coach's word that they read what
    reopening means."""

    closes_on = DateField(
        _l("Answers close after"),
        validators=[DataRequired(message=_l("Please give a valid date."))],
        default=lambda: today() + timedelta(days=7),
    )
    understood = BooleanField(
        _l(
            "I understand: the results hide until the cycle closes again, and what was "
            "released to the coachee stays as it was until I release the new results."
        ),
        validators=[DataRequired(message=_l("Please confirm that you read this."))],
    )

    validate_closes_on = CycleForm.validate_closes_on


class KeepResultsForm(FlaskForm):
    """Keep a closed cycle's results as they were: the late answers that wait are
    deleted, once the coach has confirmed it."""

    understood = BooleanField(
        _l("I understand: the waiting answers are deleted and will never be shown."),
        validators=[DataRequired(message=_l("Please confirm that the waiting answers go."))],
    )


class CorrectNomineeForm(FlaskForm):
    """Correct a nominee's address or group; the link sent before stops working."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(message=_l("Please give an address.")), Length(max=254)],
    )
    group = SelectField(
        _l("Group"), choices=[SelectChoice(group, GROUP_NAMES[group]) for group in RATER_GROUPS]
    )


class ButtonForm(FlaskForm):
    """A button that changes something (approve, remove): only its CSRF token."""


class CloseBelowMinimumForm(FlaskForm):
    """Close a cycle that has fewer answers than its minimums, once the coach confirms."""

    below_minimum = BooleanField(
        _l("Close it anyway: the results show with fewer raters than asked for."),
        validators=[
            DataRequired(message=_l("Please confirm that you close it below the minimum."))
        ],
    )
