"""The demo data served on 127.0.0.1 for the browser tests (tests/e2e, the CSP test):
a closed cycle with charts, its portal, an open cycle with a rater."""

import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import MetaData, select
from werkzeug.serving import make_server

from feedback.extensions import db


@pytest.fixture
def demo_server(make_app):
    """The app with the demo data, served on 127.0.0.1 and a free port."""
    holder = {}
    server = make_server("127.0.0.1", 0, lambda e, s: holder["app"](e, s), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = make_app(TESTING=False, BASE_URL=url)
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        db.create_all()
        from feedback.demo import seed_demo

        seed_demo()
        db.session.remove()
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def links(app) -> dict[str, str]:
    """Paths of the demo's closed cycle, its portal and a rater form of the open cycle."""
    from feedback.coaching.models import Cycle
    from feedback.coaching.services import portal_url
    from feedback.raters.models import Invite
    from feedback.raters.services import rater_url
    from feedback.vocabulary import CycleState

    with app.test_request_context():
        closed = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.CLOSED))
        opened = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.OPEN))
        invite = db.session.scalar(select(Invite).where(Invite.cycle_id == opened.id))
        result = {
            "dashboard": f"/cycles/{closed.id}",
            "coachee": f"/coachees/{closed.coachee_id}",
            "portal": urlsplit(portal_url(opened)).path,
        }
        if invite is not None:
            result["rater"] = urlsplit(rater_url(invite)).path
        db.session.remove()
    return result


def sign_in_as_demo_coach(page, url: str) -> None:
    """Sign the page's browser in as the demo's coach, through the login form."""
    from feedback.demo import DEMO_EMAIL, DEMO_PASSWORD

    page.goto(url + "/login")
    page.fill("input[name=email]", DEMO_EMAIL)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
