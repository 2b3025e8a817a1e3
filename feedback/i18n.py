"""The languages people see the service in (Flask-Babel), and whose language a page is in.

Every text a person reads goes through gettext: ``_()`` / ``ngettext()`` in templates,
:func:`flask_babel.gettext` in Python, :func:`flask_babel.lazy_gettext` where a text is
defined at import time (form labels, constants). The catalogues live in
``feedback/translations/<code>/LC_MESSAGES/messages.po``, compiled beside it into the
``messages.mo`` the service reads (both kept in the repository, so that a checkout runs
without a build step); ``feedback translations`` extracts, updates and compiles them
(README "Languages").

Whose language a page is in: what the request said with :func:`use` — a view that knows
the person the page is for (a rater's form, a coachee's portal), or, before any view, the
signed-in coach's own setting (``accounts``: every request of a coach's session) — else
the browser's ``Accept-Language``, else English. Choosing reads nothing but the request:
no database, so the page shown while the database is away still has a language. A page says which in
``<html lang>`` and in the ``Content-Language`` header. Mail is rendered outside any
request, inside :func:`flask_babel.force_locale` with the recipient's language.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from babel import negotiate_locale
from babel.dates import format_date
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, has_app_context, has_request_context, request
from flask.cli import AppGroup
from flask_babel import force_locale, get_locale, gettext, refresh
from flask_babel import lazy_gettext as _l

from .extensions import babel
from .vocabulary import GROUP_LABELS, OTHER, SELF

#: The languages the service speaks, by code, each named in itself (for a language menu).
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
#: The rater groups as a page names them, in the page's language (lazy texts, translated
#: when shown); :data:`feedback.vocabulary.GROUP_LABELS` stays plain English, since it
#: names the groups in the analysis' frames and the machine-facing exports.
GROUP_NAMES = {
    SELF: _l("Self"),
    "boss": _l("Boss"),
    "peer": _l("Peers"),
    "subordinate": _l("Subordinates"),
    "partner": _l("Partners"),
    OTHER: _l("Other raters"),
}
#: The language of the source texts; its catalogue is the messages themselves.
SOURCE_LANGUAGE = "en"
#: Where the catalogues are kept, beside this module.
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
#: What extraction reads (Python and Jinja), relative to the project's root.
BABEL_CONFIG = "babel.cfg"


#: What a person may type for a language (lower case): its code, its English name and
#: its name in itself, with and without accents.
LANGUAGE_WORDS = {
    **{code: code for code in LANGUAGES},
    "english": "en",
    "german": "de",
    "deutsch": "de",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
}


def parse_language(raw: str) -> str:
    """The code of the language ``raw`` names ("de", "German", "Deutsch", any case);
    raises ValueError with a message that says what is accepted."""
    code = LANGUAGE_WORDS.get(" ".join(raw.lower().split()))
    if code is None:
        raise ValueError(
            gettext(
                "“%(word)s” is not a language we speak; use %(codes)s or a name such as "
                "German or Deutsch",
                word=raw.strip(),
                codes=", ".join(LANGUAGES),
            )
        )
    return code


def format_deadline(day) -> str:
    """A date as a deadline reads in the current language, as the pages write days
    (Babel's long form): "January 15, 2027", "15. Januar 2027", "15 janvier 2027", "15
    de enero de 2027". An ISO string (as a queued email's params keep dates) is read as
    that date."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    language = page_language() if has_app_context() else SOURCE_LANGUAGE
    return format_date(day, "long", locale=language)


def known(language: str | None) -> str | None:
    """``language`` if the service speaks it, else None (a stale or hand-made code)."""
    return language if language in LANGUAGES else None


def use(language: str | None) -> None:
    """Show the rest of this request in ``language`` (ignored when None or unknown): for
    views that know whose page it is, such as a rater's form or a coachee's portal."""
    if known(language):
        g.page_language = language
        refresh()


def speaking(language: str | None):
    """A context in which texts are in ``language`` (English when None or unknown): for
    what is written to someone other than the reader of the page, such as an email's
    subject queued while the coach's page is in the coach's language."""
    return force_locale(known(language) or SOURCE_LANGUAGE)


def select_locale() -> str:
    """The language of this request's page: see the module's docstring for the order."""
    chosen = g.get("page_language")
    if chosen:
        return chosen
    if has_request_context() and (request.blueprint or "").partition(".")[0] == "api":
        # The JSON API is for programs: its messages stay as README documents them,
        # whatever language the client's Accept-Language names.
        return SOURCE_LANGUAGE
    if has_request_context():
        # Babel's negotiation keeps the browser's order: "de-CH, fr;q=0.5" is German,
        # where Werkzeug's best_match would take the exact "fr" first.
        asked = [value.replace("-", "_") for value, _quality in request.accept_languages]
        return negotiate_locale(asked, list(LANGUAGES)) or SOURCE_LANGUAGE
    return SOURCE_LANGUAGE


def group_name(label: str) -> str:
    """A group's English label (a value of GROUP_LABELS, as the analysis' frames carry
    it) or key, in the page's language; anything else as it is."""
    if label in GROUP_NAMES:
        return str(GROUP_NAMES[label])
    for key, english in GROUP_LABELS.items():
        if english == label:
            return str(GROUP_NAMES[key])
    return label


def page_language() -> str:
    """The code of the language the current page is in, for ``<html lang>``."""
    return str(get_locale() or SOURCE_LANGUAGE)


def compile_catalogues(directory: Path = TRANSLATIONS, *, force: bool = False) -> list[Path]:
    """Compile each ``.po`` whose ``.mo`` is missing or older (all of them with
    ``force``); return the ``.mo`` files written. Fuzzy entries are left out, as gettext
    does."""
    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parent.parent.name)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as target:
            write_mo(target, catalogue)
        tmp.replace(mo)
        written.append(mo)
    return written


translations_command = AppGroup(
    "translations", help="Extract, update and compile the catalogues of the service's texts."
)


def extract(template: Path) -> None:
    """Write every text the code and templates mark for translation into ``template``
    (a ``.pot`` file), sorted and without source locations, so that its diff shows
    only texts that changed."""
    root = TRANSLATIONS.parent.parent
    CommandLineInterface().run(
        [
            *("pybabel", "-q", "extract", "-F", str(root / BABEL_CONFIG)),
            *("-k", "_l", "-k", "lazy_gettext", "--no-location", "--sort-output"),
            *("--project", "Mirror 360", "--copyright-holder", "the Mirror 360 authors"),
            *("-o", str(template), str(root)),
        ]
    )


@translations_command.command("extract")
def extract_command() -> None:
    """Collect every marked text into messages.pot and merge it into each language's
    catalogue (new texts arrive untranslated; changed ones are marked fuzzy)."""
    template = TRANSLATIONS / "messages.pot"
    TRANSLATIONS.mkdir(exist_ok=True)
    extract(template)
    pybabel = CommandLineInterface()
    for code in LANGUAGES:
        if code == SOURCE_LANGUAGE:
            continue
        command = "update" if (TRANSLATIONS / code).is_dir() else "init"
        pybabel.run(
            ["pybabel", "-q", command, "-i", str(template), "-d", str(TRANSLATIONS), "-l", code]
            + (["--ignore-obsolete"] if command == "update" else [])
        )
    others = [code for code in LANGUAGES if code != SOURCE_LANGUAGE]
    click.echo(f"Updated messages.pot and the catalogues of {', '.join(others)}.")


@translations_command.command("compile")
@click.option("--force", is_flag=True, help="Compile every catalogue, not only changed ones.")
def compile_command(force: bool) -> None:
    """Compile the catalogues the service reads at run time (.po to .mo)."""
    written = compile_catalogues(force=force)
    click.echo(f"Compiled {len(written)} catalogue(s).")


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with :func:`select_locale`, ``page_language`` for templates and
    the ``Content-Language`` header."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", SOURCE_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(page_language=page_language, LANGUAGES=LANGUAGES)
    app.add_template_filter(format_deadline, "deadline")
    app.add_template_filter(group_name, "group_name")
    app.cli.add_command(translations_command)

    @app.after_request
    def say_the_language(response):
        if response.status_code // 100 == 3:
            return response  # a redirect's page is not read; where it leads says its own
        if response.mimetype == "text/html" and "Content-Language" not in response.headers:
            response.headers["Content-Language"] = page_language()
        return response
