"""The coach's own wording of the raters' invitation and reminder: edit, preview with
sample values, save, and go back to the default (:mod:`feedback.coaching.voice`)."""

from datetime import timedelta
from types import SimpleNamespace

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired

from ..coaching import voice
from ..database import commit
from ..timeutil import today

bp = Blueprint("voice", __name__, url_prefix="/settings/emails")

#: The sample cycle a preview is written for.
SAMPLE_COACHEE = "Alex Morgan"
SAMPLE_RATER = "Sam"
#: Each email as the pages name it, in the page's language.
LABELS = {"invite": _l("Invitation"), "reminder": _l("Reminder")}
#: What each placeholder stands for, in the page's language.
PLACEHOLDER_MEANINGS = {
    "coachee": _l("the coachee's name"),
    "deadline": _l("the last day raters can answer"),
    "coach": _l("your name"),
}
#: What the coach is told once a text is saved, and once it is the default again.
SAVED = {
    "invite": _l("Your invitation text is saved."),
    "reminder": _l("Your reminder text is saved."),
}
RESET = {
    "invite": _l("The invitation is back to the default text."),
    "reminder": _l("The reminder is back to the default text."),
}
#: Where the rater's own link goes in a preview.
SAMPLE_LINK = "https://…/r/(each rater's own link)"


class MailTextForm(FlaskForm):
    """A subject and a body with placeholders."""

    subject = StringField(
        _l("Subject"), validators=[DataRequired(message=_l("Please write a subject."))]
    )
    body = TextAreaField(
        _l("Your text"), validators=[DataRequired(message=_l("Please write a text."))]
    )


class ResetForm(FlaskForm):
    """Go back to the default text (the form carries only its CSRF token)."""


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here is the coach's."""


def _kind(kind: str) -> str:
    if kind not in voice.KINDS:
        abort(404)
    return kind


@bp.get("/")
def list_texts():
    """The emails a coach can word, and whether each is theirs or the default."""
    wordings = {kind: voice.wording(current_user.id, kind) for kind in voice.KINDS}
    return render_template("coaching/emails.html", wordings=wordings, labels=LABELS)


@bp.route("/<kind>", methods=["GET", "POST"])
def edit_text(kind: str):
    """Edit one email's subject and body; "Preview" shows it written for a sample
    cycle, "Save" keeps it. A text that does not read is refused at its field (400),
    and the text saved before stays."""
    kind = _kind(kind)
    current = voice.wording(current_user.id, kind)
    form = MailTextForm(data={"subject": current.subject, "body": current.body})
    preview = None
    status = 200
    if form.validate_on_submit():
        subject, body = form.subject.data, form.body.data
        problems = _problems(subject, body)
        for field, message in problems.items():
            getattr(form, field).errors = [message]
        if problems:
            status = 400
        elif _pressed("save"):
            voice.save(current_user.id, kind, subject=subject, body=body)
            commit()
            flash(str(SAVED[kind]), "success")
            return redirect(url_for("voice.edit_text", kind=kind))
        else:
            preview = _preview(kind, subject, body)
    elif form.is_submitted():
        status = 400
    return render_template(
        "coaching/email_text.html",
        form=form,
        kind=kind,
        label=LABELS[kind],
        own=current.own,
        placeholders={name: PLACEHOLDER_MEANINGS.get(name, name) for name in voice.PLACEHOLDERS},
        preview=preview,
        reset_form=ResetForm(),
    ), status


@bp.post("/<kind>/reset")
def reset_text(kind: str):
    """Go back to the default wording."""
    kind = _kind(kind)
    if not ResetForm().validate_on_submit():
        abort(400, _("The form has expired; please try again."))
    if voice.reset(current_user.id, kind):
        commit()
    flash(str(RESET[kind]), "success")
    return redirect(url_for("voice.edit_text", kind=kind))


def _pressed(action: str) -> bool:
    return request.form.get("action") == action


def _problems(subject: str, body: str) -> dict[str, str]:
    """What is wrong with each field, by field name (checked without saving)."""
    problems = {}
    for field, text, longest in (
        ("subject", " ".join(subject.split()), voice.MAX_SUBJECT),
        ("body", body.strip(), voice.MAX_BODY),
    ):
        if len(text) > longest:
            problems[field] = _("At most %(count)s characters, please.", count=longest)
            continue
        try:
            voice.check(text)
        except voice.TextProblem as exc:
            problems[field] = str(exc)[0].upper() + str(exc)[1:] + "."
    return problems


def _preview(kind: str, subject: str, body: str) -> dict[str, str]:
    """The email as a rater would get it, for a sample cycle two weeks from today."""
    closes_on = today() + timedelta(days=14)
    values = voice.values_for(
        coachee_name=SAMPLE_COACHEE, closes_on=closes_on, coach_name=current_user.name
    )
    text = voice.fill(body.strip(), values)
    context = {
        "invite": SimpleNamespace(name=SAMPLE_RATER, group="peer", state="sent"),
        "cycle": SimpleNamespace(
            closes_on=closes_on,
            min_group_size=current_app.config["MIN_GROUP_SIZE"],
            boss_exempt=True,
        ),
        "coachee": SimpleNamespace(name=SAMPLE_COACHEE, first_name=SAMPLE_COACHEE.split()[0]),
        "coach": SimpleNamespace(name=current_user.name),
        "url": SAMPLE_LINK,
        "days_left": 14,
        "own_text": text,
        "own_paragraphs": voice.paragraphs(text),
    }
    template = current_app.jinja_env.get_template(f"email/{kind}.txt")
    return {
        "subject": voice.fill(" ".join(subject.split()), values),
        "text": template.render(context),
    }
