"""A coach builds a short questionnaire in the browser (two competencies, five
statements, a 4-point scale without "Don't know", one open question), starts a cycle on
it, and a rater answers it on a phone (issue 16, item 1)."""

from urllib.parse import urlsplit

import pytest
from browser_support import sign_in_as_demo_coach
from sqlalchemy import select

from feedback.extensions import db

pytestmark = pytest.mark.e2e

STATEMENTS = [
    ("I let people finish.", "{name} lets people finish."),
    ("I ask questions.", "{name} asks questions."),
    ("I decide in time.", "{name} decides in time."),
    ("I explain my decisions.", "{name} explains their decisions."),
    ("I revisit a decision.", "{name} revisits a decision."),
]


def nominate(app, cycle_id: int) -> str:
    """A peer of the cycle, nominated as the coachee's portal would; their form's path."""
    from feedback.coaching.models import Cycle
    from feedback.raters import services as raters
    from feedback.raters.services import Nomination, rater_url

    with app.test_request_context():
        cycle = db.session.get(Cycle, cycle_id)
        (invite,), _ = raters.nominate(cycle, [Nomination("pat@example.com", "peer", "Pat")])
        db.session.commit()
        path = urlsplit(rater_url(invite)).path
        db.session.remove()
    return path


def test_a_coach_builds_a_questionnaire_and_a_rater_answers_it_on_a_phone(chromium, demo_server):
    app, url = demo_server
    laptop = chromium.new_context(viewport={"width": 1280, "height": 900})
    laptop.set_default_timeout(20_000)
    page = laptop.new_page()
    try:
        sign_in_as_demo_coach(page, url)
        page.goto(url + "/questionnaires/new")
        page.fill("#title", "Team lead")
        page.fill("#description", "How you lead your team.")
        page.select_option("#points", "4")
        for point, label in enumerate(["Never", "Sometimes", "Often", "Always"], start=1):
            page.fill(f"#label-{point}", label)
        page.uncheck('input[name="dont_know"]')
        for c, (title, rows) in enumerate(
            [("Listening", STATEMENTS[:2]), ("Deciding", STATEMENTS[2:])]
        ):
            page.fill(f"#c-{c}-title", title)
            page.fill(f"#c-{c}-description", f"{title} well.")
            for s, (self_text, rater_text) in enumerate(rows):
                if c == 1 and s == 2:  # the form offers two empty rows: save for more
                    break
                page.fill(f"#c-{c}-s-{s}-self", self_text)
                page.fill(f"#c-{c}-s-{s}-rater", rater_text)
        page.fill("#q-1-rater", "One piece of advice for {name}?")
        page.click("main button[type=submit]")
        page.wait_for_url(url + "/questionnaires/team-lead")
        # The third statement of "Deciding" goes in the empty row the saved form offers.
        page.fill("#c-1-s-2-self", STATEMENTS[4][0])
        page.fill("#c-1-s-2-rater", STATEMENTS[4][1])
        page.click("main button[type=submit]")
        page.wait_for_url(url + "/questionnaires/team-lead")
        assert "Saved as version 2" in page.inner_text("body")

        # A cycle on it, for a new coachee, through the coach's forms.
        page.goto(url + "/")
        page.fill("#name", "Robin Roe")
        page.fill("#email", "robin@example.com")
        page.click("form[action='/coachees'] button[type=submit]")
        page.wait_for_url("**/cycles/new")
        page.select_option("#questionnaire", "team-lead")
        page.click("main button[type=submit]")
        page.wait_for_url("**/cycles/*")
        cycle_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    finally:
        laptop.close()

    path = nominate(app, cycle_id)
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.set_default_timeout(20_000)
    rater = phone.new_page()
    try:
        rater.goto(url + path)
        assert "Robin lets people finish." in rater.inner_text("main")
        key = "i_revisit_a_decision"
        choices = rater.locator(f'input[name="item-{key}"]')
        assert [choices.nth(i).get_attribute("value") for i in range(choices.count())] == [*"1234"]
        # The four points sit on one row within the phone's width.
        boxes = [
            rater.locator(f'input[name="item-{key}"][value="{p}"] + span').bounding_box()
            for p in "1234"
        ]
        assert len({round(box["y"]) for box in boxes}) == 1, boxes
        assert boxes[-1]["x"] + boxes[-1]["width"] <= 390
        for item in rater.locator("fieldset.question").all():
            item.locator('input[value="3"] + span').click()
        rater.fill('textarea[name="text-headline"]', "Calm and clear.")
        rater.click("button[value=submit]")
        rater.wait_for_url("**/thanks*")  # the form's action keeps #first-problem
        assert "Your answers are in." in rater.inner_text("main")
    finally:
        phone.close()

    from feedback.coaching.models import Cycle
    from feedback.raters.models import Invite

    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        assert (cycle.questionnaire.key, cycle.questionnaire.version) == ("team-lead", 2)
        assert cycle.questionnaire.scale_points == 4
        assert len(cycle.questionnaire.items) == 5
        invite = db.session.scalar(select(Invite).where(Invite.cycle_id == cycle_id))
        assert invite.state.value == "submitted"
        db.session.remove()
