"""The close keeps the dashboard as plain data (feedback/ratings/shown.py): every worker
shows a closed cycle from that document, without the engine, pandas or plotly, and
shows exactly what the engine would; a document never outlives what it was made from
and never holds what the guard hides."""

import json
import math
import re
from datetime import timedelta

from dashboard_support import PARTNER_WORD
from sqlalchemy import select
from support import app_settings, in_a_fresh_python

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.ratings import results
from feedback.ratings.models import ShownResults
from feedback.ratings.results import clear_cache
from feedback.timeutil import today

HEAVY = ("pandas", "numpy", "pyarrow", "plotly.graph_objs")
CSRF = re.compile(
    r'(name="csrf_token"[^>]*value=")[^"]+"|(<meta name="csrf-token" content=")[^"]+"'
)


def _documents(app, cycle_id: int) -> list[ShownResults]:
    with app.app_context():
        rows = db.session.scalars(
            select(ShownResults).where(ShownResults.cycle_id == cycle_id)
        ).all()
        db.session.expunge_all()
        return rows


def _page(coach_browser, cycle_id: int) -> str:
    response = coach_browser.get(f"/cycles/{cycle_id}")
    assert response.status_code == 200
    return CSRF.sub(lambda m: (m.group(1) or m.group(2)) + 'x"', response.text)


def _hidden(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _no_engine(*_args, **_kwargs):
    raise AssertionError("the stored document should have been shown")


def test_the_close_keeps_the_dashboard_and_it_shows_what_the_engine_would(
    app, closed_cycle, coach_browser, monkeypatch
):
    cycle_id = closed_cycle["cycle_id"]
    (document,) = _documents(app, cycle_id)
    coach_browser.get("/")  # the close's flash message goes
    with monkeypatch.context() as patch:  # the first view computes nothing
        patch.setattr(results, "_build_report", _no_engine)
        stored = _page(coach_browser, cycle_id)
    with app.app_context():
        db.session.execute(ShownResults.__table__.delete())
        db.session.commit()
    clear_cache()
    computed = _page(coach_browser, cycle_id)
    assert "figure-competencies" in stored
    assert stored == computed
    # Nothing the guard hides: the lone partner is named nowhere, their word is only
    # an unlabelled comment, as on the page.
    body = json.loads(document.body)
    assert "partner" not in body["results"]["shown_groups"]
    labels = {c["group_label"] for part in body["comments_by_question"].values() for c in part}
    assert "partner" not in labels
    assert all(_hidden(row.get("partner_mean")) for row in body["item_rows"])
    assert PARTNER_WORD not in body["results"]["others_headlines"]


def test_a_document_goes_with_a_reopen_and_a_rename_is_not_shown_stale(
    app, closed_cycle, coach_browser
):
    cycle_id = closed_cycle["cycle_id"]
    (first,) = _documents(app, cycle_id)
    closes_on = (today() + timedelta(days=7)).isoformat()
    url = f"/cycles/{cycle_id}/reopen"
    response = coach_browser.submit(url, {"closes_on": closes_on, "understood": "y"})
    assert response.status_code == 302, response.text
    assert _documents(app, cycle_id) == []
    page = f"/cycles/{cycle_id}"
    assert coach_browser.submit(f"{page}/close", {}, page=page).status_code == 302
    (second,) = _documents(app, cycle_id)
    assert second.key != first.key

    with app.app_context():
        coachee_id = db.session.get(Cycle, cycle_id).coachee_id
    edit = f"/coachees/{coachee_id}/edit"
    response = coach_browser.submit(
        edit, {"name": "Morgan Lee", "email": "casey@example.com", "language": "en"}
    )
    assert response.status_code == 302, response.text
    shown = _page(coach_browser, cycle_id)
    assert "Morgan" in shown and "Casey" not in shown.split("<h1>", 1)[1]
    assert len(_documents(app, cycle_id)) == 1  # a GET wrote nothing


#: In a fresh interpreter: sign in, show the closed cycle's dashboard, and say which
#: heavy modules got imported on the way.
VIEW = """
import json, sys
from feedback import create_app
from support import Browser, sign_in

settings, instance, cycle_id, heavy = json.loads(sys.argv[1])
app = create_app(settings, instance_path=instance)
browser = Browser(app.test_client())
sign_in(browser, "coach@example.com")
page = browser.get(f"/cycles/{cycle_id}")
print(json.dumps({
    "status": page.status_code,
    "charts": page.text.count('type="application/json" id="figure-'),
    "loaded": [name for name in heavy if name in sys.modules],
}))
"""


def test_a_worker_shows_a_stored_dashboard_without_pandas_or_plotly(app, closed_cycle):
    outcome = in_a_fresh_python(
        VIEW, app_settings(app), app.instance_path, closed_cycle["cycle_id"], list(HEAVY)
    )
    assert outcome["status"] == 200
    assert outcome["charts"] == 4
    assert outcome["loaded"] == []
