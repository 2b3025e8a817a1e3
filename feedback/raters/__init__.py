"""Raters: who was asked for feedback (invites), nominating and inviting them,
reminders, their form, and what their mail means for an invite."""

from flask import Flask

from . import mailing, views


def init_app(app: Flask) -> None:
    """Register the rater's form and the raters' kinds of mail."""
    mailing.init_app(app)
    app.register_blueprint(views.bp)
