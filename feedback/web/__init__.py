"""App-wide pages and behaviour: health check, plotly.js, error pages, link errors, a 503
while the database is away (:mod:`.unavailable`), and logs without secrets
(:mod:`.redaction`)."""

import math
from datetime import date, datetime
from numbers import Number

from babel.numbers import get_decimal_symbol
from flask import Flask, Response, has_request_context, render_template, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as NotFoundPage

from ..database import database_answers
from ..errors import NotFound
from ..extensions import compress
from ..i18n import format_deadline
from ..links import LinkError, LinkExpired
from . import assets, redaction, unavailable

#: How long a browser keeps a file whose URL changes with its content.
YEAR = 365 * 24 * 3600


#: Content types Flask-Compress compresses: static files only. Pages carry CSRF tokens
#: and links' tokens next to text a visitor can put there (a search, a name), which a
#: compressed response would leak by its length (BREACH); they go uncompressed.
COMPRESSED_TYPES = ["text/css", "text/javascript", "application/javascript", "image/svg+xml"]


def init_app(app: Flask) -> None:
    """Register the health check, the plotly.js route, compression of static files and
    the error pages."""
    redaction.install()
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    compress.init_app(app)
    unavailable.init_app(app)

    @app.get("/healthz")
    def healthz():
        """200 when the database answers, 503 (JSON, with ``Retry-After``) when it does
        not. Reads nothing else: no mail server, no outbox, no lock, no ORM session; a
        database that does not answer is given up after a couple of seconds
        (:func:`feedback.database.database_answers`)."""
        if not database_answers():
            headers = {"Retry-After": str(unavailable.RETRY_AFTER)}
            return {"status": "unavailable"}, 503, headers
        return {"status": "ok"}

    @app.get("/vendor/plotly-<version>.min.js")
    def plotly_js(version: str):
        """plotly.js, served here, never from a CDN (:mod:`.assets`): compressed when
        the browser takes it, and kept by browsers for a year under its own URL."""
        bundle = assets.plotly_bundle()
        encoding = request.accept_encodings.best_match(assets.ENCODINGS)
        response = Response(
            assets.encoded(encoding) if encoding else bundle.data, mimetype="text/javascript"
        )
        if encoding:
            response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        response.cache_control.public = True
        if version == bundle.token:
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        else:  # an old page's URL: the current file, not to be kept under that name
            response.cache_control.no_cache = True
        return response

    app.add_template_filter(format_number, "num")
    app.add_template_filter(format_whole, "whole")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_short, "g")
    from . import terms  # it uses this module's number formats

    app.add_template_filter(terms.term, "term")
    app.add_template_filter(terms.explain_agreement, "explain_agreement")

    @app.context_processor
    def _globals() -> dict:
        return {"plotly_version": assets.plotly_bundle().token}

    @app.url_defaults
    def _static_version(endpoint: str, values: dict) -> None:
        """Static URLs carry their file's hash (``?v=``), for long caching at a proxy."""
        if endpoint == "static" and "v" not in values and app.static_folder:
            version = assets.static_version(app.static_folder, values.get("filename", ""))
            if version:
                values["v"] = version

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
    # Floats (NumPy's float64 is one) and ints first: the check against the abstract
    # Number was an eighth of a warm dashboard view, which formats a few hundred figures.
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, int):
        return False
    return value is None or not isinstance(value, Number) or math.isnan(float(value))


def _locale():
    """The page's Babel locale, or None for English (and outside a request), whose
    figures and dates keep the plain forms the service has always shown."""
    locale = get_locale() if has_request_context() else None
    return None if locale is None or locale.language == "en" else locale


def format_number(value, digits: int = 2, signed: bool = False) -> str:
    """A figure for a table: a dash when hidden or missing, a sign when asked; with the
    decimal sign of the page's language (3.25 in English, 3,25 in German)."""
    if _missing(value):
        return "–"
    shown = f"{float(value):{'+' if signed else ''}.{digits}f}"
    locale = _locale()
    # The same digits, rounded once, with the language's decimal sign (no grouping: the
    # figures are scores and gaps).
    return shown if locale is None else shown.replace(".", get_decimal_symbol(locale))


def format_short(value) -> str:
    """A number in its shortest form (2.5, 3, 0.7), as ``%g`` writes it, with the decimal
    sign of the page's language."""
    shown = f"{float(value):g}"
    locale = _locale()
    return shown if locale is None else shown.replace(".", get_decimal_symbol(locale))


def format_day(value: date | datetime | None) -> str:
    """A day as the page's language writes it, through Babel: "January 15, 2027",
    "15. Januar 2027", "15 janvier 2027", "15 de enero de 2027". Outside a request (a
    command's output) the ISO form, 2027-01-15; what machines read (CSV, the API, the
    XLSX's data sheets) never comes through here."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return format_deadline(day) if has_request_context() else day.isoformat()


def format_whole(value) -> str:
    """A count for a table: a dash when hidden."""
    return "–" if _missing(value) else str(int(value))
