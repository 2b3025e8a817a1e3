"""Across levels, in everything the product shows (DESIGN §3 "Across levels"; issue 13).

Random cycles — 0 to 6 raters per group, "Don't know" anywhere, the boss shown alone
or not, k from 2 to 4 — and on one statement two raters whose answers no shown figure
tells apart (same group, or both in groups the guard does not show on their own there)
trade places. Two coachees of one coach get the two versions, each after the same
earlier cycle, and every output is read as the coach and the coachee read it: the
dashboard's figures and tables, the gap CSV, the XLSX, the HTML report, the released
report in the portal, the cohort overview and the trend. All must be identical.

The mutation: with competency figures built from every rater's answers again (the
rule before issue 13), the same check finds a difference.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pandas as pd
import pytest
from analysis.reference import reference_competency_stats
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from security_support import figures_and_tables, xlsx_sheets

from feedback import analysis
from feedback.accounts.models import Coach
from feedback.coaching.services import add_coachee, portal_url
from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.raters import services as raters
from feedback.ratings.answers import Answers
from feedback.ratings.frames import ratings_frame
from feedback.ratings.store import store_answers
from feedback.timeutil import today
from feedback.vocabulary import RATER_GROUPS, SELF

QUESTIONNAIRE = default_questionnaire()
ITEMS = [item.key for item in QUESTIONNAIRE.items]
SELF_SCORES = {item: 1 + i % 5 for i, item in enumerate(ITEMS)}
_coachees = itertools.count(1)

Rater = tuple[str, list[int | None]]


@st.composite
def cycles(draw: st.DrawFn) -> tuple[list[Rater], int, bool, int]:
    """Raters (group, a score or None per statement), k, the boss policy, a pick."""
    answer = st.sampled_from([1, 2, 3, 4, 5, None])
    group_raters = [
        (group, draw(st.lists(answer, min_size=len(ITEMS), max_size=len(ITEMS))))
        for group in RATER_GROUPS
        for _ in range(draw(st.integers(0, 6)))
    ]
    return group_raters, draw(st.integers(2, 4)), draw(st.booleans()), draw(st.integers(0, 10**6))


def tradeable(group_raters: list[Rater], k: int, boss_exempt: bool) -> list[tuple[int, int, int]]:
    """(statement, rater, rater) whose answers no shown statement figure tells apart and
    differ: raters of one group, or of two groups both not shown on their own there.
    Pairs across groups first, as they are the ones a leak would show."""
    rows = [
        ("c", f"r{r}", group, item, "c", score)
        for r, (group, scores) in enumerate(group_raters)
        for item, score in zip(ITEMS, scores, strict=True)
    ]
    frame = pd.DataFrame(
        rows, columns=["coachee_id", "rater_id", "group", "item_key", "competency", "score"]
    ).astype({"score": "float64"})
    items = analysis.item_stats(frame, analysis.Rules(min_group_size=k, boss_exempt=boss_exempt))
    across, within = [], []
    for position, row in enumerate(items.itertuples(index=False)):
        hidden = {g for g in RATER_GROUPS if pd.isna(getattr(row, f"{g}_mean"))}
        for a, b in itertools.combinations(range(len(group_raters)), 2):
            (ga, sa), (gb, sb) = group_raters[a], group_raters[b]
            if sa[position] is None or sb[position] is None or sa[position] == sb[position]:
                continue
            if ga == gb:
                within.append((position, a, b))
            elif {ga, gb} <= hidden:
                across.append((position, a, b))
    return across or within


def traded(group_raters: list[Rater], position: int, a: int, b: int) -> list[Rater]:
    out = [(group, list(scores)) for group, scores in group_raters]
    out[a][1][position], out[b][1][position] = out[b][1][position], out[a][1][position]
    return out


def make_coachee(coach: Coach, group_raters: list[Rater], k: int, boss_exempt: bool) -> dict:
    """A coachee with an earlier cycle (three peers) and a cycle of ``group_raters``,
    both closed; the cycle's report released."""
    n = next(_coachees)
    coachee = add_coachee(coach, name="Casey Doe", email=f"casey.{n}@example.com")
    earlier = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=7))
    store_answers(earlier, SELF, Answers(scores=dict.fromkeys(ITEMS, 3)), submit=True)
    invites, _ = raters.nominate(
        earlier, [raters.Nomination(f"p{i}.{n}@example.org", "peer") for i in range(3)]
    )
    for invite in invites:
        raters.submit(invite, Answers(scores=dict.fromkeys(ITEMS, 3)))
    lifecycle.close_cycle(earlier)
    cycle = lifecycle.start_cycle(
        coachee, closes_on=today() + timedelta(days=7), boss_exempt=boss_exempt
    )
    cycle.min_group_size = k
    store_answers(cycle, SELF, Answers(scores=SELF_SCORES), submit=True)
    nominations = [
        raters.Nomination(f"r{r}.{n}@example.org", group)
        for r, (group, _) in enumerate(group_raters)
    ]
    invites, refused = raters.nominate(cycle, nominations)
    assert not refused
    for invite, (_, scores) in zip(invites, group_raters, strict=True):
        raters.submit(invite, Answers(scores=dict(zip(ITEMS, scores, strict=True))))
    lifecycle.close_cycle(cycle)
    answered = bool(group_raters) and ratings_frame(cycle)["score"].notna().any()
    if answered:
        lifecycle.release(cycle)
    db.session.commit()
    return {
        "coachee": coachee.id,
        "cycle": cycle.id,
        "earlier": earlier.id,
        "portal": portal_url(cycle),
        "answered": answered,
    }


def anonymised(text: str, made: dict) -> str:
    """``text`` with the coachee's and the cycles' ids, its links and tokens taken out."""
    cycles = {str(made["cycle"]): "<cycle>", str(made["earlier"]): "<earlier>"}
    coachee = {str(made["coachee"]): "<coachee>"}

    def swap(names: dict[str, str]):
        return lambda m: m.group(1) + names.get(m.group(2), m.group(2))

    text = re.sub(r"(/cycles/|[Cc]ycle[ _-]?|from=|to=|value=\")(\d+)", swap(cycles), text)
    text = re.sub(r"(/coachees/|coachee[ _-]?)(\d+)", swap(coachee), text)
    text = re.sub(rf'^"{made["coachee"]}",', '"<coachee>",', text, flags=re.M)  # the CSV
    text = text.replace(urlsplit(made["portal"]).path, "<portal>")
    text = re.sub(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}", "<signed>", text)  # CSRF tokens
    # when the HTML report was written: the two versions are read a moment apart
    # (the day as the page writes it, "December 7, 2026", then the time)
    text = re.sub(r"(report written )\w+ \d{1,2}, \d{4} \d\d:\d\d UTC", r"\1<time>", text)
    return re.sub(r"casey\.\d+@example\.com", "<email>", text)


def without_ids(rows: list[list[tuple[str, str]]]) -> list[list[str]]:
    """A sheet's cell texts with the id columns and the summary's id rows blanked."""
    texts = [[text for _, text in row] for row in rows]
    ids = {i for i, name in enumerate(texts[0] if texts else []) if name.endswith("_id")}
    return [
        [
            "<id>" if (i in ids and n) or (row[0] in ("cycle", "coachee") and i == 1) else text
            for i, text in enumerate(row)
        ]
        for n, row in enumerate(texts)
    ]


def outputs(app, coach_browser, made: dict) -> dict:
    """Everything the coach and the coachee see of ``made``'s cycle."""
    cycle = made["cycle"]
    seen = {"dashboard": figures_and_tables(coach_browser.get(f"/cycles/{cycle}").text, cycle)}
    if made["answered"]:
        seen["csv"] = coach_browser.get(f"/cycles/{cycle}/report.csv").text
        seen["html"] = coach_browser.get(f"/cycles/{cycle}/report.html").text
        book = xlsx_sheets(coach_browser.get(f"/cycles/{cycle}/report.xlsx").data)
        seen["xlsx"] = {name: without_ids(rows) for name, rows in book.items()}
        seen["released"] = coach_browser.get(made["portal"].rstrip("/") + "/report").text
    seen["trend"] = coach_browser.get(f"/coachees/{made['coachee']}/trend").text
    cohort = coach_browser.get("/cohort").text
    seen["cohort"] = [
        row
        for row in re.findall(r"<tr>.*?</tr>", cohort, re.S)
        if f'/coachees/{made["coachee"]}"' in row
    ]
    return {
        name: anonymised(value if isinstance(value, str) else repr(value), made)
        for name, value in seen.items()
    }


def both_versions(app, coach, coach_browser, group_raters, k, boss_exempt, trade) -> list[dict]:
    with app.test_request_context():
        owner = db.session.get(Coach, coach)
        made = [
            make_coachee(owner, version, k, boss_exempt)
            for version in (group_raters, traded(group_raters, *trade))
        ]
    return [outputs(app, coach_browser, m) for m in made]


def assert_same(seen: list[dict]) -> None:
    for name in seen[0]:
        assert seen[0][name] == seen[1][name], f"the {name} tells the two apart"


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: minutes per try
)
@given(cycles())
def test_answers_no_shown_figure_tells_apart_look_the_same_everywhere(
    app, coach, coach_browser, cycle
):
    group_raters, k, boss_exempt, pick = cycle
    trades = tradeable(group_raters, k, boss_exempt)
    assume(trades)
    assert_same(
        both_versions(
            app, coach, coach_browser, group_raters, k, boss_exempt, trades[pick % len(trades)]
        )
    )


#: The issue's example: a boss, three peers, three subordinates; on the first statement
#: the third peer says "Don't know", so the two other peers are pooled with the
#: subordinates there, and the first peer's 2 trades places with a subordinate's 4.
EXAMPLE = [
    ("boss", [5] + [4] * (len(ITEMS) - 1)),
    ("peer", [2] + [3, 4] * (len(ITEMS) // 2)),
    ("peer", [3] + [4, 2] * (len(ITEMS) // 2)),
    ("peer", [None] + [5, 3] * (len(ITEMS) // 2)),
    ("subordinate", [4] + [2, 2] * (len(ITEMS) // 2)),
    ("subordinate", [3] + [1, 4] * (len(ITEMS) // 2)),
    ("subordinate", [5] + [3, 5] * (len(ITEMS) // 2)),
]


#: The example with the first peer's "Don't know" on the second statement, of the same
#: competency as the first: that peer's competency score then weighs the first statement
#: more than the subordinate's does, so with competency scores built per rater from
#: every answer the trade moves even the others' overall mean, and with it the trend.
UNEVEN = [
    (group, [None if (r, i) == (1, 1) else score for i, score in enumerate(scores)])
    for r, (group, scores) in enumerate(EXAMPLE)
]


@pytest.mark.parametrize("example", [EXAMPLE, UNEVEN], ids=["example", "uneven"])
def test_the_example_looks_the_same_everywhere(app, coach, coach_browser, example):
    assert (0, 1, 4) in tradeable(example, 3, True)
    assert_same(both_versions(app, coach, coach_browser, example, 3, True, (0, 1, 4)))


def test_competencies_from_every_answer_would_tell_them_apart(
    app, coach, coach_browser, monkeypatch
):
    assert QUESTIONNAIRE.items[0].competency_key == QUESTIONNAIRE.items[1].competency_key
    assert (0, 1, 4) in tradeable(UNEVEN, 3, True)
    monkeypatch.setattr(analysis, "competency_stats", reference_competency_stats)
    seen = both_versions(app, coach, coach_browser, UNEVEN, 3, True, (0, 1, 4))
    with pytest.raises(AssertionError, match="tells the two apart"):
        assert_same(seen)
    different = {name for name in seen[0] if coarse(seen[0][name]) != coarse(seen[1][name])}
    assert {"dashboard", "xlsx", "html", "released", "trend"} <= different


def coarse(text: str) -> str:
    """``text`` with every long decimal rounded to six places, so that a difference in
    floating-point noise alone (the order of a sum) does not count as one."""
    return re.sub(r"-?\d+\.\d{7,}", lambda m: f"{float(m.group()):.6f}", text)


def test_every_output_is_read(app, coach, coach_browser):
    with app.test_request_context():
        made = make_coachee(db.session.get(Coach, coach), EXAMPLE, 3, True)
    seen = outputs(app, coach_browser, made)
    assert set(seen) == {"dashboard", "csv", "html", "xlsx", "released", "trend", "cohort"}
    assert "<coachee>" in seen["cohort"] and "figure-" in seen["dashboard"]
