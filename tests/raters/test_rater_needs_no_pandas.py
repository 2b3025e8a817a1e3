"""A rater's visit imports only what it needs: the form and the submit never load pandas,
NumPy, pyarrow or plotly's figures, so a web worker that serves raters stays small
(issue 21's memory goal, bench/README.md "A worker's memory"). The test process has
loaded them long ago, so the visit runs in a fresh Python on the test's database."""

from sqlalchemy import func, select
from support import app_settings, in_a_fresh_python

from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.ratings.models import Rating, Response

HEAVY = ("pandas", "numpy", "pyarrow", "plotly.graph_objs")

#: Run in a fresh interpreter: build the app as the test did, open the rater's link,
#: send every answer, and say which heavy modules got imported on the way.
VISIT = """
import json, sys
from feedback import create_app
from support import Browser

settings, instance, link, items, heavy = json.loads(sys.argv[1])
app = create_app(settings, instance_path=instance)
loaded_by_app = [name for name in heavy if name in sys.modules]
browser = Browser(app.test_client())
page = browser.get(link)
answers = {f"item-{key}": "4" for key in items}
posted = browser.submit(link, {**answers, "text-headline": "Steady.", "action": "submit"})
print(json.dumps({
    "form": page.status_code,
    "submit": posted.status_code,
    "loaded_by_app": loaded_by_app,
    "loaded": [name for name in heavy if name in sys.modules],
}))
"""


def test_a_raters_visit_loads_no_pandas_and_is_stored(app, open_cycle, browser, mailbox):
    browser.submit(open_cycle["portal"].rstrip("/") + "/raters", {"raters": "rita@ex.com, peer"})
    link = mailbox.link_for("rita@ex.com")
    items = [item.key for item in default_questionnaire().items]
    outcome = in_a_fresh_python(
        VISIT, app_settings(app), app.instance_path, link, items, list(HEAVY)
    )

    assert outcome["form"] == 200
    assert outcome["submit"] == 302
    assert outcome["loaded_by_app"] == []
    assert outcome["loaded"] == []
    with app.app_context():  # the visit really went through: one response, every rating
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        assert db.session.scalar(select(func.count()).select_from(Rating)) == len(items)
