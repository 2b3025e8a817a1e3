"""The coach's login form and the forms of their settings page."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional


class LoginForm(FlaskForm):
    """Email and password; both required."""

    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class ApiTokenForm(FlaskForm):
    """A new API token: what it is for, and whether it may change data."""

    name = StringField("What is it for?", validators=[Optional(), Length(max=80)])
    scope = RadioField(
        "It may",
        choices=[
            SelectChoice("read", "Read only"),
            SelectChoice("write", "Read and change (add, close, delete)"),
        ],
        default="read",
        validators=[DataRequired()],
    )


class RevokeTokenForm(FlaskForm):
    """Revoke a token (the form carries only its CSRF token)."""
