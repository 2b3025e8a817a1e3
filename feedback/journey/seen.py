"""Stage two answered by the 360: what the coachee was shown in their released report,
read back from the report as it was stored at release.

Nothing here computes a figure. The blind spots, hidden strengths and descriptions are
taken from the stored HTML of :class:`feedback.reports.models.ReleasedReport`, which
went through the anonymity guard when it was rendered, so the journey shows exactly
what the coachee was given and nothing more (DESIGN §3)."""

import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser

from sqlalchemy import select

from ..coaching.models import Coachee, Cycle
from ..extensions import db
from ..reports.released import released_html

#: The finding kinds, as the released report heads them.
KINDS = {"blind": "Blind spots", "hidden": "Hidden strengths"}


@dataclass(frozen=True)
class Finding:
    """One row of the released report's blind spots or hidden strengths, as shown."""

    kind: str
    statement: str
    others: str
    self: str
    gap: str
    #: Where the coachee's reflection on it is kept.
    key: str


@dataclass
class Seen:
    """What stage two shows: the released cycle's findings and descriptions."""

    cycle: Cycle
    findings: list[Finding] = field(default_factory=list)
    self_headline: str = ""
    others_headlines: list[str] = field(default_factory=list)
    #: Each description's language as the report marked it (told from its words);
    #: reports released before answers were marked have none.
    languages: dict[str, str] = field(default_factory=dict)

    @property
    def descriptions_key(self) -> str:
        """Where the coachee's reflection on the descriptions side by side is kept."""
        return f"r{self.cycle.id}-descriptions"

    def of(self, kind: str) -> list[Finding]:
        """The findings of one kind, in the report's order."""
        return [f for f in self.findings if f.kind == kind]

    @property
    def reflection_keys(self) -> list[str]:
        """Every reflection the coachee can write on this release."""
        return [f.key for f in self.findings] + [self.descriptions_key]


def reflection_key(cycle_id: int, kind: str, statement: str) -> str:
    """A short, stable key of the reflection on one finding of one release."""
    digest = hashlib.sha256(statement.encode("utf-8")).hexdigest()[:12]
    return f"r{cycle_id}-{kind}-{digest}"


class _ReportReader(HTMLParser):
    """Collects the rows of the two finding cards and the two description cards."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: dict[str, list[list[str]]] = {kind: [] for kind in KINDS}
        self.headlines: list[list[str]] = []
        self.languages: dict[str, str] = {}
        self._lang: str | None = None  # the language marked on the current description
        self._divs: list[str] = []  # the classes of the open divs
        self._kind: str | None = None
        self._kind_depth = 0
        self._headlines_depth = 0
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._heading = False
        self._marker = 0  # inside a description's language marker: not its words

    def handle_starttag(self, tag, attrs):
        given = dict(attrs)
        classes = (given.get("class") or "").split()
        if tag == "span" and ("language-tag" in classes or self._marker):
            self._marker += 1
        elif tag == "span" and given.get("lang") and self._text is not None:
            self._lang = given["lang"]
        if tag == "div":
            self._divs.append(" ".join(classes))
            if "headlines" in classes:
                self._headlines_depth = len(self._divs)
            elif self._headlines_depth and "card" in classes:
                self.headlines.append([])
            self._heading = "muted" in classes and self._kind is None
            if self._heading:
                self._text = []
        elif tag == "tr" and self._kind:
            self._row = []
        elif (tag == "td" and self._row is not None) or (
            tag == "blockquote" and self._headlines_depth and self.headlines
        ):
            self._text = []

    def handle_endtag(self, tag):
        if tag == "span" and self._marker:
            self._marker -= 1
        if tag == "div":
            if self._heading and self._text is not None:
                heading = "".join(self._text).strip()
                for kind, title in KINDS.items():
                    if heading.startswith(title):
                        self._kind, self._kind_depth = kind, len(self._divs) - 1
                self._heading, self._text = False, None
            if self._divs:
                self._divs.pop()
            if self._kind and len(self._divs) < self._kind_depth:
                self._kind = None
            if self._headlines_depth and len(self._divs) < self._headlines_depth:
                self._headlines_depth = 0
        elif tag == "td" and self._row is not None and self._text is not None:
            self._row.append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag == "tr" and self._row is not None:
            if self._kind and len(self._row) == 4:
                self.rows[self._kind].append(self._row)
            self._row = None
        elif tag == "blockquote" and self._text is not None and self.headlines:
            text = " ".join("".join(self._text).split())
            self.headlines[-1].append(text)
            if self._lang:
                self.languages[text] = self._lang
            self._text, self._lang = None, None

    def handle_data(self, data):
        if self._text is not None and not self._marker:
            self._text.append(data)


def read_released(cycle: Cycle, html: str) -> Seen:
    """The findings and descriptions of ``cycle``'s released report ``html``."""
    reader = _ReportReader()
    reader.feed(html)
    reader.close()
    seen = Seen(cycle)
    for kind in KINDS:
        for statement, others, self_score, gap in reader.rows[kind]:
            key = reflection_key(cycle.id, kind, statement)
            seen.findings.append(Finding(kind, statement, others, self_score, gap, key))
    seen.languages = reader.languages
    if reader.headlines:
        seen.self_headline = " ".join(reader.headlines[0])
        if len(reader.headlines) > 1:
            seen.others_headlines = reader.headlines[1]
    return seen


def latest_release(coachee: Coachee) -> Seen | None:
    """What the coachee's latest released report shows, or None before any release."""
    cycles = db.session.scalars(
        select(Cycle)
        .where(Cycle.coachee_id == coachee.id, Cycle.released_at.is_not(None))
        .order_by(Cycle.released_at.desc(), Cycle.id.desc())
    )
    for cycle in cycles:
        html = released_html(cycle)
        if html is not None:
            return read_released(cycle, html)
    return None
