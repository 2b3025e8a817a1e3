"""Anonymity across levels (DESIGN §3, the guard's "Across levels"; issue 13, part 1).

A boss, three peers and three subordinates. On the first statement one peer says
"Don't know": the two remaining peers are hidden there and pooled with the three
subordinates as "other raters". Two cycles whose answers differ only on that statement,
where one peer's 2 and one subordinate's 4 trade places, cannot be told apart by any
figure the item level shows; so the dashboard's figures and tables and the XLSX
export's summary and competencies sheets must be identical too.
"""

import factories
import pandas as pd
from factories import ITEMS
from security_support import figures_and_tables, xlsx_sheets

from feedback import analysis
from feedback.accounts.models import Coach
from feedback.coaching.models import Cycle
from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.raters import services as raters
from feedback.ratings.answers import Answers
from feedback.ratings.frames import ratings_frame
from feedback.ratings.results import cycle_report, rules_for

FIRST = ITEMS[0]
GROUPS = {"boss": 1, "peer": 3, "subordinate": 3}


def _scores(rater: int, traded: bool) -> dict[str, int | None]:
    """Rater ``rater``'s scores (0 boss, 1-3 peers, 4-6 subordinates): spread over the
    scale, the same in both cycles except on the first statement."""
    scores: dict[str, int | None] = {
        item: 1 + (rater + 2 * position) % 5 for position, item in enumerate(ITEMS)
    }
    first = {0: 5, 1: 2, 2: 3, 3: None, 4: 4, 5: 3, 6: 5}  # peer 3: "Don't know"
    if traded:
        first[1], first[4] = first[4], first[1]  # the peer's 2 and the subordinate's 4
    scores[FIRST] = first[rater]
    return scores


def _closed_cycle(coach: Coach, traded: bool) -> int:
    """A closed cycle of a new coachee of ``coach`` (same name each time), no texts."""
    coachee = factories.coachee(coach, name="Casey Doe", email=f"casey.{int(traded)}@example.com")
    cycle = factories.cycle(coachee)
    factories.self_assessment(cycle, 4)
    for rater, invite in enumerate(factories.invites(cycle, GROUPS)):
        raters.submit(invite, Answers(scores=_scores(rater, traded)))
    lifecycle.close_cycle(cycle)
    db.session.commit()
    return cycle.id


def test_trading_a_hidden_peers_answer_with_a_pooled_subordinates_changes_nothing(
    app, coach, coach_browser
):
    with app.test_request_context():
        owner = db.session.get(Coach, coach)
        before, after = _closed_cycle(owner, False), _closed_cycle(owner, True)
        cycles = [db.session.get(Cycle, c) for c in (before, after)]
        reports = [cycle_report(c) for c in cycles]
        items = [r.results.items.drop(columns="coachee_id") for r in reports]
        # The item level: the peers are hidden on the first statement and pooled with the
        # subordinates (2 + 3 = 5 "other raters"); every shown item figure is the same.
        first = items[0].set_index("item_key").loc[FIRST]
        assert first.isna()["peer_mean"] and first.isna()["subordinate_mean"]
        assert first["other_n"] == 5 and first["boss_n"] == 1
        assert items[0].equals(items[1])
        # Under the old per-rater rule the competency table differed: the peer's and the
        # subordinate's competency means moved by (4 - 2) / J each.
        competencies = [r.results.competencies.drop(columns="coachee_id") for r in reports]
        assert competencies[0].equals(competencies[1])
        assert competencies[0]["peer_mean"].notna().any()
        agreements = [r.results.agreement.drop("coachee_id") for r in reports]
        assert agreements[0].equals(agreements[1])
        # The cohort overview of both coachees: their rows are the same but for the id.
        frames = pd.concat([ratings_frame(c) for c in cycles], ignore_index=True)
        cohort = analysis.cohort_summary(frames, rules_for(cycles[0])).drop(columns="coachee_id")
        assert cohort.iloc[0].equals(cohort.iloc[1])

    pages = [figures_and_tables(coach_browser.get(f"/cycles/{c}").text, c) for c in (before, after)]
    assert pages[0][0], "the dashboard shows figures"
    assert pages[0] == pages[1]

    books = []
    for c in (before, after):
        response = coach_browser.get(f"/cycles/{c}/report.xlsx")
        assert response.status_code == 200
        books.append(xlsx_sheets(response.data))
    assert len(books[0]["competencies"]) > 1
    # Column A of the competencies sheet is the coachee's id, the one thing that differs.
    assert [row[1:] for row in books[0]["competencies"]] == [
        row[1:] for row in books[1]["competencies"]
    ]
    # The summary names neither the cycle nor the coachee by id: it is the same whole.
    assert books[0]["Summary"] == books[1]["Summary"]
