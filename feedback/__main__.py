"""The ``feedback`` command (and ``python -m feedback``): Flask's CLI over
:func:`feedback.create_app`, so ``flask --app wsgi …`` runs the same commands (each
domain's commands are registered on ``app.cli``)."""

import click
from flask import Flask
from flask.cli import FlaskGroup

from . import create_app
from .cli.analyze import analyze_command


class BadSetting(click.ClickException):
    """A FEEDBACK_* setting that cannot be used: its message, and exit status 2."""

    exit_code = 2


def _app() -> Flask:
    try:
        return create_app()
    except ValueError as exc:  # feedback.settings names the variable
        raise BadSetting(str(exc)) from None


@click.group(cls=FlaskGroup, create_app=_app, add_version_option=False)
def cli() -> None:
    """Mirror 360: 360-degree feedback for career coaches."""


# The gap analysis of a ratings file needs no app: found on the group itself, it runs
# without building one (the web app's imports and set-up, most of a second), and
# without the FEEDBACK_* settings that only the service reads. The app registers it too,
# for ``flask --app wsgi analyze``.
cli.add_command(analyze_command)


def main() -> None:
    """Entry point of the ``feedback`` console script."""
    cli(prog_name="feedback")


if __name__ == "__main__":
    main()
