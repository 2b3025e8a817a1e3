"""Closed cycles with a hidden group, driven through the real forms (CSRF on)."""

import io
import re
import zipfile
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from support import RATERS_WITH_LONE_PARTNER

from feedback.questionnaires import default_questionnaire
from feedback.ratings.results import clear_cache
from feedback.timeutil import today

QUESTIONNAIRE = default_questionnaire()
ITEMS = [item.key for item in QUESTIONNAIRE.items]
COMPETENCIES = [c.key for c in QUESTIONNAIRE.competencies]

#: email -> (group, score on every item). The lone partner is below k = 3 and is the
#: only one to give 1, and writes a word nobody else uses, so a leak would show.
RATERS = RATERS_WITH_LONE_PARTNER
PARTNER_WORD = "zanzibarish"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test computes its results afresh (cycle ids repeat across test databases)."""
    clear_cache()
    yield
    clear_cache()


def self_scores(shift: int = 0) -> dict[str, str]:
    """The coachee's form: 5 on the first half of the items, 2 on the rest (+ shift)."""
    return {
        f"item-{k}": str(min(5, max(1, (5 if i < len(ITEMS) // 2 else 2) + shift)))
        for i, k in enumerate(ITEMS)
    }


def run_cycle(coach_browser, browser, mailbox, portal: str, cycle_id: int, *, shift=0, extra=None):
    """Self-assessment, nominations and every rater's answers through the forms, then the
    coach closes the cycle. ``extra`` adds text fields to every rater's form."""
    portal = portal.rstrip("/")
    response = browser.submit(
        f"{portal}/self",
        {**self_scores(shift), "text-headline": "I build teams that listen.", "action": "submit"},
    )
    assert response.status_code == 302, response.text
    lines = "\n".join(f"{email}, {group}" for email, (group, _) in RATERS.items())
    assert browser.submit(f"{portal}/raters", {"raters": lines}).status_code == 302
    for email, (group, score) in RATERS.items():
        texts = {
            "text-headline": "Calm under pressure"
            + (f" and {PARTNER_WORD}" if group == "partner" else ""),
            "text-keep": "Keep the weekly one-to-ones."
            if group != "partner"
            else f"Keep the {PARTNER_WORD} spirit.",
            **(extra or {}),
        }
        scores = {f"item-{k}": str(min(5, max(1, score + shift))) for k in ITEMS}
        response = browser.submit(mailbox.link_for(email), {**scores, **texts, "action": "submit"})
        assert response.status_code == 302, email
    url = f"/cycles/{cycle_id}"
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302


@pytest.fixture
def closed_cycle(open_cycle, coach_browser, browser, mailbox):
    """Casey's cycle, answered by the eight RATERS and closed by the coach."""
    run_cycle(
        coach_browser,
        browser,
        mailbox,
        open_cycle["portal"],
        open_cycle["cycle_id"],
        extra={"text-change": '=HYPERLINK("http://127.0.0.1/x","click")'},
    )
    return open_cycle


def start_follow_up(coach_browser, mailbox, coachee_id: int) -> dict:
    """A second cycle for the same coachee through the coach's form."""
    closes_on = (today() + timedelta(days=14)).isoformat()
    url = f"/coachees/{coachee_id}/cycles/new"
    response = coach_browser.submit(url, {"closes_on": closes_on, "boss_exempt": "y"})
    assert response.status_code == 302, response.text
    cycle_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return {"cycle_id": cycle_id, "portal": mailbox.link_for("casey@example.com")}


FIGURE = re.compile(r'<script type="application/json" id="figure-([a-z]+)">(.*?)</script>', re.S)


def figures_of(html: str) -> dict[str, str]:
    """The serialised figures a page embeds, by name."""
    return dict(FIGURE.findall(html))


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def read_xlsx(data: bytes) -> dict[str, list[list[str]]]:
    """Every sheet of an XLSX file as rows of cell texts (a small reader: no extra
    dependency). Empty cells are ""."""
    book = zipfile.ZipFile(io.BytesIO(data))
    names = book.namelist()
    shared: list[str] = []
    if "xl/sharedStrings.xml" in names:
        root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314 (our own file)
        shared = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t")) for si in root]
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))  # noqa: S314 (our own file)
    sheets = {}
    for index, sheet in enumerate(workbook.iter(f"{{{_NS['m']}}}sheet"), start=1):
        root = ElementTree.fromstring(book.read(f"xl/worksheets/sheet{index}.xml"))  # noqa: S314 (our own file)
        rows = []
        for row in root.iter(f"{{{_NS['m']}}}row"):
            cells: dict[int, str] = {}
            for cell in row:
                ref = cell.get("r")
                column = 0
                for char in re.match(r"[A-Z]+", ref).group(0):
                    column = column * 26 + ord(char) - 64
                value = cell.find("m:v", _NS)
                inline = cell.find("m:is", _NS)
                if cell.get("t") == "s" and value is not None:
                    text = shared[int(value.text)]
                elif inline is not None:
                    text = "".join(t.text or "" for t in inline.iter(f"{{{_NS['m']}}}t"))
                else:
                    text = value.text if value is not None else ""
                cells[column - 1] = text
            width = max(cells, default=-1) + 1
            rows.append([cells.get(i, "") for i in range(width)])
        sheets[sheet.get("name")] = rows
    return sheets
