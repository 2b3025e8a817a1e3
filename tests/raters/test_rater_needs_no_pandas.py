"""A rater's visit imports only what it needs: the form and the submit never load pandas,
NumPy, pyarrow or plotly's figures, so a web worker that serves raters stays small
(issue 21's memory goal, bench/README.md "A worker's memory"). The test process has
loaded them long ago, so the visit runs in a fresh Python on the test's database."""

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.ratings.models import Rating, Response

HEAVY = ("pandas", "numpy", "pyarrow", "plotly.graph_objs")
TESTS = Path(__file__).resolve().parents[1]

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
    settings = {
        key: app.config[key]
        for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "BASE_URL")
    }
    settings.update(MAIL_BACKEND="file", MAIL_FILE_DIR=app.config["MAIL_FILE_DIR"])
    items = [item.key for item in default_questionnaire().items]
    argument = json.dumps([settings, app.instance_path, link, items, list(HEAVY)])
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)]),
    }
    done = subprocess.run(  # noqa: S603  (this interpreter, the test's own script)
        [sys.executable, "-c", VISIT, argument],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])

    assert outcome["form"] == 200
    assert outcome["submit"] == 302
    assert outcome["loaded_by_app"] == []
    assert outcome["loaded"] == []
    with app.app_context():  # the visit really went through: one response, every rating
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        assert db.session.scalar(select(func.count()).select_from(Rating)) == len(items)
