"""The coach's login form and the forms of their settings page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from ..i18n import LANGUAGES


class LoginForm(FlaskForm):
    """Email and password; both required."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class ApiTokenForm(FlaskForm):
    """A new API token: what it is for, and whether it may change data."""

    name = StringField(_l("What is it for?"), validators=[Optional(), Length(max=80)])
    scope = RadioField(
        _l("It may"),
        choices=[
            SelectChoice("read", _l("Read only")),
            SelectChoice("write", _l("Read and change (add, close, delete)")),
        ],
        default="read",
        validators=[DataRequired()],
    )


class RevokeTokenForm(FlaskForm):
    """Revoke a token (the form carries only its CSRF token)."""


#: The value of "your browser's language" in the language select (no setting).
BROWSER_LANGUAGE = ""


class LanguageForm(FlaskForm):
    """The language of the coach's own pages: one of the service's, or the browser's."""

    language = SelectField(
        _l("Language of your pages"),
        choices=[SelectChoice(BROWSER_LANGUAGE, _l("Your browser's language"))]
        + [SelectChoice(code, name) for code, name in LANGUAGES.items()],
        default=BROWSER_LANGUAGE,
        validate_choice=True,
    )
