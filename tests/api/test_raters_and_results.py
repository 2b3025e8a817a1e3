"""Nominations, progress and results through the API: what the pages show, nothing
more (never who answered; results only of a closed cycle, hidden figures null)."""

import csv
import io
import math

from api_support import row_counts

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.raters.services import progress
from feedback.ratings.results import cycle_report
from feedback.reports.exports import report_bytes

PROBLEM = "application/problem+json"


def test_nominate_raters_and_see_them_listed_without_their_answers(api, world, mailbox):
    path = f"/cycles/{world['open_cycle_id']}/nominations"
    before = api.get(path).json["nominations"]
    assert len(before) == 2  # one answered, one not: the list cannot tell them apart
    assert {tuple(sorted(n)) for n in before} == {
        ("bounced", "email", "group", "id", "language", "name", "state")
    }
    assert [n["state"] for n in before] == ["invited", "invited"]
    assert "submitted" not in str(before) and "pending" not in str(before)

    response = api.post(
        path,
        json={
            "raters": [
                {"email": "Anna@Example.org", "group": "boss", "name": "Anna Smith"},
                {"email": "casey@example.com", "group": "peer"},
            ]
        },
    )
    assert response.status_code == 201
    assert [(n["email"], n["group"], n["name"]) for n in response.json["invited"]] == [
        ("anna@example.org", "boss", "Anna Smith")
    ]
    assert [r["email"] for r in response.json["refused"]] == ["casey@example.com"]
    assert "own address" in response.json["refused"][0]["reason"]
    assert mailbox.to("anna@example.org"), "the invitation leaves after the commit"
    assert len(api.get(path).json["nominations"]) == 3

    again = api.post(path, json={"raters": [{"email": "anna@example.org", "group": "boss"}]})
    assert again.status_code == 422 and again.mimetype == PROBLEM
    assert "already invited" in again.json["errors"][0]["message"]


def test_bad_nominations_are_refused_whole(api, world, app):
    path = f"/cycles/{world['open_cycle_id']}/nominations"
    before = row_counts(app)
    for body, field in [
        ({"raters": [{"email": "x@example.org", "group": "manager"}]}, "body.raters.0.group"),
        ({"raters": [{"email": "x@", "group": "peer"}]}, "body.raters.0.email"),
        ({"raters": []}, "body.raters"),
        (
            {"raters": [{"email": "y@example.org", "group": "peer", "name": "n" * 121}]},
            "body.raters.0.name",
        ),
    ]:
        response = api.post(path, json=body)
        assert response.status_code == 422, body
        assert field in [e["field"] for e in response.json["errors"]], response.json
    assert row_counts(app) == before


def test_a_rater_is_nominated_in_their_language(api, world, mailbox):
    path = f"/cycles/{world['open_cycle_id']}/nominations"
    bad = api.post(
        path, json={"raters": [{"email": "k@example.org", "group": "peer", "language": "tlh"}]}
    )
    assert bad.status_code == 422
    assert "body.raters.0.language" in [e["field"] for e in bad.json["errors"]], bad.json
    response = api.post(
        path, json={"raters": [{"email": "dora@example.org", "group": "peer", "language": "de"}]}
    )
    assert response.status_code == 201, response.json
    assert "bittet Sie um Feedback" in mailbox.to("dora@example.org")[-1]["Subject"]


def test_a_closed_cycle_takes_no_nominations(api, world):
    response = api.post(
        f"/cycles/{world['closed_cycle_id']}/nominations",
        json={"raters": [{"email": "late@example.org", "group": "peer"}]},
    )
    assert response.status_code == 409 and response.mimetype == PROBLEM


def test_progress_is_the_pages_counts_per_group(api, app, world):
    for cycle_id in (world["open_cycle_id"], world["closed_cycle_id"]):
        response = api.get(f"/cycles/{cycle_id}/progress")
        assert response.status_code == 200
        with app.app_context():
            expected = progress(db.session.get(Cycle, cycle_id))
        assert response.json["groups"] == expected
    assert response.json["groups"]["subordinate"] == {"invited": 2, "answered": 2, "bounced": 0}


def test_results_are_the_dashboards_figures_with_hidden_ones_null(api, app, world):
    cycle_id = world["closed_cycle_id"]
    response = api.get(f"/cycles/{cycle_id}/results")
    assert response.status_code == 200
    results = response.json["results"]
    with app.test_request_context():
        report = cycle_report(db.session.get(Cycle, cycle_id))
        gap_csv = report_bytes(db.session.get(Cycle, cycle_id), "csv").decode()
    rows = {row["item_key"]: row for row in csv.DictReader(io.StringIO(gap_csv))}
    assert len(results["statements"]) == len(rows) == len(report.item_rows)
    # Two subordinates answered: fewer than k = 3, so their figures are hidden (null),
    # as the gap CSV leaves them empty; the boss is shown alone (exempt).
    for statement in results["statements"]:
        row = rows[statement["item_key"]]
        for column, cell in row.items():
            if column == "coachee_id":
                continue
            value = statement[column]
            if cell == "":
                assert value is None, (column, statement["item_key"])
            elif isinstance(value, str):
                assert value == cell
            else:
                assert math.isclose(value, float(cell), abs_tol=1e-4), column
        assert statement["subordinate_mean"] is None and statement["subordinate_n"] is None
        assert statement["boss_n"] == 1
        assert statement["statement"] == report.item_texts[statement["item_key"]]
    assert results["shown_groups"] == list(report.results.shown_groups)
    assert "subordinate" not in results["shown_groups"]
    assert results["agreement"]["category"] == report.results.agreement["category"]
    assert results["strengths"] == [r["item_key"] for r in report.rankings["strengths"]]
    assert results["others_headlines"] == report.results.others_headlines
    assert results["self_headline"] == "Me."
    assert len(results["competencies"]) == len(report.competency_rows)
    assert '"NaN"' not in response.text and "NaN" not in response.text


def test_results_of_an_open_cycle_are_refused(api, world):
    response = api.get(f"/cycles/{world['open_cycle_id']}/results")
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert "closed" in response.json["detail"]


def test_exports_are_the_dashboards_downloads(api, app, world):
    cycle_id = world["closed_cycle_id"]
    with app.test_request_context():
        expected_csv = report_bytes(db.session.get(Cycle, cycle_id), "csv")
    response = api.get(f"/cycles/{cycle_id}/exports/csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data == expected_csv
    assert "attachment" in response.headers["Content-Disposition"]
    xlsx = api.get(f"/cycles/{cycle_id}/exports/xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    html = api.get(f"/cycles/{cycle_id}/exports/html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "<html" in html.text.lower()
    assert api.get(f"/cycles/{cycle_id}/exports/pdf").status_code == 404
    refused = api.get(f"/cycles/{world['open_cycle_id']}/exports/csv")
    assert refused.status_code == 409 and refused.mimetype == PROBLEM
