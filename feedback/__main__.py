"""The ``feedback`` command (and ``python -m feedback``): Flask's CLI over
:func:`feedback.create_app`, so ``flask --app wsgi …`` runs the same commands (each
domain's commands are registered on ``app.cli``)."""

import click
from flask.cli import FlaskGroup

from . import create_app


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False)
def cli() -> None:
    """Mirror 360: 360-degree feedback for career coaches."""


def main() -> None:
    """Entry point of the ``feedback`` console script."""
    cli(prog_name="feedback")


if __name__ == "__main__":
    main()
