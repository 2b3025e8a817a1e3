"""The whole coaching journey: the method's six conversations for one coachee, with
the 360 at its heart.

- :mod:`.stages` — the six stages and their questions, shipped as ``stages.toml``;
- :mod:`.models` — per coachee: the coach's own and hidden questions, homework, the
  coachee's answers and reflections, the coach's private session notes, first steps;
- :mod:`.services` — what can be done with them (services flush, the request commits);
- :mod:`.gaps` — stage three's skill gaps, each tied to a goal of the plan if wanted;
- :mod:`.decision` — stage five's decision matrix, ranked by weighted score;
- :mod:`.review` — success criteria with a review date, and the emails on that date
  (queued by the scheduled round, :func:`feedback.cycles.jobs.housekeeping`);
- :mod:`.seen` — stage two answered by the released 360, read back from the report as
  it was released (nothing is computed again);
- :mod:`.summary` — the printable summary the coach shares in the portal;
- :mod:`.views` — the coach's pages and the coachee's, behind the portal link.

A domain above plans and reports, below the cycle's life (docs/architecture.md).
"""

from typing import Any

from flask import Flask

from .. import links
from ..mail.outbox import register_links
from . import views
from .review import (
    REVIEW_COACH_MAIL,
    REVIEW_COACHEE_MAIL,
    coach_review_link,
    coachee_review_link,
)
from .services import HOMEWORK_MAIL


def homework_link(context: dict[str, Any]) -> str:
    """The coach's page of the stage whose homework came in."""
    return links.external_url(
        "journey.show_stage", coachee_id=context["coachee"].id, stage_key=context["stage"]
    )


def init_app(app: Flask) -> None:
    """Register the journey's pages and its kind of mail."""
    register_links(
        app,
        {
            HOMEWORK_MAIL: homework_link,
            REVIEW_COACH_MAIL: coach_review_link,
            REVIEW_COACHEE_MAIL: coachee_review_link,
        },
    )
    app.register_blueprint(views.bp)
    app.register_blueprint(views.portal_bp)
