"""Mirror 360: 360-degree feedback for career coaches."""

import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from . import cycles, database, mail, raters, security, web  # noqa: F401  (database: engine settings)
from .accounts import models as _accounts_models  # noqa: F401  (every table, for Alembic)
from .accounts import views as accounts_views
from .accounts.cli import create_coach_command
from .cli.analyze import analyze_command
from .config import DEFAULTS
from .cycles import cli as cycles_cli
from .cycles import jobs
from .cycles import models as _cycles_models  # noqa: F401
from .cycles.retention import parse_retention_days
from .demo import demo_command
from .extensions import csrf, db, login_manager, migrate
from .mail import views as mail_views
from .plans import views as plans_views
from .raters.reminders import reminder_days
from .reports import models as _reports_models  # noqa: F401
from .reports import views as reports_views
from .reports.cli import report_command

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
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(prefix="FEEDBACK")
    if config:
        app.config.from_mapping(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _settle_config(app)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)

    web.init_app(app)
    security.init_app(app)
    mail.init_app(app, run_round=jobs.run_round)
    app.register_blueprint(mail_views.bp)
    app.register_blueprint(accounts_views.bp)
    raters.init_app(app)
    cycles.init_app(app)
    for blueprint in (plans_views.bp, plans_views.portal_bp, reports_views.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(reports_views.portal_bp)
    for command in (
        create_coach_command,
        *cycles_cli.COMMANDS,
        demo_command,
        analyze_command,
        report_command,
    ):
        app.cli.add_command(command)
    return app


def _settle_config(app: Flask) -> None:
    """Fill in what depends on the instance folder and check what users set."""
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = app.config.get("DATABASE_URL") or (
            f"sqlite:///{Path(app.instance_path) / 'feedback.sqlite3'}"
        )
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret_key(Path(app.instance_path))
    fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or []
    if isinstance(fallbacks, str):
        fallbacks = [key for key in fallbacks.split(",") if key]
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)
    k = int(app.config["MIN_GROUP_SIZE"])
    if k < 2:
        raise ValueError("FEEDBACK_MIN_GROUP_SIZE must be at least 2 to protect anonymity")
    app.config["MIN_GROUP_SIZE"] = k
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    reminder_days(app.config.get("REMINDER_DAYS"))
    try:
        parse_retention_days(app.config.get("RETENTION_DAYS"))
    except ValueError as exc:
        raise ValueError(f"FEEDBACK_RETENTION_DAYS: {exc}") from None


def _development_secret_key(instance: Path) -> str:
    """A random key kept in the instance folder, so links survive a restart.
    Production sets FEEDBACK_SECRET_KEY instead."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
