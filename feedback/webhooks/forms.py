"""The forms of the coach's webhooks page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, ValidationError

from .services import EVENTS

#: What each event means, in the coach's words.
EVENT_LABELS = {
    "cycle.closed": _l("A cycle closes (cycle.closed)"),
    "cycle.results_ready": _l("A closed cycle's results are ready (cycle.results_ready)"),
    "cycle.released": _l("You release a report to the coachee (cycle.released)"),
    "invite.bounced": _l("An invitation bounces (invite.bounced)"),
    "nomination.pending_approval": _l(
        "Nominations wait for your approval (nomination.pending_approval)"
    ),
    "pulse.closed": _l("A pulse closes; its results show (pulse.closed)"),
}


def _at_least_one(_form, field) -> None:
    # Not DataRequired: that marks every checkbox required, as if each had to be ticked.
    if not field.data:
        raise ValidationError(_l("Choose at least one event."))


class WebhookForm(FlaskForm):
    """A new endpoint: its URL and the events it hears."""

    url = StringField(
        _l("URL of your tool"),
        validators=[DataRequired(_l("Give the URL of your tool.")), Length(max=2000)],
        description=_l("https to a host on the internet (or http to this machine, for testing)"),
    )
    events = SelectMultipleField(
        _l("Tell it when"),
        validators=[_at_least_one],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.events.choices = [(event, EVENT_LABELS.get(event, event)) for event in EVENTS]


class RemoveWebhookForm(FlaskForm):
    """Remove an endpoint (the form carries only its CSRF token)."""
