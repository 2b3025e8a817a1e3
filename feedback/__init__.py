"""Mirror 360: 360-degree feedback for career coaches.

Importing the package is cheap: the app's parts are imported when :func:`create_app`
builds it, so ``feedback analyze`` (which needs only :mod:`feedback.analysis`) does not
start by importing Flask, SQLAlchemy and Alembic.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

#: Every module with tables, imported when the app is built, so that the metadata
#: Alembic compares with is complete.
MODEL_MODULES = (
    "accounts.models",
    "coaching.models",
    "cycles.models",
    "journey.models",
    "mail.models",
    "plans.models",
    "pulses.models",
    "questionnaires.models",
    "raters.models",
    "ratings.models",
    "reports.models",
    "webhooks.models",
)
PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def _template_folder() -> Path:
    """Templates live beside the package in a checkout, inside it in a wheel."""
    inside = PACKAGE_DIR / "templates"
    return inside if inside.is_dir() else PACKAGE_DIR.parent / "templates"


def create_app(config: dict[str, Any] | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the application: settings (defaults, then ``FEEDBACK_*`` variables,
    then ``config``), extensions, blueprints and commands. ``instance_path`` holds the
    SQLite database, the development key and mail files (default: ``instance/``)."""
    from flask import Flask

    from . import (
        api,
        cycles,
        database,  # noqa: F401  (SQLite's pragmas on every connection)
        i18n,
        journey,
        mail,
        pulses,
        raters,
        security,
        settings,
        web,
    )
    from .accounts import views as accounts_views
    from .accounts.cli import api_token_command, create_coach_command
    from .cli.analyze import analyze_command
    from .cli.check import check_command
    from .cycles import cli as cycles_cli
    from .cycles import jobs, questionnaire_cli
    from .demo import demo_command
    from .extensions import csrf, db, login_manager, migrate
    from .mail import views as mail_views
    from .plans import views as plans_views
    from .pulses.cli import pulse_group
    from .reports import views as reports_views
    from .reports.cli import report_command
    from .webhooks import views as webhooks_views

    for module in MODEL_MODULES:
        importlib.import_module(f".{module}", __name__)

    app = Flask(
        __name__,
        template_folder=str(_template_folder()),
        instance_path=instance_path,
        instance_relative_config=True,
    )
    app.config.from_mapping(settings.DEFAULTS)
    app.config.from_prefixed_env(prefix="FEEDBACK")
    if config:
        app.config.from_mapping(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings.init_app(app)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)

    web.init_app(app)
    security.init_app(app)
    mail.init_app(app, run_round=jobs.run_round)
    mail_views.init_app(app)
    app.register_blueprint(accounts_views.bp)
    raters.init_app(app)
    cycles.init_app(app)
    for blueprint in (plans_views.bp, plans_views.portal_bp, reports_views.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(reports_views.portal_bp)
    app.register_blueprint(webhooks_views.bp)
    journey.init_app(app)
    pulses.init_app(app)
    api.init_app(app)
    for command in (
        create_coach_command,
        api_token_command,
        *cycles_cli.COMMANDS,
        *questionnaire_cli.COMMANDS,
        demo_command,
        analyze_command,
        report_command,
        check_command,
        pulse_group,
    ):
        app.cli.add_command(command)
    return app
