"""One rater in German, in a real browser: nominated in German through the coachee's
portal, they read the form in German, try French and come back with their answers kept,
and submit; the answer counts in the cycle like any other (issue 18)."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from feedback.extensions import db

pytestmark = pytest.mark.e2e


def open_cycle_portal(app) -> tuple[int, str]:
    """The demo's open cycle and the path of its coachee's portal."""
    from feedback.coaching.models import Cycle
    from feedback.coaching.services import portal_url
    from feedback.vocabulary import CycleState

    with app.test_request_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.OPEN))
        found = cycle.id, urlsplit(portal_url(cycle)).path
        db.session.remove()
    return found


def rater_path(app, email: str) -> tuple[str, str | None, list[str]]:
    """The rater's form, the language kept on their invite and the statement keys."""
    from feedback.raters.models import Invite
    from feedback.raters.services import rater_url

    with app.test_request_context():
        invite = db.session.scalar(select(Invite).where(Invite.email == email))
        found = (
            urlsplit(rater_url(invite)).path,
            invite.language,
            [item.key for item in invite.cycle.questionnaire.items],
        )
        db.session.remove()
    return found


def answered(app, cycle_id: int) -> int:
    from feedback.ratings.models import Response

    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.cycle_id == cycle_id, Response.group == "peer")
        )
        db.session.remove()
    return count


def test_a_rater_answers_in_german(chromium, demo_server):
    app, url = demo_server
    cycle_id, portal = open_cycle_portal(app)
    before = answered(app, cycle_id)
    context = chromium.new_context()
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(url + portal.rstrip("/") + "/raters")
        page.click("summary")  # "Or add one person at a time"
        page.fill("#email", "greta.german@example.com")
        page.select_option("#group", "peer")
        page.fill("#name", "Greta")
        page.select_option("#language", "de")
        page.locator("details form button[type=submit]").click()
        page.wait_for_load_state("load")
        path, language, keys = rater_path(app, "greta.german@example.com")
        assert language == "de"

        page.goto(url + path)
        assert page.locator("html").get_attribute("lang") == "de"
        heading = page.locator("h1").inner_text()
        assert "bittet Sie um Feedback" in heading, heading
        assert page.get_by_text("Stimme voll zu").count() > 0
        # Half answered, then a look at the French form: the answers come along.
        for key in keys[:3]:
            page.locator(f'input[name="item-{key}"][value="2"]').check(force=True)
        page.click('button[value="language-fr"]')
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert "vous demande votre avis" in page.locator("h1").inner_text()
        assert page.locator(f'input[name="item-{keys[0]}"][value="2"]').is_checked()
        page.click('button[value="language-de"]')
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == "de"
        for key in keys[3:]:
            page.locator(f'input[name="item-{key}"][value="4"]').check(force=True)
        page.fill("textarea[name=text-keep]", "Die Ruhe in schwierigen Besprechungen.")
        page.click("button[value=submit]")
        page.wait_for_load_state("load")
        assert "Ihre Antworten sind angekommen." in page.locator("main").inner_text()
        assert answered(app, cycle_id) == before + 1
    finally:
        context.close()
