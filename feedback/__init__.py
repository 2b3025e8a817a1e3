"""Mirror 360: 360-degree feedback for career coaches."""

import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from .config import DEFAULTS
from .extensions import csrf, db, login_manager, migrate

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

    from . import database  # noqa: F401  (registers the SQLite settings)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)

    _register_blueprints(app)
    _register_models()
    from .cli.commands import register_commands
    from .mail.dispatch import init_app as init_mail_dispatch
    from .security import init_app as init_security
    from .web import init_app as init_web

    init_web(app)
    init_security(app)  # after init_web: its CSRF error page replaces the plain one
    init_mail_dispatch(app)
    register_commands(app)
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


def _register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .coaching.data_rights import bp as data_rights_bp
    from .coaching.views import bp as coaching_bp
    from .dashboard.views import bp as dashboard_bp
    from .mail.views import bp as mail_bp
    from .portal.views import bp as portal_bp
    from .raters.views import bp as raters_bp

    for blueprint in (accounts_bp, coaching_bp, dashboard_bp, portal_bp, raters_bp, mail_bp):
        app.register_blueprint(blueprint)

    from .plans.views import bp as plans_bp
    from .plans.views import portal_bp as portal_plans_bp
    from .reports.views import bp as reports_bp
    from .reports.views import portal_bp as portal_reports_bp

    for blueprint in (plans_bp, portal_plans_bp, reports_bp, portal_reports_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(data_rights_bp)


def _register_models() -> None:
    """Import every domain's models so the metadata is complete for Alembic."""
    from .accounts import models as _accounts  # noqa: F401
    from .coaching import models as _coaching  # noqa: F401
    from .mail import models as _mail  # noqa: F401
    from .plans import models as _plans  # noqa: F401
    from .questionnaires import models as _questionnaires  # noqa: F401
    from .raters import models as _raters  # noqa: F401
    from .ratings import models as _ratings  # noqa: F401
    from .reports import models as _reports  # noqa: F401
