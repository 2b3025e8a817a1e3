"""A cycle on a coach's own questionnaire of 4 and of 7 points, through the real forms
(CSRF on): the forms show and take that scale only, and the analysis, the charts and
the exports follow it (rwg with σ²_EU = (A² − 1) / 12 from the scale's own size A)."""

import json
import re
import statistics
from datetime import timedelta

import pytest
from dashboard.dashboard_support import figures_of, read_xlsx
from own_support import short_questionnaire
from sqlalchemy import select
from support import NO_MINIMUMS

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.ratings.results import clear_cache, cycle_report
from feedback.timeutil import today

ITEMS = ["lets_finish", "asks_questions", "decides_in_time", "explains_decisions", "revisits"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def start_cycle(app, coach_browser, mailbox, tmp_path, *, points: int, dont_know: bool) -> dict:
    """The coach imports a questionnaire and starts Casey's cycle on it with the form."""
    path = tmp_path / "lead.toml"
    path.write_text(short_questionnaire(points=points, dont_know=dont_know), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["questionnaire", "import", str(path), "--coach", "coach@example.com"]
    )
    assert result.exit_code == 0, result.output
    response = coach_browser.submit(
        "/coachees", {"name": "Casey Doe", "email": "casey@example.com"}, page="/"
    )
    new_cycle = response.headers["Location"]
    page = coach_browser.get(new_cycle).text
    assert '<option value="team-lead">Team lead' in page
    closes_on = (today() + timedelta(days=14)).isoformat()
    response = coach_browser.submit(
        new_cycle,
        {
            "closes_on": closes_on,
            "boss_exempt": "y",
            "questionnaire": "team-lead",
            **NO_MINIMUMS,
        },
    )
    assert response.status_code == 302, response.text
    cycle_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return {"cycle_id": cycle_id, "portal": mailbox.link_for("casey@example.com").rstrip("/")}


def radio_values(html: str, item: str) -> list[str]:
    return re.findall(rf'name="item-{item}" value="([^"]+)"', html)


#: Others' scores per rater on every statement (boss, three peers, three subordinates).
SCORES_4 = {
    "boss@example.com": ("boss", 4),
    "peer1@example.com": ("peer", 1),
    "peer2@example.com": ("peer", 2),
    "peer3@example.com": ("peer", 2),
    "sub1@example.com": ("subordinate", 3),
    "sub2@example.com": ("subordinate", 3),
    "sub3@example.com": ("subordinate", 2),
}
SCORES_7 = {
    email: (group, {4: 7, 1: 1, 2: 3, 3: 6}[score]) for email, (group, score) in SCORES_4.items()
}


def answer(
    browser, mailbox, cycle: dict, raters: dict, self_score: int, choices: list, items=ITEMS
) -> None:
    """The self-assessment, the nominations and every rater's answers to ``items``;
    each rater's form offers exactly ``choices`` on every statement."""
    portal = cycle["portal"]
    response = browser.submit(
        f"{portal}/self",
        {
            **{f"item-{key}": str(self_score) for key in items},
            "text-headline": "I listen.",
            "action": "submit",
        },
    )
    assert response.status_code == 302, response.text
    lines = "\n".join(f"{email}, {group}" for email, (group, _) in raters.items())
    assert browser.submit(f"{portal}/raters", {"raters": lines}).status_code == 302
    for email, (_group, score) in raters.items():
        form = browser.get(mailbox.link_for(email)).text
        assert all(radio_values(form, key) == choices for key in items)
        scores = {f"item-{key}": str(score) for key in items}
        response = browser.submit(
            mailbox.link_for(email), {**scores, "text-headline": "Calm.", "action": "submit"}
        )
        assert response.status_code == 302, email


def expected_rwg(scores: list[int], points: int) -> float:
    return max(0.0, 1 - statistics.variance(scores) / ((points**2 - 1) / 12))


def test_a_four_point_cycle_from_form_to_exports(app, coach_browser, browser, mailbox, tmp_path):
    cycle = start_cycle(app, coach_browser, mailbox, tmp_path, points=4, dont_know=False)
    # The self-assessment shows the four points, and no "Don't know".
    page = browser.get(f"{cycle['portal']}/self").text
    assert radio_values(page, "lets_finish") == ["1", "2", "3", "4"]
    assert "4 = Always" in page
    # A 5 is not on this scale: refused at the statement, nothing saved.
    response = browser.submit(
        f"{cycle['portal']}/self",
        {**{f"item-{key}": "4" for key in ITEMS}, "item-revisits": "5", "action": "submit"},
    )
    assert response.status_code == 400
    assert "Not a valid choice." in response.text
    response = browser.submit(
        f"{cycle['portal']}/self",
        {**{f"item-{key}": "4" for key in ITEMS}, "item-revisits": "na", "action": "submit"},
    )
    assert response.status_code == 400

    answer(browser, mailbox, cycle, SCORES_4, self_score=4, choices=["1", "2", "3", "4"])
    url = f"/cycles/{cycle['cycle_id']}"
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302

    others = [score for _, score in SCORES_4.values()]
    with app.app_context():
        report = cycle_report(db.session.get(Cycle, cycle["cycle_id"]))
        assert report.results.rules.scale_points == 4
        assert report.results.rules.gap_threshold == 0.75  # a quarter of the scale's span
        items = report.results.items.set_index("item_key")
        assert items.loc["lets_finish", "rwg"] == pytest.approx(expected_rwg(others, 4))
        # On a 5-point scale the same answers would agree more (σ²_EU 2.0 against 1.25).
        assert items.loc["lets_finish", "rwg"] < expected_rwg(others, 5)
        assert [c for c in items.columns if c.startswith("count_")] == [
            f"count_{p}" for p in range(1, 5)
        ]
        assert items.loc["lets_finish", "count_2"] == 3

    dashboard = coach_browser.get(url).text
    assert "all on the same 1–4 scale" in dashboard
    assert "gave each answer from 1 to 4." in dashboard  # no "Don't know" to leave out
    figures = {name: json.loads(text) for name, text in figures_of(dashboard).items()}
    spread = figures["spread"]["data"]
    assert [trace["name"] for trace in spread] == ["1 Never", "2 Rarely", "3 Sometimes", "4 Always"]
    assert figures["groups"]["data"][0]["zmax"] == 4
    assert figures["competencies"]["layout"]["xaxis"]["range"] == [0.8, 4.2]
    assert figures["competencies"]["layout"]["xaxis"]["title"]["text"] == "1 = never … 4 = always"

    xlsx = coach_browser.get(f"/cycles/{cycle['cycle_id']}/report.xlsx")
    assert xlsx.status_code == 200
    cells = {cell for sheet in read_xlsx(xlsx.data).values() for row in sheet for cell in row}
    assert "4: Always" in cells
    assert not any(cell.startswith("5: ") for cell in cells)
    header = coach_browser.get(f"/cycles/{cycle['cycle_id']}/report.csv").text.splitlines()[0]
    assert '"count_4"' in header or "count_4" in header.split(",")
    assert "count_5" not in header
    report_html = coach_browser.get(f"/cycles/{cycle['cycle_id']}/report.html").text
    assert "Casey lets people finish." in report_html


def test_a_seven_point_cycle_with_dont_know(app, coach_browser, browser, mailbox, tmp_path):
    cycle = start_cycle(app, coach_browser, mailbox, tmp_path, points=7, dont_know=True)
    page = browser.get(f"{cycle['portal']}/self").text
    assert radio_values(page, "revisits") == ["1", "2", "3", "4", "5", "6", "7", "na"]
    assert "Cannot say" in page
    answer(browser, mailbox, cycle, SCORES_7, self_score=7, choices=[*"1234567", "na"])
    url = f"/cycles/{cycle['cycle_id']}"
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302
    others = [score for _, score in SCORES_7.values()]
    with app.app_context():
        cycle_row = db.session.scalars(select(Cycle)).one()
        report = cycle_report(cycle_row)
        items = report.results.items.set_index("item_key")
        assert items.loc["asks_questions", "rwg"] == pytest.approx(expected_rwg(others, 7))
        assert items.loc["asks_questions", "count_7"] == 1
        assert items.loc["asks_questions", "self"] == 7
        assert items.loc["asks_questions", "gap"] == pytest.approx(7 - statistics.mean(others))
    figures = {
        name: json.loads(text) for name, text in figures_of(coach_browser.get(url).text).items()
    }
    assert len(figures["spread"]["data"]) == 7
    assert figures["gaps"]["layout"]["xaxis"]["range"] == [-6.9, 6.9]


def follow_up(app, coach_browser, mailbox, tmp_path, coachee_url: str, text: str) -> dict:
    """Import ``text`` as the next version and start Casey's next cycle on it."""
    path = tmp_path / "next.toml"
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["questionnaire", "import", str(path), "--coach", "coach@example.com"]
    )
    assert result.exit_code == 0, result.output
    closes_on = (today() + timedelta(days=14)).isoformat()
    response = coach_browser.submit(
        f"{coachee_url}/cycles/new",
        {"closes_on": closes_on, "boss_exempt": "y", "questionnaire": "team-lead", **NO_MINIMUMS},
    )
    assert response.status_code == 302, response.text
    cycle_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return {"cycle_id": cycle_id, "portal": mailbox.link_for("casey@example.com").rstrip("/")}


def close(coach_browser, cycle: dict) -> None:
    url = f"/cycles/{cycle['cycle_id']}"
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302


def test_trend_compares_the_statements_two_cycles_share_and_says_so(
    app, coach_browser, browser, mailbox, tmp_path
):
    first = start_cycle(app, coach_browser, mailbox, tmp_path, points=4, dont_know=False)
    answer(browser, mailbox, first, SCORES_4, self_score=4, choices=["1", "2", "3", "4"])
    close(coach_browser, first)
    with app.app_context():
        coachee_id = db.session.get(Cycle, first["cycle_id"]).coachee_id
    # The next version drops "revisits" and asks "listens_first" instead.
    text = short_questionnaire(points=4, dont_know=False).replace(
        'key = "revisits"', 'key = "listens_first"'
    )
    second = follow_up(app, coach_browser, mailbox, tmp_path, f"/coachees/{coachee_id}", text)
    items = [*ITEMS[:4], "listens_first"]
    answer(browser, mailbox, second, SCORES_4, self_score=3, choices=[*"1234"], items=items)
    close(coach_browser, second)

    page = coach_browser.get(f"/coachees/{coachee_id}/trend")
    assert page.status_code == 200
    assert (
        "the trend compares only the 4 statements they share (of 5 in the earlier cycle "
        "and 5 in the later)" in page.text
    )
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">", page.text)
    statements = [row for row in rows if row.startswith("Casey")]
    assert len(statements) == 4
    assert not any("revisits" in row or "decision when facts change" in row for row in rows)
    # Self went from 4 to 3 on every shared statement; others gave the same scores.
    figure = json.loads(figures_of(page.text)["trend"])
    self_bars = next(t for t in figure["data"] if t["name"] == "Self")
    assert self_bars["x"] == [-1.0, -1.0]
    assert figure["layout"]["xaxis"]["range"] == [-3, 3]


def test_trend_refuses_scales_of_different_sizes(app, coach_browser, browser, mailbox, tmp_path):
    first = start_cycle(app, coach_browser, mailbox, tmp_path, points=4, dont_know=False)
    answer(browser, mailbox, first, SCORES_4, self_score=4, choices=["1", "2", "3", "4"])
    close(coach_browser, first)
    with app.app_context():
        coachee_id = db.session.get(Cycle, first["cycle_id"]).coachee_id
    text = short_questionnaire(points=7, dont_know=True)
    second = follow_up(app, coach_browser, mailbox, tmp_path, f"/coachees/{coachee_id}", text)
    answer(browser, mailbox, second, SCORES_7, self_score=7, choices=[*"1234567", "na"])
    close(coach_browser, second)
    page = coach_browser.get(f"/coachees/{coachee_id}/trend")
    assert page.status_code == 200
    assert "use scales of different sizes (4 and 7 points)" in page.text
    assert "figure-trend" not in page.text


def test_the_rules_move_with_the_scale():
    from feedback.analysis import DEFAULT_RULES, rules_for_scale

    assert rules_for_scale(5) == DEFAULT_RULES
    four = rules_for_scale(4, min_group_size=4)
    assert (four.scale_points, four.min_group_size) == (4, 4)
    assert (four.high, four.low, four.gap_threshold) == (3.25, 2.5, 0.75)
    assert four.uniform_variance == 1.25
    seven = rules_for_scale(7)
    assert (seven.high, seven.low, seven.gap_threshold, seven.overall_good) == (5.5, 4.0, 1.5, 4.75)
    assert seven.uniform_variance == 4.0


def test_the_cohort_says_when_its_scales_differ(app, coach_browser, tmp_path):
    run = app.test_cli_runner().invoke
    for key, points, coachee in (("four", 4, "casey"), ("seven", 7, "sam")):
        path = tmp_path / f"{key}.toml"
        path.write_text(short_questionnaire(key, points=points), encoding="utf-8")
        imported = run(args=["questionnaire", "import", str(path), "--coach", "coach@example.com"])
        assert imported.exit_code == 0, imported.output
        created = run(
            args=[
                *("cycle", "create", "--coach", "coach@example.com", "--json"),
                *("--coachee-name", coachee.title(), "--coachee-email", f"{coachee}@example.com"),
                *("--questionnaire", key),
                *("--min-boss", "0", "--min-peers", "0", "--min-subordinates", "0"),
                *("--min-raters", "0"),
            ]
        )
        assert created.exit_code == 0, created.output
        cycle_id = json.loads(created.output)["cycle_id"]
        assert run(args=["cycle", "close", str(cycle_id)]).exit_code == 0
        page = coach_browser.get("/cohort").text
        said = "use scales of different sizes (4, 7 points)" in page
        assert said is (key == "seven")
