"""Mirror 360: 360-degree feedback for career coaches."""

from pathlib import Path
from typing import Any

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
from .accounts import models as accounts_models
from .accounts import views as accounts_views
from .accounts.cli import api_token_command, create_coach_command
from .cli.analyze import analyze_command
from .cli.check import check_command
from .coaching import models as coaching_models
from .cycles import cli as cycles_cli
from .cycles import jobs, questionnaire_cli
from .cycles import models as cycles_models
from .demo import demo_command
from .extensions import csrf, db, login_manager, migrate
from .journey import models as journey_models
from .mail import models as mail_models
from .mail import views as mail_views
from .plans import models as plans_models
from .plans import views as plans_views
from .pulses import models as pulses_models
from .pulses.cli import pulse_group
from .questionnaires import models as questionnaire_models
from .raters import models as raters_models
from .ratings import models as ratings_models
from .reports import models as reports_models
from .reports import views as reports_views
from .reports.cli import report_command
from .webhooks import models as webhooks_models
from .webhooks import views as webhooks_views

#: Every module with tables, so the metadata Alembic compares with is complete.
MODEL_MODULES = (
    accounts_models,
    coaching_models,
    cycles_models,
    journey_models,
    mail_models,
    plans_models,
    pulses_models,
    questionnaire_models,
    raters_models,
    ratings_models,
    reports_models,
    webhooks_models,
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
