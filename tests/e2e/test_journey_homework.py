"""A coachee does a stage's homework on a phone: the coach opens the stage, the
coachee finds it from the portal, saves a draft, comes back to it and hands it in;
the coach reads the answers (issue 20)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from browser_support import sign_in_as_demo_coach
from sqlalchemy import select

from feedback.extensions import db
from feedback.timeutil import today

pytestmark = pytest.mark.e2e


def open_cycle_paths(app) -> tuple[str, str]:
    """The portal of the demo's open cycle, and its coachee's journey for the coach."""
    from feedback.coaching.models import Cycle
    from feedback.coaching.services import portal_url
    from feedback.vocabulary import CycleState

    with app.test_request_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.OPEN))
        paths = (
            urlsplit(portal_url(cycle)).path.rstrip("/"),
            f"/coachees/{cycle.coachee_id}/journey",
        )
        db.session.remove()
    return paths


def test_a_coachee_does_a_stages_homework_on_a_phone(chromium, demo_server):
    app, url = demo_server
    portal, journey = open_cycle_paths(app)
    due = today() + timedelta(days=5)

    coach_context = chromium.new_context()
    coach_context.set_default_timeout(20_000)
    coach = coach_context.new_page()
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.set_default_timeout(20_000)
    page = phone.new_page()
    try:
        sign_in_as_demo_coach(coach, url)
        coach.goto(url + journey + "/keep_lose")
        coach.fill("textarea[name=note]", "Two examples of each, please.")
        coach.fill("input[name=due_on]", due.isoformat())
        coach.get_by_role("button", name="Open for homework").click()
        coach.wait_for_load_state("load")
        assert "The stage is open" in coach.inner_text(".flash")

        page.goto(url + portal + "/")
        page.get_by_role("link", name="Open your journey").click()
        page.wait_for_url(f"**{portal}/journey/")
        page.get_by_role("link", name="Answer", exact=True).click()
        page.wait_for_url(f"**{portal}/journey/keep_lose")
        assert "Two examples of each, please." in page.inner_text("main")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"the page is {wide} pixels wide on a 390-pixel phone"
        page.fill("textarea[name=answer-keep]", "Running the workshops.")
        page.click("button[value=save]")
        page.wait_for_load_state("load")
        assert "Saved as a draft" in page.inner_text(".flash")
        page.reload()
        assert page.input_value("textarea[name=answer-keep]") == "Running the workshops."
        page.fill("textarea[name=answer-change]", "Fewer status reports.")
        page.click("button[value=submit]")
        page.wait_for_url(f"**{portal}/journey/")
        assert "Handed in" in page.inner_text("main")

        coach.goto(url + journey + "/keep_lose")
        text = coach.inner_text("main")
        assert "Running the workshops." in text and "Fewer status reports." in text
        assert "Handed in on" in text
    finally:
        coach_context.close()
        phone.close()
