"""Helpers for the adversarial tests: raters invited through the real forms, complete
answers, row counts of every table (to prove that a refused request wrote nothing), and
readers of what a coach downloads (figures and tables of a page, an XLSX's sheets)."""

import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import MetaData, func, select
from werkzeug.serving import make_server

from feedback.extensions import db
from feedback.questionnaires import default_questionnaire

ITEMS = [item.key for item in default_questionnaire().items]


def answers(score: str = "4", **texts: str) -> dict[str, str]:
    """A complete rater form: every item ``score``, plus ``text-<key>`` fields."""
    return {
        **{f"item-{key}": score for key in ITEMS},
        **{f"text-{key}": text for key, text in texts.items()},
    }


def row_counts(app) -> dict[str, int]:
    """Rows in every table of the database, by table name."""
    with app.app_context():
        metadata = app.extensions.get("test_reflected_tables")
        if metadata is None:  # reflect once per app: it is slow on PostgreSQL
            metadata = app.extensions["test_reflected_tables"] = MetaData()
            metadata.reflect(bind=db.engine)
        counts = {
            name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in metadata.tables.items()
        }
        db.session.remove()
        return counts


def invite_raters(browser, mailbox, portal: str, lines: list[str]) -> list[str]:
    """Nominate ``lines`` (``email, group[, name]``) in the portal; their links."""
    response = browser.submit(portal.rstrip("/") + "/raters", {"raters": "\n".join(lines)})
    assert response.status_code == 302, response.text
    return [mailbox.link_for(line.split(",")[0].strip()) for line in lines]


@pytest.fixture
def rater_link(open_cycle, browser, mailbox) -> str:
    """One boss invited in the open cycle; their link."""
    return invite_raters(browser, mailbox, open_cycle["portal"], ["rita@example.com, boss, Rita"])[
        0
    ]


class Served:
    """The app served over real HTTP on 127.0.0.1 by werkzeug, threaded."""

    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Served":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator:
    """``serve(app)`` starts a live server for ``app``; stopped at the end of the test."""
    started: list[Served] = []

    def start(app) -> Served:
        served = Served(app).__enter__()
        started.append(served)
        return served

    yield start
    for served in started:
        served.__exit__()


def build_world(app, email: str, *, name: str = "Casey Doe", closed: bool = True) -> dict:
    """A coach ``email`` with a coachee, a cycle closed with answers from a boss and
    three peers (or still open), and an open second cycle with one rater: ids and
    signed links of everything, made through the services."""
    from datetime import timedelta

    from feedback.accounts.services import create_coach
    from feedback.coaching import services as coaching
    from feedback.cycles import lifecycle
    from feedback.raters import services as raters
    from feedback.ratings.answers import Answers
    from feedback.ratings.store import store_answers
    from feedback.timeutil import today
    from feedback.vocabulary import SELF

    with app.test_request_context():
        coach = create_coach(email=email, name="Coach " + email, password="long enough pw")
        coachee = coaching.add_coachee(coach, name=name, email="coachee." + email)
        first = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=7))
        scores = dict.fromkeys(ITEMS, 4)
        store_answers(first, SELF, Answers(scores=scores, texts={"headline": "Me."}), submit=True)
        nominations = [raters.Nomination(f"boss.{email}", "boss")] + [
            raters.Nomination(f"peer{n}.{email}", "peer") for n in range(3)
        ]
        invites, _ = raters.nominate(first, nominations)
        links = [raters.rater_url(invite) for invite in invites]
        for invite in invites:
            raters.submit(invite, Answers(scores=scores, texts={"headline": "Fine."}))
        if closed:
            lifecycle.close_cycle(first)
        second = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=7))
        (open_invite,), _ = raters.nominate(second, [raters.Nomination(f"r2.{email}", "peer")])
        world = {
            "coach_id": coach.id,
            "coachee_id": coachee.id,
            "cycle_id": first.id,
            "open_cycle_id": second.id,
            "invite_id": open_invite.id,
            "portal": coaching.portal_url(first),
            "open_portal": coaching.portal_url(second),
            "rater_links": links,
            "open_rater": raters.rater_url(open_invite),
        }
        db.session.commit()
    return world


def _xml(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    """A part of the workbook the app itself wrote (not untrusted input)."""
    return ElementTree.fromstring(book.read(name))  # noqa: S314


def xlsx_sheets(xlsx: bytes) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as rows of cell texts (numbers as written)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        strings = [
            "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
            for si in _xml(book, "xl/sharedStrings.xml").findall("m:si", ns)
        ]
        names = [s.get("name") for s in _xml(book, "xl/workbook.xml").iter(f"{{{ns['m']}}}sheet")]
        sheets = {}
        for number, name in enumerate(names, start=1):
            root = _xml(book, f"xl/worksheets/sheet{number}.xml")
            rows = []
            for row in root.iter(f"{{{ns['m']}}}row"):
                cells = []
                for cell in row.findall("m:c", ns):
                    value = cell.findtext("m:v", default="", namespaces=ns)
                    text = strings[int(value)] if cell.get("t") == "s" else value
                    cells.append((cell.get("r").rstrip("0123456789"), text))
                rows.append(cells)
            sheets[name] = rows
    return sheets


def figures_and_tables(html: str, cycle_id: int) -> tuple[dict, list[str]]:
    """The figure JSON (by id) and every table of a dashboard page, the cycle's own id
    taken out of links."""
    html = html.replace(f"/cycles/{cycle_id}/", "/cycles/ID/").replace(
        f'/cycles/{cycle_id}"', '/cycles/ID"'
    )
    figures = {
        name: json.loads(body)
        for name, body in re.findall(
            r'<script type="application/json" id="(figure-[^"]+)">(.*?)</script>', html, re.S
        )
    }
    tables = re.findall(r"<table.*?</table>", html, re.S)
    return figures, tables


@pytest.fixture
def sqlite_file(app) -> Path:
    """The app's SQLite database file; the test is skipped on PostgreSQL."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's files only")
        return Path(db.engine.url.database)
