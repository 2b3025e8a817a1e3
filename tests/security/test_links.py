"""Signed links under attack: tampered, for another purpose, expired, dated in the
future, revoked or reused links are refused with a plain page and write nothing; GET and
HEAD never consume a link; 20 simultaneous submits make one response; key rotation;
and a token carries nothing about the person."""

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from threading import Barrier
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, build_opener

import pytest
from itsdangerous import URLSafeTimedSerializer
from security_support import answers, row_counts
from sqlalchemy import func, select
from support import csrf_token

from feedback import links
from feedback.extensions import db
from feedback.raters.models import Invite
from feedback.ratings.models import Response
from feedback.vocabulary import InviteState


def token_of(url: str) -> str:
    """The signed token in a portal (/p/T/) or rater (/r/T/) link."""
    return urlsplit(url).path.strip("/").split("/")[1]


def with_token(url: str, token: str) -> str:
    parts = urlsplit(url).path.strip("/").split("/")
    return "/" + "/".join([parts[0], token, *parts[2:]]) + "/"


def rater_responses(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Response).where(Response.group != "self")
        )


def refused_without_writes(browser, app, url: str, expected_status: int) -> None:
    """GET and a POST with a valid CSRF token both get the plain link page, and no row
    in any table changes."""
    before = row_counts(app)
    page = browser.get(url)
    assert page.status_code == expected_status
    assert "This link" in page.text and "Traceback" not in page.text
    token = csrf_token(browser.get("/login").text)
    posted = browser.post(url, data={"csrf_token": token, **answers("5"), "action": "submit"})
    assert posted.status_code in (expected_status, 405)  # 405: a page that only shows
    assert row_counts(app) == before


def tamper(token: str) -> str:
    """Change the first character of the signature. (Not the last one: the last base64
    character of a 20-byte signature carries only 2 bits, so some changes there decode
    to the same bytes and the link would rightly still work.)"""
    head, _, signature = token.rpartition(".")
    first = "A" if signature[0] != "A" else "B"
    return f"{head}.{first}{signature[1:]}"


def test_tampered_links_are_refused(rater_link, open_cycle, browser, app):
    for link in (rater_link, open_cycle["portal"]):
        token = token_of(link)
        payload, timestamp, signature = token.split(".")
        forged_payload = (
            base64.urlsafe_b64encode(json.dumps("x" * 24).encode()).decode().rstrip("=")
        )
        for bad in (
            tamper(token),
            f"{forged_payload}.{timestamp}.{signature}",
            payload,
            token + "x",
            "",
        ):
            if not bad:
                continue
            refused_without_writes(browser, app, with_token(link, bad), 404)


def test_a_link_for_another_purpose_is_refused(rater_link, open_cycle, browser, app):
    with app.test_request_context():
        invite_key = links.unsign(links.RATER_INVITE, token_of(rater_link))
        portal_key = links.unsign(links.PORTAL, token_of(open_cycle["portal"]))
        as_portal = links.sign(links.PORTAL, invite_key)
        as_rater = links.sign(links.RATER_INVITE, portal_key)
    refused_without_writes(browser, app, f"/p/{as_portal}/", 404)
    refused_without_writes(browser, app, f"/p/{as_portal}/self", 404)
    refused_without_writes(browser, app, f"/r/{as_rater}/", 404)
    # A token signed with the right key but some other salt (say, a session cookie's).
    other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="cookie-session")
    refused_without_writes(browser, app, f"/r/{other.dumps(invite_key)}/", 404)


@pytest.fixture
def clock(monkeypatch):
    """Move itsdangerous' (and Flask's) clock: ``clock.shift(seconds)``."""

    class Clock:
        offset = 0.0

        def shift(self, seconds: float) -> None:
            self.offset += seconds

    clock = Clock()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + clock.offset)
    return clock


def test_an_expired_link_is_refused_and_says_so(rater_link, browser, app, clock):
    assert browser.get(rater_link).status_code == 200
    clock.shift(app.config["INVITE_LINK_MAX_AGE"] + 60)
    before = row_counts(app)
    page = browser.get(rater_link)
    assert page.status_code == 410
    assert "expired" in page.text
    token = csrf_token(browser.get("/login").text)
    posted = browser.post(rater_link, data={"csrf_token": token, **answers()})
    assert posted.status_code == 410
    assert row_counts(app) == before


def test_a_link_dated_in_the_future_is_refused(rater_link, browser, app, clock):
    with app.test_request_context():
        key = links.unsign(links.RATER_INVITE, token_of(rater_link))
        clock.shift(3600)  # signed an hour from now: a forged or clock-skewed token
        future = links.sign(links.RATER_INVITE, key)
        clock.shift(-3600)
    refused_without_writes(browser, app, f"/r/{future}/", 410)  # "expired"


def test_a_revoked_link_is_refused(open_cycle, coach_browser, browser, app, mailbox):
    old_portal = open_cycle["portal"]
    assert browser.get(old_portal).status_code == 200
    page = coach_browser.get(f"/cycles/{open_cycle['cycle_id']}")
    coach_browser.post(
        f"/cycles/{open_cycle['cycle_id']}/portal-link", data={"csrf_token": csrf_token(page.text)}
    )
    new_portal = mailbox.link_for("casey@example.com")
    assert new_portal != old_portal
    refused_without_writes(browser, app, old_portal, 404)
    refused_without_writes(browser, app, old_portal.rstrip("/") + "/self", 404)
    assert browser.get(new_portal).status_code == 200


def test_a_used_link_cannot_answer_again(rater_link, browser, app):
    first = browser.submit(rater_link, {**answers("5"), "action": "submit"})
    assert first.status_code == 302
    before = row_counts(app)
    token = csrf_token(browser.get("/login").text)
    for action in ("submit", "save", "decline"):
        again = browser.post(
            rater_link, data={"csrf_token": token, **answers("1"), "action": action}
        )
        assert again.status_code == 200
        assert "already" in again.text or "submitted" in again.text
    assert row_counts(app) == before
    assert rater_responses(app) == 1


def test_get_and_head_never_consume_a_link(rater_link, open_cycle, browser, app):
    before = row_counts(app)
    with app.app_context():
        state = db.session.scalar(select(Invite.state))
    for url in (
        rater_link,
        rater_link + "thanks",
        open_cycle["portal"],
        open_cycle["portal"] + "self",
    ):
        for _ in range(3):
            assert browser.client.head(url).status_code in (200, 302)
            assert browser.get(url).status_code in (200, 302)
    assert row_counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(Invite.state)) == state
    # ... and the link still works for the person.
    assert browser.submit(rater_link, {**answers(), "action": "submit"}).status_code == 302


def test_old_links_work_during_a_key_rotation_and_stop_when_the_old_key_goes(
    rater_link, make_app, app
):
    old_key = app.config["SECRET_KEY"]
    rotated = make_app(SECRET_KEY="a-brand-new-key-after-rotation", SECRET_KEY_FALLBACKS=[old_key])
    client = rotated.test_client()
    assert client.get(rater_link).status_code == 200
    with rotated.test_request_context():
        key = links.unsign(links.RATER_INVITE, token_of(rater_link))
        new_link = "/r/" + links.sign(links.RATER_INVITE, key) + "/"
    assert new_link != urlsplit(rater_link).path  # new links use the new key
    assert client.get(new_link).status_code == 200

    finished = make_app(SECRET_KEY="a-brand-new-key-after-rotation", SECRET_KEY_FALLBACKS=[])
    client = finished.test_client()
    assert client.get(rater_link).status_code == 404
    assert client.get(new_link).status_code == 200
    # The fallback list from the environment is a comma-separated string.
    from_env = make_app(SECRET_KEY="k2-is-long-enough", SECRET_KEY_FALLBACKS=f"{old_key},k1")
    assert from_env.config["SECRET_KEY_FALLBACKS"] == [old_key, "k1"]
    assert from_env.test_client().get(rater_link).status_code == 200


def test_tokens_carry_no_email_name_or_group(open_cycle, browser, mailbox, app):
    browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters",
        {"raters": "peter.parker@example.com, peer, Peter Parker"},
    )
    rater = mailbox.link_for("peter.parker@example.com")
    for link in (rater, open_cycle["portal"]):
        token = token_of(link)
        payload = token.split(".")[0]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        value = json.loads(decoded)
        assert isinstance(value, str) and len(value) >= 20  # an opaque random key
        lowered = decoded.lower()
        for secret in ("peter", "parker", "example.com", "peer", "casey", "@"):
            assert secret not in lowered
    with app.app_context():
        invite = db.session.scalar(select(Invite).where(Invite.email.like("peter%")))
        assert (
            json.loads(base64.urlsafe_b64decode(token_of(rater).split(".")[0] + "==").decode())
            == invite.link_key
        )
        assert str(invite.id) != invite.link_key


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


def test_twenty_simultaneous_submits_make_one_response(make_app, serve, tmp_path):
    """Twenty threads post the same rater's complete form at once to a real server."""
    from datetime import timedelta

    from feedback.accounts.services import create_coach
    from feedback.coaching import services as coaching
    from feedback.cycles import lifecycle
    from feedback.raters import services as raters
    from feedback.timeutil import today

    app = make_app(TESTING=False, MAIL_SEND_AFTER_REQUEST=False)
    with app.app_context():
        from sqlalchemy import MetaData

        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        db.create_all()
        coach = create_coach(email="c@example.com", name="Coach", password="long enough pw")
        coachee = coaching.add_coachee(coach, name="Casey Doe", email="casey@example.com")
        cycle = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=7))
        (invite,), _ = raters.nominate(cycle, [raters.Nomination("r@example.com", "peer")])
        path = urlsplit(raters.rater_url(invite)).path
        db.session.commit()
        db.session.remove()
    served = serve(app)
    url = served.url + path

    all_have_the_form = Barrier(20, timeout=60)

    def post(_n: int) -> int:
        opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect())
        with opener.open(url, timeout=30) as page:
            html = page.read().decode()
            assert "csrf_token" in html, html[:3000]
            token = csrf_token(html)
        form = {"csrf_token": token, **answers("3"), "action": "submit"}
        all_have_the_form.wait()  # then all post at once
        try:
            with opener.open(url, data=urlencode(form).encode(), timeout=60) as response:
                return response.status
        except HTTPError as answer:  # 302 (not followed) and every error status
            return answer.code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(post, range(20)))
    assert statuses.count(302) == 1, statuses  # exactly one thread was thanked
    assert set(statuses) == {302, 200}, statuses  # the others: "already answered"
    with app.app_context():
        assert rater_responses(app) == 1
        assert db.session.scalar(select(Invite.state)) is InviteState.SUBMITTED
        db.session.remove()
        db.engine.dispose()
