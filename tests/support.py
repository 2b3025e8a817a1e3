"""Helpers the tests share: drive the real forms and read the mail the app wrote."""

import email
import email.policy
import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

TEST_PASSWORD = "correct horse battery"
LINK = re.compile(r"https?://[^\s<>\"']+")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

#: Raters of a test cycle and the score each gives on every item. The single partner is
#: below k = 3 and the only one to give 1, so any leak of their answers would show.
RATERS_WITH_LONE_PARTNER = {
    "boss@example.com": ("boss", 5),
    "peer1@example.com": ("peer", 4),
    "peer2@example.com": ("peer", 3),
    "peer3@example.com": ("peer", 4),
    "sub1@example.com": ("subordinate", 2),
    "sub2@example.com": ("subordinate", 3),
    "sub3@example.com": ("subordinate", 2),
    "partner@example.com": ("partner", 1),
}


#: The new-cycle form's minimum raters, all off (a small team, as most tests have).
NO_MINIMUMS = {"min_boss": "0", "min_peers": "0", "min_subordinates": "0", "min_raters": "0"}


class Mailbox:
    """The .eml files the file transport wrote, parsed."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self) -> list[email.message.EmailMessage]:
        if not self.folder.is_dir():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.folder.glob("*.eml"))
        ]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if address in str(m["To"])]

    def link_for(self, address: str) -> str:
        """The first link in the newest message to ``address``."""
        messages = self.to(address)
        assert messages, f"no mail to {address}"
        text = messages[-1].get_body(preferencelist=("plain",)).get_content()
        return LINK.search(text).group(0)


def app_settings(app) -> dict:
    """What a fresh interpreter needs to build the same app as the test (its database,
    secret, base URL and mail folder)."""
    settings = {
        key: app.config[key]
        for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "BASE_URL")
    }
    settings.update(MAIL_BACKEND="file", MAIL_FILE_DIR=app.config["MAIL_FILE_DIR"])
    return settings


def in_a_fresh_python(script: str, *arguments) -> dict:
    """Run ``script`` in a fresh interpreter that finds the package and the tests'
    helpers, with ``arguments`` as JSON in ``sys.argv[1]``; the JSON object its last
    line of output prints. For what the test process cannot show, having imported
    everything long ago: which modules a request loads."""
    tests = Path(__file__).resolve().parent
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests.parent), str(tests)])}
    done = subprocess.run(  # noqa: S603  (this interpreter, the test's own script)
        [sys.executable, "-c", script, json.dumps(list(arguments))],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """Drives the real forms: reads the CSRF token from the page, then posts. Responses
    are read to the end and closed, as a server does, which is when queued mail leaves."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, **kwargs):
        return self.client.get(url, buffered=True, **kwargs)

    def post(self, url: str, **kwargs):
        return self.client.post(url, buffered=True, **kwargs)

    def submit(self, url: str, data: dict, *, page: str | None = None, **kwargs):
        """GET ``page`` (default ``url``), then POST ``data`` with its CSRF token."""
        form_page = self.get(page or url)
        assert form_page.status_code == 200, form_page.status_code
        return self.post(url, data={"csrf_token": csrf_token(form_page.text), **data}, **kwargs)


def sign_in(browser: Browser, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the login form."""
    response = browser.submit("/login", {"email": email, "password": password})
    assert response.status_code == 302, response.text


# Reading a page in another language --------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"(?<=[.!?:;…])\s+|\n+")
#: What a page shows that is not the service's wording, replaced by a mark: dates,
#: addresses, links and numbers (the people's names are given to each call).
_NOT_WORDING = [
    (re.compile(r"\d{1,2}\.? (de )?\w+ (de )?\d{4}"), "‹date›"),
    (re.compile(r"\b[A-Z][a-z]+ \d{1,2}, \d{4}"), "‹date›"),  # English: "January 15, 2027"
    (re.compile(r"\S+@\S+"), "‹address›"),
    (re.compile(r"https?://\S+"), "‹link›"),
    (re.compile(r"\d+"), "‹n›"),
]


def normalised(text: str, names: Iterable[str] = ()) -> str:
    """``text`` (HTML or plain) as visible words, with what is not wording marked:
    dates, addresses, links, numbers and ``names``."""
    visible = re.sub(r"(?s)<(script|style|title)\b.*?</\1>", "", text)
    visible = html.unescape(_TAG.sub("\n", visible))
    for pattern, mark in _NOT_WORDING:
        visible = pattern.sub(mark, visible)
    for name in sorted(names, key=len, reverse=True):
        visible = visible.replace(name, "‹name›")
    return visible


def sentences(text: str, *, exclude: Iterable[str] = (), names: Iterable[str] = ()) -> set[str]:
    """The visible sentences of ``text`` of three words or more (names, numbers and
    dates marked), without those ``exclude`` holds."""
    exclude = set(exclude)
    found = set()
    for piece in _SENTENCE_END.split(normalised(text, names)):
        piece = " ".join(piece.split())
        if len(piece.split()) >= 3 and piece not in exclude:
            found.add(piece)
    return found


def left_in_english(
    english: str, other: str, *, exclude: Iterable[str] = (), names: Iterable[str] = ()
) -> set[str]:
    """The sentences of the English ``english`` (a page or a message) still found in
    ``other``, the same page or message in another language."""
    other_text = " ".join(normalised(other, names).split())
    return {s for s in sentences(english, exclude=exclude, names=names) if s in other_text}
