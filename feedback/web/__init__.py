"""App-wide pages and behaviour: health check, plotly.js, error pages, link errors, and
logs without secrets (:mod:`.redaction`)."""

import math
from numbers import Number
from pathlib import Path

import plotly
from flask import Flask, render_template, send_file
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as NotFoundPage

from ..errors import NotFound
from ..extensions import db
from ..links import LinkError, LinkExpired
from . import redaction

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def init_app(app: Flask) -> None:
    """Register the health check, the plotly.js route and the error pages."""
    redaction.install()

    @app.get("/healthz")
    def healthz():
        """200 when the database answers, 503 when it does not."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:
            db.session.rollback()
            return {"status": "unavailable"}, 503
        return {"status": "ok"}

    @app.get("/vendor/plotly-<version>.min.js")
    def plotly_js(version: str):
        """plotly.js from the installed plotly package: served here, never from a CDN.
        The version in the URL lets browsers cache it for a year."""
        return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=365 * 24 * 3600)

    app.add_template_filter(format_number, "num")
    app.add_template_filter(format_whole, "whole")

    @app.context_processor
    def _globals() -> dict:
        return {"plotly_version": plotly.__version__}

    @app.errorhandler(LinkExpired)
    def _expired_link(_error):
        return render_template("errors/link.html", expired=True), 410

    @app.errorhandler(LinkError)
    def _bad_link(_error):
        return render_template("errors/link.html", expired=False), 404

    @app.errorhandler(NotFound)
    def _not_found(_error):
        return render_template("errors/error.html", code=404, message=NotFoundPage.description), 404

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return render_template(
            "errors/error.html", code=error.code, message=error.description
        ), error.code


def _missing(value) -> bool:
    return value is None or not isinstance(value, Number) or math.isnan(float(value))


def format_number(value, digits: int = 2, signed: bool = False) -> str:
    """A figure for a table: a dash when hidden or missing, a sign when asked."""
    if _missing(value):
        return "–"
    return f"{float(value):{'+' if signed else ''}.{digits}f}"


def format_whole(value) -> str:
    """A count for a table: a dash when hidden."""
    return "–" if _missing(value) else str(int(value))
