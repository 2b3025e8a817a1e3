"""The rater's form page, drawn once per questionnaire version, language and group and
then only filled in.

``ratings/form.html`` stays the one description of the page. For a GET, the page is
rendered once with marks in place of what belongs to one rater — the coachee's and the
coach's names, the deadline, the smallest group shown, the CSRF token, the grid of
statements and the open questions (each drawn in Python with the rater's draft) —
and kept as pieces; a request joins the pieces with its own values, escaped as the
template escapes them. Rendering the template was half of a form's GET.

What the template decides from the rater (whether the note to a boss shows, which
group they answer as) is part of the key. A page that shows something else — a
message waiting to be flashed, a signed-in coach's menu — is rendered whole, as is
every POST.
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

from flask import current_app, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ..i18n import format_deadline, page_language

#: A mark is a name between two characters of Unicode's private use area, which no
#: template text or questionnaire holds.
_MARK = re.compile("\ue000([a-z_]+)\ue001")
#: A day no cycle closes on, drawn as the deadline and then replaced by its mark.
_STAND_IN_DAY = date(1901, 2, 3)
_NAMES = frozenset(
    {
        "coachee_name",
        "first_name",
        "coach_name",
        "min_group_size",
        "deadline",
        "csrf_token",
        "statements",
        "questions",
    }
)


def _mark(name: str) -> str:
    return f"\ue000{name}\ue001"


class _MarkedForm:
    """Stands in for the answer form while the pieces are drawn (its marks hold no
    text of anyone's)."""

    def statement_grid(self, *_args, **_kwargs) -> tuple[Markup, None]:
        return Markup(_mark("statements")), None  # noqa: S704  # nosec B704

    def open_questions_html(self, *_args, **_kwargs) -> Markup:
        return Markup(_mark("questions"))  # noqa: S704  # nosec B704


def _pieces(visit, questionnaire) -> tuple[str, ...] | None:
    """The page for ``visit``'s questionnaire, language and group, cut at its marks
    (literal text at even positions, a mark's name at odd ones); None when it cannot
    be cut safely."""
    coachee = SimpleNamespace(
        name=_mark("coachee_name"),
        first_name=_mark("first_name"),
        coach=SimpleNamespace(name=_mark("coach_name")),
    )
    cycle = SimpleNamespace(
        coachee=coachee,
        min_group_size=_mark("min_group_size"),
        boss_exempt=visit.cycle.boss_exempt,
        closes_on=_STAND_IN_DAY,
    )
    page = render_template(
        "ratings/form.html",
        form=_MarkedForm(),
        cycle=cycle,
        invite=SimpleNamespace(group=visit.group),
        questionnaire=questionnaire,
        audience="rater",
        name=_mark("first_name"),
        submitted=False,
        can_decline=True,
        csrf_token=lambda: _mark("csrf_token"),
    )
    deadline = str(escape(format_deadline(_STAND_IN_DAY)))
    if page.count(deadline) != 1:
        return None
    pieces = tuple(_MARK.split(page.replace(deadline, _mark("deadline"))))
    if set(pieces[1::2]) - _NAMES or "\ue000" in "".join(pieces[::2]):
        return None
    return pieces


def form_page(visit, questionnaire, form) -> str | None:
    """The rater's form page for a GET, from the pieces kept for its questionnaire
    version, language, group and boss note, filled with ``visit``'s own values and
    ``form`` (the rater's draft); None when the page must be rendered whole."""
    if request.method != "GET" or "_flashes" in session or current_user.is_authenticated:
        return None
    cycle = visit.cycle
    key = (
        questionnaire.id,
        questionnaire.key,
        questionnaire.version,
        page_language(),
        visit.group,
        bool(cycle.boss_exempt),
    )
    kept = current_app.extensions.setdefault("rater_form_pages", {})
    if key not in kept:
        kept[key] = _pieces(visit, questionnaire)
    pieces = kept[key]
    if pieces is None:
        return None
    coachee = cycle.coachee
    first_name = coachee.first_name
    grid, first = form.statement_grid(
        questionnaire, "rater", first_name, check=False, read_only=False
    )
    values = {
        "coachee_name": escape(coachee.name),
        "first_name": escape(first_name),
        "coach_name": escape(coachee.coach.name),
        "min_group_size": escape(str(cycle.min_group_size)),
        "deadline": escape(format_deadline(cycle.closes_on)),
        "csrf_token": escape(generate_csrf()),
        "statements": grid,
        "questions": form.open_questions_html(
            questionnaire, "rater", first_name, first, disabled=False
        ),
    }
    # Literal text at even positions, a mark's name at odd ones.
    return "".join(values[piece] if index % 2 else piece for index, piece in enumerate(pieces))
