"""Issue 18's promise, "each seeing every page only in their language", checked by
following links: a coach who works in German, a coachee in French and a rater in
Spanish, each starting where they start (the coach's home, the portal links, the
invitation's link) and following every same-site link a GET can follow (at most
:data:`MOST_PAGES` each; no downloads, no sign-out). Every page reached is read once
in English and once in the person's language; no sentence of the English page may be
left in the other (names, addresses, numbers, dates and language names aside)."""

import html
import re
from urllib.parse import urlsplit

import factories
import pytest
from sqlalchemy import select, update
from support import Browser, left_in_english, sign_in

from feedback.accounts.models import Coach
from feedback.coaching.models import Coachee, Cycle
from feedback.coaching.services import portal_url
from feedback.coaching.voice import DEFAULTS
from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.i18n import LANGUAGES
from feedback.raters import services as raters
from feedback.raters.models import Invite
from feedback.reports.released import release as release_report
from feedback.vocabulary import RATER_GROUPS

#: The most pages one person's crawl reads.
MOST_PAGES = 60
#: Links not followed: files to download, the sign-out (a post anyway), the API, the
#: development mail viewer, and the figures' script.
SKIPPED = re.compile(
    r"^/(static|api|dev|mail)/|/logout|\.(pdf|xlsx|csv|toml|json|js|svg|ics)(\?|$)|/export"
)
#: What every page may show in any language: the people's names, the product's name.
NAMES = ("Casey Doe", "Casey", "Clara Coach", "Sofia Sol", "Sofia", "Mirror 360")


def _allowed() -> set[str]:
    """Sentences that are not the service's wording: the coach's own emails start from
    a default text the coach edits as their own (their raters' languages are the
    raters', not the coach's), and each language is named in itself."""
    allowed = set(LANGUAGES.values())
    # What is typed as it is: the commands, and the group words of a pasted line.
    allowed |= {
        "feedback questionnaire export KEY",
        "feedback questionnaire import FILE --coach EMAIL",
    }
    allowed.add(", ".join(RATER_GROUPS) + ".")
    for subject, body in DEFAULTS.values():
        allowed.add(subject)
        allowed |= {" ".join(line.split()) for line in re.split(r"(?<=[.!?:;…])\s+|\n+", body)}
    return allowed


def links(page: str) -> list[str]:
    """The same-site links of ``page`` a GET follows, as paths with their query."""
    found = []
    for href in re.findall(r'<a\b[^>]*\bhref="([^"#]+)', page):
        parts = urlsplit(html.unescape(href))
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and not SKIPPED.search(path):
            found.append(path)
    return found


def shown(page: str) -> str:
    """``page`` without what a form holds for editing (a textarea's text is the
    person's own, such as the questionnaire being edited in English)."""
    return re.sub(r"(?s)(<textarea\b[^>]*>).*?(</textarea>)", r"\1\2", page)


def crawl(browser: Browser, starts: list[str]) -> dict[str, str]:
    """Every HTML page reachable from ``starts`` (breadth first, at most MOST_PAGES):
    path -> page."""
    pages: dict[str, str] = {}
    queue, queued = list(starts), set(starts)
    while queue and len(pages) < MOST_PAGES:
        path = queue.pop(0)
        response = browser.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages[path] = shown(response.text)
        for link in links(response.text):
            if link not in queued:
                queued.add(link)
                queue.append(link)
    return pages


@pytest.fixture
def people(app):
    """Clara (the coach), Casey (her coachee) with a released cycle and an open one,
    and Sofia, a peer asked on the open cycle; their start pages."""
    with app.test_request_context():
        coach = factories.coach()
        coachee = factories.coachee(coach, email="casey@example.com")
        closed = factories.closed_cycle(coachee)
        lifecycle.release(closed)
        running = factories.cycle(coachee)
        (invite,), refused = raters.nominate(
            running, [raters.Nomination("sofia@example.org", "peer", "Sofia Sol")]
        )
        assert not refused
        db.session.commit()
        starts = {
            "coach": ["/"],
            "coachee": [urlsplit(portal_url(cycle)).path for cycle in (closed, running)],
            "rater": [urlsplit(raters.rater_url(invite)).path],
        }
    return starts


def _speak(app, coach=None, coachee=None, rater=None) -> None:
    """Each person's language; the released report, written once in the coachee's
    language when it is released, is released again in it."""
    with app.test_request_context():
        db.session.execute(update(Coach).values(language=coach))
        db.session.execute(update(Coachee).values(language=coachee))
        db.session.execute(update(Invite).values(language=rater))
        db.session.expire_all()
        for cycle in db.session.scalars(select(Cycle).where(Cycle.released_at.is_not(None))):
            release_report(cycle)
        db.session.commit()


@pytest.mark.parametrize(
    ("role", "language"), [("coach", "de"), ("coachee", "fr"), ("rater", "es")]
)
def test_each_sees_every_page_only_in_their_language(app, people, role, language):
    browser = Browser(app.test_client())
    if role == "coach":
        sign_in(browser, "coach@example.com", "long enough pw")
    _speak(app, coach="en", coachee="en", rater="en")
    english = crawl(browser, people[role])
    assert len(english) >= {"coach": 20, "coachee": 6, "rater": 1}[role], sorted(english)
    _speak(app, coach="de", coachee="fr", rater="es")
    allowed = _allowed()
    problems = {}
    for path, page in english.items():
        response = browser.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Language"] == language, path
        left = left_in_english(page, shown(response.text), exclude=allowed, names=NAMES)
        if left:
            problems[path] = sorted(left)
    assert not problems, "\n".join(f"{p}: {s}" for p, s in problems.items())
