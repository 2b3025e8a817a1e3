"""The cycle dashboard and its exports show the engine's figures, and nothing of a group
the anonymity guard hides: not in the serialised figures, tables, comments or files."""

import io
import json
import math

import pandas as pd
from dashboard_support import PARTNER_WORD, figures_of, read_xlsx

from feedback import analysis
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.ratings.frames import ratings_frame
from feedback.ratings.results import rules_for
from feedback.web.assets import plotly_bundle


def engine(app, cycle_id):
    """The engine's item and competency tables of a cycle, computed here afresh."""
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        ratings = ratings_frame(cycle)
        rules = rules_for(cycle)
        return analysis.item_stats(ratings, rules), analysis.competency_stats(ratings, rules)


def close(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return abs(float(a) - float(b)) < 1e-9


def results_part(html: str) -> str:
    """The page after the progress table, where every figure is a result."""
    return html.split('id="summary"', 1)[1]


def test_dashboard_figures_equal_the_engine(closed_cycle, coach_browser, app):
    cycle_id = closed_cycle["cycle_id"]
    html = coach_browser.get(f"/cycles/{cycle_id}").text
    items, competencies = engine(app, cycle_id)
    figures = {name: json.loads(text) for name, text in figures_of(html).items()}
    assert set(figures) == {"competencies", "gaps", "groups", "spread"}

    others = next(t for t in figures["competencies"]["data"] if t["name"] == "Others (all raters)")
    assert others["y"] == competencies["competency"].tolist()[::-1]
    assert all(
        close(a, b) for a, b in zip(others["x"], competencies["others_mean"][::-1], strict=True)
    )

    bars = [t for t in figures["gaps"]["data"] if t["type"] == "bar"]
    shown = items.dropna(subset=["gap"])
    assert sum(len(t["x"]) for t in bars) == len(shown)
    for trace in bars:
        expected = shown[shown["category"] == trace["name"]].sort_values("gap", kind="stable")
        assert all(close(a, b) for a, b in zip(trace["x"], expected["gap"], strict=True))

    heatmap = figures["groups"]["data"][0]
    names = {
        "boss": "Boss",
        "peer": "Peers",
        "subordinate": "Subordinates",
        "other": "Other raters",
    }
    shown = [g for g in analysis.SHOWN_GROUPS if competencies[f"{g}_n"].notna().any()]
    assert "partner" not in shown and "boss" in shown
    assert heatmap["x"] == ["Self", *[names[g] for g in shown], "All others"]
    for row, (_, expected) in zip(heatmap["z"], competencies.iterrows(), strict=True):
        assert close(row[0], expected["self"])
        assert close(row[1], expected["boss_mean"])
        assert close(row[-1], expected["others_mean"])

    spread = figures["spread"]["data"]
    for point, trace in enumerate(spread, start=1):
        assert trace["x"] == [float(v) for v in items[f"count_{point}"]]

    # The agreement category, in plain words, and the rankings' statements.
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        assert cycle.min_group_size == 3
        # The cycle's own rules: they follow its questionnaire's scale.
        agreement = analysis.self_other_agreement(ratings_frame(cycle), rules_for(cycle))
    assert agreement["category"].iloc[0] in html
    assert "Top 5 strengths" in html and "Blind spots, largest first" in html
    assert "not radar" in html or "not a radar chart" in html


def test_a_hidden_group_never_appears(closed_cycle, coach_browser, app):
    cycle_id = closed_cycle["cycle_id"]
    html = coach_browser.get(f"/cycles/{cycle_id}").text
    items, _ = engine(app, cycle_id)
    assert items["partner_mean"].isna().all()  # the premise: partners are hidden
    for name, text in figures_of(html).items():
        assert "Partner" not in text and "partner" not in text, name
        figure = json.loads(text)
        for trace in figure["data"]:
            assert trace.get("name") != "Partners"
            hover = json.dumps([trace.get("hovertemplate"), trace.get("customdata")])
            assert "Partner" not in hover
    results = results_part(html)
    assert "Partners" not in results and "partner" not in results.lower().replace(
        "partners are", ""
    )
    # The partner's words appear only unlabelled and never with a group tag.
    assert PARTNER_WORD in results
    for quote in results.split("<blockquote>")[1:]:
        if PARTNER_WORD in quote:
            assert '<span class="tag">' not in quote.split("</blockquote>")[0]


def test_exports_equal_the_engine_and_hide_what_is_hidden(closed_cycle, coach_browser, app):
    cycle_id = closed_cycle["cycle_id"]
    items, competencies = engine(app, cycle_id)

    csv = coach_browser.get(f"/cycles/{cycle_id}/report.csv")
    assert csv.status_code == 200
    assert "attachment" in csv.headers["Content-Disposition"]
    table = pd.read_csv(io.BytesIO(csv.data))
    for column in (
        "coachee_id",
        "competency",
        "item_key",
        "self",
        "others_mean",
        "others_n",
        "others_sd",
        "gap",
        "rwg",
        "category",
        "boss_mean",
        "other_mean",
        "other_n",
    ):
        assert column in table.columns
    assert table["partner_mean"].isna().all() and table["partner_n"].isna().all()
    assert (table["others_mean"] - items["others_mean"]).abs().max() < 1e-4
    assert (table["gap"] - items["gap"]).abs().max() < 1e-4
    assert table["category"].tolist() == items["category"].tolist()

    xlsx = coach_browser.get(f"/cycles/{cycle_id}/report.xlsx")
    assert xlsx.status_code == 200
    sheets = read_xlsx(xlsx.data)
    # A sheet per view for people, then the raw figures for analysts (README "Reports").
    assert list(sheets)[-2:] == ["items", "competencies"]
    assert {"Summary", "By competency", "By statement", "Comments"} <= set(sheets)
    head, *rows = sheets["items"]
    for name in ("partner_mean", "partner_n"):
        assert all(row[head.index(name)] == "" for row in rows if len(row) > head.index(name))
    column = head.index("others_mean")
    assert [round(float(r[column]), 4) for r in rows] == items["others_mean"].round(4).tolist()
    head, *rows = sheets["competencies"]
    column = head.index("gap")
    assert [round(float(r[column]), 4) for r in rows] == competencies["gap"].round(4).tolist()
    comments = sheets["Comments"]
    assert not any("Partners" in cell for row in comments for cell in row)
    formulas = [cell for row in comments for cell in row if "HYPERLINK" in cell]
    assert formulas and all(cell.startswith("'=") for cell in formulas)

    report = coach_browser.get(f"/cycles/{cycle_id}/report.html")
    assert report.status_code == 200
    text = report.text
    page = coach_browser.get(f"/cycles/{cycle_id}").text
    assert figures_of(text) == figures_of(page)  # the same figures as the dashboard
    banner = plotly_bundle().data[:120].decode()
    assert text.count(banner) == 1  # plotly.js, as the pages load it, inlined once
    assert "<script src=" not in text and '<link rel="stylesheet"' not in text
    assert "@media print" in text and "size: A4" in text and "break-before: page" in text
    for name, rows in sheets.items():  # the hidden group is in no sheet's header
        assert not any("Partners" in cell or "partner" in cell for cell in rows[0]) or (
            name == "items" or name == "competencies"
        ), name
    after_progress = text.split('id="competencies"', 1)[1]
    assert "Partners" not in after_progress.split("<script>")[0]


def test_exports_only_for_a_closed_cycle_of_ones_own(open_cycle, coach_browser, app):
    cycle_id = open_cycle["cycle_id"]
    assert coach_browser.get(f"/cycles/{cycle_id}/report.csv").status_code == 409
    assert coach_browser.get(f"/cycles/{cycle_id}/report.pdf").status_code == 409
    assert coach_browser.get(f"/cycles/{cycle_id}/report.docx").status_code == 404
    from support import Browser, sign_in

    from feedback.accounts.services import create_coach

    with app.app_context():
        create_coach(email="other@example.com", name="Other Coach", password="another-password")
        db.session.commit()
    other = Browser(app.test_client())
    sign_in(other, "other@example.com", "another-password")
    for fmt in ("csv", "html", "xlsx"):
        assert other.get(f"/cycles/{cycle_id}/report.{fmt}").status_code == 404
    assert other.get(f"/cycles/{cycle_id}").status_code == 404


def test_report_command(closed_cycle, runner, tmp_path, app):
    cycle_id = closed_cycle["cycle_id"]
    for fmt in ("html", "csv", "xlsx"):
        result = runner.invoke(
            args=["report", str(cycle_id), "--format", fmt, "--output", str(tmp_path / "out")]
        )
        assert result.exit_code == 0, result.output
        path = tmp_path / "out" / result.output.strip().rsplit("/", 1)[1]
        assert path.exists() and path.suffix == f".{fmt}"
    items, _ = engine(app, cycle_id)
    written = pd.read_csv(next((tmp_path / "out").glob("*.csv")))
    assert (written["gap"] - items["gap"]).abs().max() < 1e-4
    assert not list((tmp_path / "out").glob(".*part"))
    bad = runner.invoke(args=["report", "999", "--output", str(tmp_path)])
    assert bad.exit_code == 2 and "no cycle 999" in bad.output
    assert runner.invoke(args=["report", "x"]).exit_code == 2
    assert runner.invoke(args=["report", str(cycle_id), "--format", "docx"]).exit_code == 2


def test_report_command_refuses_an_open_cycle(open_cycle, runner, tmp_path):
    out = tmp_path / "reports-out"
    result = runner.invoke(args=["report", str(open_cycle["cycle_id"]), "--output", str(out)])
    assert result.exit_code == 2
    assert "only a closed cycle" in result.output
    assert not out.exists() or list(out.iterdir()) == []


def test_the_dashboard_says_why_a_group_that_answered_is_not_shown(closed_cycle, coach_browser):
    html = coach_browser.get(f"/cycles/{closed_cycle['cycle_id']}").text
    progress = html.split('id="summary"', 1)[0]  # beside the counts, before any result
    why = progress.split('id="why-not-shown"', 1)[1].split("</div>", 1)[0]
    # The lone partner is below k = 3; shown next to everyone else's figures it could
    # be subtracted out, so the guard pools it with the peers (the first of the two
    # smallest groups): both are named with the reason. The subordinates (3) and the
    # boss (shown alone) are shown on every statement, so they are not listed.
    assert "<strong>Partners</strong> (1 answered): not shown on their own on any" in why
    assert "<strong>Peers</strong> (3 answered): not shown on their own on any" in why
    assert "fewer than 3 of them rated a statement" in why and "subtraction" in why
    for shown in ("Subordinates", "Boss"):
        assert f"<strong>{shown}</strong>" not in why


def test_the_released_report_says_why_too(closed_cycle, coach_browser, browser):
    url = f"/cycles/{closed_cycle['cycle_id']}"
    assert coach_browser.submit(f"{url}/release", {}, page=url).status_code == 302
    report = browser.get(closed_cycle["portal"].rstrip("/") + "/report").text
    why = report.split('id="why-not-shown"', 1)[1].split("</div>", 1)[0]
    assert "<strong>Partners</strong> (1 answered): not shown on their own on any" in why
    assert "<strong>Peers</strong> (3 answered)" in why and "subtraction" in why
    assert "<strong>Subordinates</strong>" not in why
