"""Releasing a cycle's report to the coachee, and keeping it as it was released."""

from flask import render_template
from flask_babel import gettext as _

from ..coaching.models import Cycle
from ..extensions import db
from ..i18n import speaking
from ..raters.services import progress
from ..ratings.held import shown_rater_answers
from ..ratings.results import cycle_report
from ..timeutil import utcnow
from ..vocabulary import GROUP_LABELS, CycleState
from ..web.terms import explain_to_coachee
from .models import ReleasedReport


class ReleaseError(ValueError):
    """The report cannot be released (the cycle is not closed, or nobody answered)."""


def release(cycle: Cycle) -> None:
    """Show the coachee the current results of closed ``cycle`` in their portal; a
    cycle closed again after a reopening replaces what was released before."""
    if cycle.state is not CycleState.CLOSED:
        raise ReleaseError(_("only a closed cycle can be released"))
    html = _render(cycle)
    if html is None:
        raise ReleaseError(_("no rater has answered, so there is no report to share"))
    now = utcnow()
    shown = shown_rater_answers(cycle)
    kept = db.session.get(ReleasedReport, cycle.id)
    if kept is None:
        db.session.add(
            ReleasedReport(cycle_id=cycle.id, released_at=now, html=html, answers_shown=shown)
        )
    else:
        kept.released_at, kept.html, kept.answers_shown = now, html, shown
    cycle.released_at = now
    db.session.flush()


def new_results_to_release(cycle: Cycle) -> bool:
    """Whether closed ``cycle`` has results the coachee has not been shown: never
    released, or closed again after a release with other answers in its results (a
    close whose late answers all wait changes nothing the coachee would see)."""
    if cycle.state is not CycleState.CLOSED:
        return False
    if cycle.released_at is None:
        return True
    if cycle.closed_at is None or cycle.released_at >= cycle.closed_at:
        return False
    kept = db.session.get(ReleasedReport, cycle.id)
    if kept is None or kept.answers_shown is None:
        return True
    return shown_rater_answers(cycle) != kept.answers_shown


def released_html(cycle: Cycle) -> str | None:
    """The report's sections as released to the coachee, or None before a release."""
    if cycle.released_at is None:
        return None
    kept = db.session.get(ReleasedReport, cycle.id)
    return kept.html if kept is not None else None


def _render(cycle: Cycle) -> str | None:
    # Kept as released, so written once in the coachee's language, whoever releases it:
    # the results' wording (statements, competencies, charts) too, not only the page's.
    with speaking(cycle.coachee.speaks):
        report = cycle_report(cycle)
        if report is None:
            return None
        return _render_released(cycle, report)


def _render_released(cycle: Cycle, report) -> str:
    return render_template(
        "reports/_released.html",
        cycle=cycle,
        report=report,
        results=report.results,
        progress=progress(cycle),
        group_labels=GROUP_LABELS,
        explain_to_coachee=explain_to_coachee,
    )
