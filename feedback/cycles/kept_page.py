"""A closed cycle's dashboard page kept once rendered, and then only given its request's
CSRF token.

A closed cycle's results cannot change, and the rest of its page changes seldom (a
bounce, the plan's goals, a release), yet the whole template was rendered for every
view: most of a warm view's CPU, once the results themselves were kept. So the page
is rendered as ``dashboard/cycle.html`` always renders it, with a mark in place of
the CSRF token, and kept with the report it was drawn from (itself kept per cycle,
closing, rules, coachee's name and language) together with a fingerprint of
everything else the template reads: every column of the signed-in coach, the cycle
and the coachee, the answers per group, whether there are new results to release,
the plan's goals (every column), whether the coachee has other cycles, whether a PDF
can be printed, the page's language and the application's root URL. A view whose
fingerprint differs renders the page again and keeps that one instead. A request
then only puts its own CSRF token in place of each mark, so the page is byte for
byte the one the whole render gives (tests/dashboard/test_kept_page.py).

Where it is kept: in the worker's memory, beside the report in the per-process cache
of closed cycles' results (``results.CACHE_SIZE`` reports at most, the least recently
used going first), one page per report, as UTF-8 bytes (about 120 kB for 35
statements and 15 raters: half what the same text takes as a Python string, and
what the response sends without encoding it again). Only a digest of the fingerprint
is kept, never the coach's columns themselves.

What is rendered whole every time, as before: a page with a message waiting to be
flashed, with held answers (their form), with predictions or a previous plan's goals
(their figures come from the results' frames), and any page whose render holds a CSRF
token that is not the mark's.
"""

from __future__ import annotations

import hashlib

from flask import render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..i18n import page_language
from ..reports.pdf import pdf_available

TEMPLATE = "dashboard/cycle.html"
#: Stands for the CSRF token while the page is drawn (Unicode's private use area: no
#: template text, name or answer holds it... and a page that does is rendered whole).
_MARK = "\ue000csrf_token\ue001"
#: Where the kept page sits in its report's ``html`` (beside the ``once`` sections).
_SLOT = "page"


def _columns(row) -> tuple:
    """Every column's value of an ORM ``row``, in the mapper's order."""
    return tuple(getattr(row, attribute.key) for attribute in row.__mapper__.column_attrs)


def _fingerprint(context: dict) -> bytes:
    """A digest of everything the page shows besides its report and its CSRF token."""
    cycle, coachee = context["cycle"], context["coachee"]
    progress = context["progress"]
    parts = (
        _columns(current_user._get_current_object()),
        _columns(cycle),
        _columns(coachee),
        len(coachee.cycles) > 1,
        tuple((group, tuple(counts.items())) for group, counts in progress.items()),
        bool(context["new_results"]),
        tuple(_columns(goal) for goal in context["goals"]),
        pdf_available(),
        page_language(),
        request.script_root,
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


def kept_page(context: dict) -> bytes | None:
    """The dashboard page of ``context`` (what :func:`.dashboard.show_cycle` renders
    ``dashboard/cycle.html`` with), as UTF-8, from the one kept with its report when
    nothing it shows has changed, rendering and keeping it otherwise; None when the
    page must be rendered whole (see the module's docstring)."""
    report = context["report"]
    if (
        report is None
        or "_flashes" in session
        or context["held"]
        or context["predictions"]
        or context["follow_up"]
        or context["portal_problem"]
    ):
        return None
    fingerprint = _fingerprint(context)
    kept = report.html.get(_SLOT)
    if kept is None or kept[0] != fingerprint:
        page = render_template(TEMPLATE, **context, csrf_token=lambda: _MARK)
        pieces = page.split(_MARK)
        # Every token the page holds is a mark (none drawn by a macro outside the
        # context), and no text held the mark's characters.
        if page.count('name="csrf_token"') != len(pieces) - 1 or "\ue000" in "".join(pieces):
            return None
        kept = report.html[_SLOT] = (fingerprint, tuple(piece.encode() for piece in pieces))
    pieces = kept[1]
    if len(pieces) == 1:
        return pieces[0]
    return generate_csrf().encode().join(pieces)
