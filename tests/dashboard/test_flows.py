"""Predictions, development plan, release, cohort and trend through the real forms
(CSRF on): bad input is refused with a 4xx and nothing already saved is lost."""

import json
import math
import re
from datetime import timedelta

import pandas as pd
from dashboard_support import (
    COMPETENCIES,
    ITEMS,
    PARTNER_WORD,
    figures_of,
    run_cycle,
    start_follow_up,
)
from support import csrf_token

from feedback import analysis
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.plans.models import Goal, Prediction
from feedback.ratings.frames import ratings_frame
from feedback.ratings.results import rules_for
from feedback.timeutil import today


def stored_predictions(app) -> dict:
    with app.app_context():
        rows = db.session.query(Prediction).all()
        return {(p.competency_key, p.group): p.score for p in rows}


def stored_goals(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(g.item_key, g.author) for g in db.session.query(Goal).order_by(Goal.id)]


def test_predictions_before_release(closed_cycle, browser, coach_browser, app):
    portal = closed_cycle["portal"].rstrip("/")
    page = browser.get(f"{portal}/predictions")
    assert page.status_code == 200 and "How will others rate you?" in page.text
    first, second = COMPETENCIES[0], COMPETENCIES[1]
    good = {
        f"predict-{first}-boss": "5",
        f"predict-{first}-peer": "4",
        f"predict-{second}-peer": "2",
    }
    assert browser.submit(f"{portal}/predictions", good).status_code == 302
    saved = stored_predictions(app)
    assert saved == {(first, "boss"): 5, (first, "peer"): 4, (second, "peer"): 2}

    bad = browser.submit(f"{portal}/predictions", {**good, f"predict-{second}-boss": "9"})
    assert bad.status_code == 400 and "choose 1 to 5" in bad.text
    assert 'value="9"' not in bad.text  # the form is shown again, the bad value refused
    assert stored_predictions(app) == saved
    no_token = browser.post(f"{portal}/predictions", data={f"predict-{first}-boss": "1"})
    assert no_token.status_code == 400
    assert stored_predictions(app) == saved

    # The dashboard lines up self, predicted and actual for the shown groups only.
    html = coach_browser.get(f"/cycles/{closed_cycle['cycle_id']}").text
    assert "Predicted and actual" in html
    figure = json.loads(figures_of(html)["predictions"])
    labels = [y for trace in figure["data"] for y in trace["y"]]
    assert not any("Partner" in label for label in labels)
    with app.app_context():
        cycle = db.session.get(Cycle, closed_cycle["cycle_id"])
        competencies = analysis.competency_stats(ratings_frame(cycle), rules_for(cycle))
        title = cycle.questionnaire.competencies[0].title
    actual = next(t for t in figure["data"] if t["name"] == "Actual")
    expected = competencies.set_index("competency").loc[title, "boss_mean"]
    row = actual["y"].index(f"{title} · Boss")
    assert math.isclose(actual["x"][row], expected)

    # After release, predictions are closed and stay as they were.
    token = csrf_token(browser.get(f"{portal}/predictions").text)
    url = f"/cycles/{closed_cycle['cycle_id']}"
    assert coach_browser.submit(f"{url}/release", {}, page=url).status_code == 302
    late = browser.post(f"{portal}/predictions", data={"csrf_token": token, **good})
    assert late.status_code == 409
    assert stored_predictions(app) == saved


def test_release_shows_the_coachee_a_simpler_guarded_report(closed_cycle, browser, coach_browser):
    portal = closed_cycle["portal"].rstrip("/")
    assert browser.get(f"{portal}/report").status_code == 404
    assert "See your results" not in browser.get(f"{portal}/").text
    assert browser.get(f"{portal}/plan").status_code == 404

    url = f"/cycles/{closed_cycle['cycle_id']}"
    assert coach_browser.submit(f"{url}/release", {}, page=url).status_code == 302
    assert "See your results" in browser.get(f"{portal}/").text
    report = browser.get(f"{portal}/report")
    assert report.status_code == 200
    html = report.text
    assert "Blind spots" in html and "Hidden strengths" in html
    assert "I build teams that listen." in html and PARTNER_WORD in html
    assert set(figures_of(html)) == {"competencies"}
    # The lone partner is pooled away: named only where the report says why.
    results = re.sub(r'<div class="explain" id="why-not-shown">.*?</div>', "", html, flags=re.S)
    assert "Partners" in html and "Partners" not in results
    assert "partner" not in figures_of(html)["competencies"]


def test_development_plan_and_follow_up(closed_cycle, browser, coach_browser, mailbox, app):
    cycle_id = closed_cycle["cycle_id"]
    plan = f"/cycles/{cycle_id}/plan"
    review = (today() + timedelta(days=60)).isoformat()
    goal = {
        "item_key": ITEMS[0],
        "goal": "Let people finish.",
        "success_criteria": "Peers say so.",
        "review_on": review,
    }
    assert coach_browser.submit(plan, goal).status_code == 302
    assert stored_goals(app) == [(ITEMS[0], "coach")]
    for bad in (
        {**goal, "review_on": "not a date"},
        {**goal, "review_on": (today() - timedelta(days=1)).isoformat()},
        {**goal, "goal": ""},
        {**goal, "item_key": "no_such_item"},
    ):
        response = coach_browser.submit(plan, bad)
        assert response.status_code == 400, bad
        assert "Let people finish." in response.text  # the saved goal is still shown
    assert stored_goals(app) == [(ITEMS[0], "coach")]
    assert coach_browser.submit(plan, {**goal, "item_key": ITEMS[1]}).status_code == 302

    # The coachee adds their own goal after release; the plan holds at most three.
    url = f"/cycles/{cycle_id}"
    coach_browser.submit(f"{url}/release", {}, page=url)
    portal = closed_cycle["portal"].rstrip("/")
    mine = {**goal, "item_key": ITEMS[2], "goal": "Ask before deciding."}
    assert browser.submit(f"{portal}/plan", mine).status_code == 302
    assert browser.submit(f"{portal}/plan", {**mine, "item_key": ITEMS[3]}).status_code == 400
    assert stored_goals(app) == [(ITEMS[0], "coach"), (ITEMS[1], "coach"), (ITEMS[2], "coachee")]

    # The next cycle shows the change on the plan's statements first.
    coachee_id = closed_cycle_coachee(app, cycle_id)
    follow = start_follow_up(coach_browser, mailbox, coachee_id)
    run_cycle(coach_browser, browser, mailbox, follow["portal"], follow["cycle_id"], shift=1)
    html = coach_browser.get(f"/cycles/{follow['cycle_id']}").text
    first = html.index('id="goals-progress"')
    assert first < html.index('id="summary"')
    assert "Let people finish." in html[first:] and "Ask before deciding." in html[first:]
    with app.app_context():
        before, after = (
            analysis.item_stats(ratings_frame(c), rules_for(c))
            for c in (db.session.get(Cycle, cycle_id), db.session.get(Cycle, follow["cycle_id"]))
        )
    change = analysis.trend(before, after).set_index("item_key").loc[ITEMS[0], "others_mean_change"]
    section = html[first : html.index('id="summary"')]
    assert f"{change:+.2f}" in section

    # The trend page: the engine's change per competency.
    trend = coach_browser.get(f"/coachees/{coachee_id}/trend")
    assert trend.status_code == 200
    with app.app_context():
        cycles = [db.session.get(Cycle, i) for i in (cycle_id, follow["cycle_id"])]
        frames = [analysis.competency_stats(ratings_frame(c), rules_for(c)) for c in cycles]
    expected = analysis.trend(*frames)
    figure = json.loads(figures_of(trend.text)["trend"])
    others = next(t for t in figure["data"] if t["name"] == "Others")
    assert others["x"] == [float(v) for v in expected["others_mean_change"]]
    for row in expected.itertuples():
        assert f"{row.gap_change:+.2f}" in trend.text
    assert coach_browser.get(f"/coachees/{coachee_id}/trend?from=abc").status_code == 400
    assert (
        coach_browser.get(f"/coachees/{coachee_id}/trend?from={cycle_id}&to={cycle_id}").status_code
        == 400
    )
    assert coach_browser.get(f"/coachees/{coachee_id}/trend?from=999").status_code == 400


def closed_cycle_coachee(app, cycle_id: int) -> int:
    with app.app_context():
        return db.session.get(Cycle, cycle_id).coachee_id


def test_trend_needs_two_closed_cycles(closed_cycle, coach_browser, app):
    coachee_id = closed_cycle_coachee(app, closed_cycle["cycle_id"])
    page = coach_browser.get(f"/coachees/{coachee_id}/trend")
    assert page.status_code == 200 and "needs two closed cycles" in page.text


def test_cohort_page(closed_cycle, coach_browser, app):
    coach_browser.submit("/coachees", {"name": "Ann Zed", "email": "ann@example.com"}, page="/")
    page = coach_browser.get("/cohort")
    assert page.status_code == 200
    with app.app_context():
        cycle = db.session.get(Cycle, closed_cycle["cycle_id"])
        summary = analysis.cohort_summary(ratings_frame(cycle), rules_for(cycle)).iloc[0]
    html = page.text
    assert summary["category"] in html
    assert f"{summary['difference']:+.2f}" in html
    assert f"{summary['others_overall']:.2f}" in html
    assert "8 of 8 (100%)" in html

    def table(url: str, **query) -> str:
        response = coach_browser.get(url, query_string=query)
        assert response.status_code == 200
        return response.text.split('<table class="cohort">', 1)[1]

    by_name = table("/cohort")
    assert by_name.index("Ann Zed") < by_name.index("Casey Doe")
    by_name_desc = table("/cohort", sort="name", order="desc")
    assert by_name_desc.index("Ann Zed") > by_name_desc.index("Casey Doe")
    # Sorting by a figure puts coachees without it last, in either order.
    for order in ("asc", "desc"):
        by_gap = table("/cohort", sort="largest_gap", order=order)
        assert by_gap.index("Casey Doe") < by_gap.index("Ann Zed")
    filtered = table("/cohort", category=summary["category"])
    assert "Casey Doe" in filtered and "Ann Zed" not in filtered
    assert "Casey Doe" not in table("/cohort", q="ann")
    for bad in ("sort=evil", "order=sideways", "category=nonsense"):
        assert coach_browser.get(f"/cohort?{bad}").status_code == 400
    # Percentiles come from the engine's cohort summary.
    assert pd.notna(summary["others_overall_percentile"])


def test_cohort_figures_are_kept_until_a_cycle_closes(
    closed_cycle, coach_browser, browser, mailbox, app, monkeypatch
):
    from feedback.cycles import cohort

    reads = []
    monkeypatch.setattr(
        cohort, "ratings_frame", lambda cycle: reads.append(cycle.id) or ratings_frame(cycle)
    )

    def table() -> str:
        return coach_browser.get("/cohort").text.split('<table class="cohort">', 1)[1]

    first = table()
    assert reads == [closed_cycle["cycle_id"]]
    assert table() == first
    assert reads == [closed_cycle["cycle_id"]]  # the second view computed nothing

    coachee_id = closed_cycle_coachee(app, closed_cycle["cycle_id"])
    follow = start_follow_up(coach_browser, mailbox, coachee_id)
    run_cycle(coach_browser, browser, mailbox, follow["portal"], follow["cycle_id"], shift=1)
    page = table()
    assert reads[-1] == follow["cycle_id"]
    with app.app_context():
        cycle = db.session.get(Cycle, follow["cycle_id"])
        summary = analysis.cohort_summary(ratings_frame(cycle), rules_for(cycle)).iloc[0]
    assert f"{summary['others_overall']:.2f}" in page
