"""Fixtures of the API's tests: two coaches with data and tokens, and a client that
sends a token."""

import pytest
from api_support import Api
from factories import answered, closed_cycle, coach, coachee, cycle, invites, self_assessment
from sqlalchemy import select

from feedback.accounts.tokens import create_token
from feedback.extensions import db
from feedback.raters.models import Invite
from feedback.webhooks.services import create_endpoint


@pytest.fixture
def world(app) -> dict:
    """Coach A (coach@example.com) with a coachee, a cycle closed with answers from a
    boss, three peers and two subordinates (too few to show), and an open cycle with
    two raters, one of whom answered; coach B with a coachee, a closed cycle and a webhook. Tokens:
    A's write and read, B's write."""
    with app.test_request_context():
        a = coach()
        a_coachee = coachee(a, name="Casey Doe", email="casey@example.com")
        closed = closed_cycle(a_coachee, groups={"boss": 1, "peer": 3, "subordinate": 2})
        opened = cycle(a_coachee)
        self_assessment(opened, 4)
        answered(opened, {"peer": 1})
        invites(opened, {"peer": 1})
        b = coach("b@example.com", "Bruno Berg")
        b_closed = closed_cycle(coachee(b, name="Bea Bauer", email="bea@example.com"))
        _, write = create_token(a, name="CRM", scope="write")
        _, read = create_token(a, name="Reports", scope="read")
        b_token, b_write = create_token(b, scope="write")
        b_hook = create_endpoint(b, url="https://b.example.com/hook", events=["cycle.closed"])
        b_invite = db.session.scalar(select(Invite.id).where(Invite.cycle_id == b_closed.id))
        data = {
            "coach_id": a.id,
            "coachee_id": a_coachee.id,
            "closed_cycle_id": closed.id,
            "open_cycle_id": opened.id,
            "b_coachee_id": b_closed.coachee_id,
            "b_cycle_id": b_closed.id,
            "b_token_id": b_token.id,
            "b_webhook_id": b_hook.id,
            "b_invite_id": b_invite,
            "write": write,
            "read": read,
            "b_write": b_write,
        }
        db.session.commit()
    return data


@pytest.fixture
def api(app, world) -> Api:
    """Coach A's client with their write token."""
    return Api(app.test_client(), world["write"])


@pytest.fixture
def reader(app, world) -> Api:
    """Coach A's client with their read token."""
    return Api(app.test_client(), world["read"])
