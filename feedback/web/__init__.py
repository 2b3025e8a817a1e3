"""App-wide pages and behaviour: health check, plotly.js, error pages, link errors, a 503
while the database is away (:mod:`.unavailable`), and logs without secrets
(:mod:`.redaction`)."""

import math
from numbers import Number

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as NotFoundPage

from ..database import database_answers
from ..errors import NotFound
from ..extensions import compress
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


def format_number(value, digits: int = 2, signed: bool = False) -> str:
    """A figure for a table: a dash when hidden or missing, a sign when asked."""
    if _missing(value):
        return "–"
    return f"{float(value):{'+' if signed else ''}.{digits}f}"


def format_whole(value) -> str:
    """A count for a table: a dash when hidden."""
    return "–" if _missing(value) else str(int(value))
