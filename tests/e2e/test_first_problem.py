"""A rater who submits with statements left out lands on the first of them, on a phone,
with and without JavaScript: the form's address carries #first-problem, the id of that
statement, which takes the focus, so a screen reader reads it (issue 17, item 6)."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from feedback.extensions import db

pytestmark = pytest.mark.e2e


def rater_path(app) -> tuple[str, list[str]]:
    """A new rater of the demo's open cycle, and the cycle's statement keys in order."""
    from feedback.coaching.models import Cycle
    from feedback.raters import services as raters
    from feedback.raters.services import Nomination, rater_url
    from feedback.vocabulary import CycleState

    with app.test_request_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.OPEN))
        (invite,), _ = raters.nominate(cycle, [Nomination("pat@example.com", "peer", "Pat")])
        db.session.commit()
        keys = [item.key for item in cycle.questionnaire.items]
        path = urlsplit(rater_url(invite)).path
        db.session.remove()
    return path, keys


@pytest.mark.parametrize("script", [True, False], ids=["with-js", "without-js"])
def test_an_incomplete_submit_lands_on_the_first_statement_left_out(chromium, demo_server, script):
    app, url = demo_server
    path, keys = rater_path(app)
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=script
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(url + path)
        # Answer the first five statements, leave the sixth and the rest out.
        for key in keys[:5]:
            page.locator(f'input[name="item-{key}"][value="4"]').check(force=True)
        page.click("button[value=submit]")
        page.wait_for_load_state("load")
        assert page.url.endswith("#first-problem"), page.url
        first = page.locator("#first-problem")
        assert first.locator(f'input[name="item-{keys[5]}"]').count() == 6
        box = first.bounding_box()
        assert box is not None and -2 <= box["y"] < 844 / 2, box  # at the top of the screen
        assert "Please choose an answer" in first.inner_text()
        # The focus is on that statement: Tab goes on to its answers.
        focused = page.evaluate("document.activeElement.id")
        assert focused == "first-problem", focused
        # What was answered is still there.
        assert page.locator(f'input[name="item-{keys[0]}"][value="4"]').is_checked()
    finally:
        context.close()
