"""Test data made through the services, with no HTTP in between: a service test calls
these inside an app context (``with app.test_request_context():``, as links are
signed) and commits when it wants the data to outlive the session."""

from datetime import date, timedelta

from feedback.accounts.models import Coach
from feedback.accounts.services import create_coach
from feedback.coaching.models import Coachee, Cycle
from feedback.coaching.services import add_coachee
from feedback.cycles import lifecycle
from feedback.questionnaires import default_questionnaire
from feedback.raters import services as raters
from feedback.raters.models import Invite
from feedback.ratings.answers import Answers
from feedback.ratings.store import store_answers
from feedback.timeutil import today
from feedback.vocabulary import SELF

#: The default questionnaire's statements.
ITEMS = [item.key for item in default_questionnaire().items]


def coach(email: str = "coach@example.com", name: str = "Clara Coach") -> Coach:
    """A coach whose password is ``long enough pw``."""
    return create_coach(email=email, name=name, password="long enough pw")


def coachee(of: Coach | None = None, *, name: str = "Casey Doe", email: str = "") -> Coachee:
    """A coachee of ``of`` (a new coach when None)."""
    owner = of or coach()
    return add_coachee(owner, name=name, email=email or f"casey.{owner.id}@example.com")


def cycle(of: Coachee | None = None, *, closes_on: date | None = None, **options) -> Cycle:
    """An open cycle of ``of`` (a new coachee when None), its portal mail queued."""
    return lifecycle.start_cycle(
        of or coachee(), closes_on=closes_on or today() + timedelta(days=14), **options
    )


def answers(score: int | None = 4, **texts: str) -> Answers:
    """The same score on every statement (None: "Don't know"), and the texts given."""
    return Answers(scores=dict.fromkeys(ITEMS, score), texts=texts)


def self_assessment(of: Cycle, score: int = 4, **texts: str) -> None:
    """The coachee's submitted self-assessment."""
    store_answers(of, SELF, answers(score, **texts), submit=True)


def invites(of: Cycle, groups: dict[str, int]) -> list[Invite]:
    """Invites to ``of``: ``{"peer": 3}`` makes three more peers (addresses from the
    group, numbered after the cycle's invites so far)."""
    first = len(raters.invites_of(of))
    nominations = [
        raters.Nomination(f"{group}{first + n}.{of.id}@example.org", group)
        for group, count in groups.items()
        for n in range(count)
    ]
    created, refused = raters.nominate(of, nominations)
    assert not refused, refused
    return created


def answered(of: Cycle, groups: dict[str, int], score: int = 4, **texts: str) -> list[Invite]:
    """Invites to ``of`` that have all submitted ``score`` on every statement."""
    made = invites(of, groups)
    for invite in made:
        raters.submit(invite, answers(score, **texts))
    return made


def closed_cycle(of: Coachee | None = None, groups: dict[str, int] | None = None) -> Cycle:
    """A cycle with a self-assessment and answers from a boss and three peers (or
    ``groups``), closed by the coach."""
    made = cycle(of)
    self_assessment(made, 5, headline="Me.")
    answered(made, groups or {"boss": 1, "peer": 3}, headline="Fine.")
    lifecycle.close_cycle(made)
    return made
