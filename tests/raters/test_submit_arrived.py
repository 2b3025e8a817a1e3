"""A rater whose submit arrived but whose answer was lost on the way (issue 15, item 4):
the connection is reset after the form was sent, so the browser shows an error. On
reload, and when the form is sent again, the page says plainly that the answers
arrived; the submit is taken once; and the page, shown to whoever holds the link, shows
neither the answers nor anything about other raters (DESIGN §3)."""

import socket
import threading
import time
import urllib.parse

import pytest
from sqlalchemy import func, select
from support import csrf_token
from werkzeug.serving import make_server

from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.raters.models import Invite
from feedback.ratings.models import Response
from feedback.vocabulary import InviteState

ITEMS = [item.key for item in default_questionnaire().items]
HEADLINE = "Unmistakable-headline-of-Rita"


@pytest.fixture
def links(open_cycle, browser, mailbox) -> dict[str, str]:
    """Two raters invited through the portal: Rita (boss) and Paul (peer)."""
    response = browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters",
        {"raters": "rita@example.com, boss, Rita\npaul@example.com, peer, Paul"},
    )
    assert response.status_code == 302, response.text
    return {name: mailbox.link_for(f"{name}@example.com") for name in ("rita", "paul")}


@pytest.fixture
def served(app):
    """The app over real HTTP on 127.0.0.1, one request at a time."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=30)
    server.server_close()


def _form(score: str, headline: str) -> dict[str, str]:
    return {
        **{f"item-{key}": score for key in ITEMS},
        "text-headline": headline,
        "action": "submit",
    }


def _state(app, email: str) -> InviteState:
    with app.app_context():
        state = db.session.scalar(select(Invite.state).where(Invite.email == email))
        db.session.remove()
    return state


def _responses(app) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Response).where(Response.group != "self")
        )
        db.session.remove()
    return count


def _send_and_reset(port: int, path: str, cookie: str, body: str, taken) -> None:
    """Send a POST and, once the server has ``taken`` it, reset the connection without
    reading the answer, as a dying network or a killed worker does: the server got the
    whole form, the browser never sees what became of it."""
    request = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode())
        _wait_for(taken)
        # SO_LINGER 0: close with a reset, the answer unread.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)


def _wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the submit was not taken"
        time.sleep(0.05)


def test_a_submit_whose_answer_was_lost_says_on_reload_that_the_answers_arrived(
    app, links, browser, served
):
    # Paul answers first; nothing of him may show on Rita's page.
    paul_form = browser.get(links["paul"])
    assert (
        browser.post(
            links["paul"],
            data={"csrf_token": csrf_token(paul_form.text), **_form("2", "Paul-was-here")},
        ).status_code
        == 302
    )

    # Rita's browser: the form, then a submit whose connection is reset.
    rita = app.test_client()  # a browser of her own, with her own cookies
    path = urllib.parse.urlsplit(links["rita"]).path
    page = rita.get(path)
    cookie = f"session={rita.get_cookie('session').value}"
    fields = {"csrf_token": csrf_token(page.text), **_form("5", HEADLINE)}
    _send_and_reset(
        served,
        path,
        cookie,
        urllib.parse.urlencode(fields),
        taken=lambda: _state(app, "rita@example.com") is InviteState.SUBMITTED,
    )
    assert _responses(app) == 2

    # She reloads the page.
    reloaded = rita.get(path)
    assert reloaded.status_code == 200
    assert "Your answers arrived" in reloaded.text
    assert "you can close this page" in reloaded.text
    assert 'name="action"' not in reloaded.text  # no form to fill in again

    # Her browser sends the form again ("resend the data?"): taken once, said plainly.
    again = rita.post(path, data=fields)
    assert again.status_code == 200
    assert "Your answers had already arrived" in again.text
    assert "Your answers arrived" in again.text
    assert _responses(app) == 2

    # Whoever holds her link sees neither her answers nor anything of the others.
    for shown in (reloaded.text, again.text):
        for secret in (HEADLINE, "Paul", "paul@example.com", "Peer", "2 of", "answered"):
            assert secret not in shown, secret


def test_a_declined_invite_sent_again_does_not_say_the_answers_arrived(app, links, browser):
    form = browser.get(links["rita"])
    token = csrf_token(form.text)
    assert (
        browser.post(links["rita"], data={"csrf_token": token, "action": "decline"}).status_code
        == 302
    )
    again = browser.post(links["rita"], data={"csrf_token": token, **_form("4", HEADLINE)})
    assert again.status_code == 200
    assert "You had declined this request; nothing was saved." in again.text
    assert "arrived" not in again.text
    assert _responses(app) == 0
