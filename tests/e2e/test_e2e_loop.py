"""The whole 360 loop in a real browser, with real mail: the coach starts a cycle, the
coachee follows the link from their email, rates themself and invites raters, every
rater answers from the link in their email on a phone, and the coach closes the cycle
and sees the dashboard with its charts drawn. Nothing leaves 127.0.0.1."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

HOST = "127.0.0.1"

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
COACHEE = ("Robin Example", "robin@example.com")
#: email, group, name; the partner alone is pooled into "other raters".
RATERS = [
    ("boss@example.com", "boss", "Bo Boss"),
    ("peer1@example.com", "peer", "Pat Peer"),
    ("peer2@example.com", "peer", "Pia Peer"),
    ("peer3@example.com", "peer", "Per Peer"),
    ("sub1@example.com", "subordinate", "Sue Sub"),
    ("sub2@example.com", "subordinate", "Sid Sub"),
    ("sub3@example.com", "subordinate", "Sam Sub"),
    ("partner@example.com", "partner", "Pam Partner"),
]

REMARKS = [
    "Reliable and kind; could delegate more and speak up earlier.",
    "Plans well, listens, but keeps too much on their own desk.",
    "A steady hand in a crisis; feedback to the team comes late.",
    "Clear priorities. Could ask the people affected before deciding.",
]


def no_sideways_scrolling(page: Page) -> None:
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"{page.url} scrolls sideways: {overflow}"


def answer_form(page: Page, pick, *, text: str, tap: bool = False) -> int:
    """Answer every statement of a rating form by clicking (or tapping) the visible
    label of the chosen value; fill every open question. Returns the statements."""
    questions = page.locator("fieldset.question")
    count = questions.count()
    assert count >= 20, f"only {count} statements on the form"
    for index in range(count):
        question = questions.nth(index)
        name = question.locator("input[type=radio]").first.get_attribute("name")
        assert name and name.startswith("item-"), name
        value = pick(index)
        choice = question.locator(f"label:has(input[value='{value}']) span")
        if tap:
            choice.tap()
        else:
            choice.click()
        expect(question.locator(f"input[value='{value}']")).to_be_checked()
    for area in page.locator("textarea[name^='text-']").all():
        limit = int(area.get_attribute("maxlength") or 2000)
        area.fill(text[:limit])
    return count


def test_the_whole_loop_in_a_browser(live_server, new_context, watch, screenshots):
    base = live_server.url

    # -- the coach signs in, adds a coachee and starts a cycle
    coach = new_context(**DESKTOP).new_page()
    coach.goto(f"{base}/login")
    screenshots(coach, "coach-login")
    coach.fill("input[name=email]", live_server.coach_email)
    coach.fill("input[name=password]", live_server.coach_password)
    coach.get_by_role("button", name="Sign in").click()
    expect(coach).to_have_url(f"{base}/")
    expect(coach.get_by_role("heading", name="Your coachees")).to_be_visible()

    coach.fill("input[name=name]", COACHEE[0])
    coach.fill("input[name=email]", COACHEE[1])
    screenshots(coach, "coach-adds-coachee")
    coach.get_by_role("button", name="Add coachee").click()
    expect(coach.get_by_role("heading", name=re.compile("Start a 360 cycle"))).to_be_visible()
    screenshots(coach, "coach-new-cycle")
    coach.get_by_role("button", name="Start the cycle").click()
    expect(coach.get_by_role("link", name="Close the cycle now…")).to_be_visible()
    dashboard_url = coach.url
    assert re.search(r"/cycles/\d+$", dashboard_url), dashboard_url
    screenshots(coach, "coach-cycle-open")

    # -- the coachee follows the link in their email, rates themself, invites raters
    portal_url = live_server.link_in_mail(COACHEE[1])
    coachee = new_context(**DESKTOP).new_page()
    coachee.goto(portal_url)
    expect(coachee.get_by_role("heading", name=re.compile("Your 360 feedback"))).to_be_visible()
    screenshots(coachee, "coachee-portal")

    coachee.get_by_role("link", name=re.compile("your self-assessment")).click()
    expect(coachee.get_by_role("heading", name="Your self-assessment")).to_be_visible()
    statements = answer_form(
        coachee,
        lambda i: "5" if i % 3 else "4",  # a generous self-image
        text="Calm under pressure; I turn vague goals into plans people can follow.",
    )
    screenshots(coachee, "coachee-self-assessment")
    coachee.locator("button[name=action][value=submit]").click()
    expect(coachee.locator(".flash.success")).to_contain_text("self-assessment is submitted")
    expect(coachee.get_by_text("Done, thank you.")).to_be_visible()

    coachee.get_by_role("link", name="Invite raters").click()
    coachee.fill("textarea[name=raters]", "\n".join(", ".join(r) for r in RATERS))
    screenshots(coachee, "coachee-nominates")
    coachee.locator("form:has(textarea[name=raters]) button[type=submit]").click()
    expect(coachee.locator(".flash.success")).to_contain_text(f"{len(RATERS)} raters invited")
    expect(coachee.locator(".flash.error")).to_have_count(0)
    expect(coachee.get_by_role("heading", name=f"Invited ({len(RATERS)})")).to_be_visible()
    screenshots(coachee, "coachee-invited")

    # -- every rater answers from the link in their email, on a phone
    for number, (address, group, _name) in enumerate(RATERS):
        link = live_server.link_in_mail(address)
        assert urlsplit(link).hostname == HOST
        phone = new_context(**PHONE).new_page()
        phone.goto(link)
        expect(
            phone.get_by_role("heading", name=re.compile("asks for your feedback"))
        ).to_be_visible()
        no_sideways_scrolling(phone)
        rated = answer_form(
            phone,
            # others see less of the same; the boss says "don't know" once
            lambda i, n=number, g=group: "na" if (g == "boss" and i == 0) else str(2 + (i + n) % 3),
            text=REMARKS[number % len(REMARKS)],
            tap=True,
        )
        assert rated == statements
        no_sideways_scrolling(phone)
        if number in (0, 1):
            screenshots(phone, f"rater-{group}-form")
        phone.locator("button[name=action][value=submit]").tap()
        expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
        no_sideways_scrolling(phone)
        if number in (0, 1):
            screenshots(phone, f"rater-{group}-thanks")
        phone.context.close()

    # -- the coach closes the cycle and sees the charts drawn
    coach.goto(dashboard_url)
    for label, (invited, answered) in {"Boss": (1, 1), "Peers": (3, 3), "Partners": (1, 1)}.items():
        answers = coach.get_by_role("region", name="Answers per group")
        cells = answers.locator("tr", has=coach.locator("td", has_text=label)).locator("td")
        expect(cells.nth(1)).to_have_text(str(invited))
        expect(cells.nth(2)).to_have_text(str(answered))
    coach.get_by_role("link", name="Close the cycle now…").click()
    # The confirmation page says what closing means before anything happens.
    expect(coach.get_by_role("heading", name=re.compile("Close the 360 for"))).to_be_visible()
    coach.get_by_role("button", name="Close the cycle now").click()
    expect(coach.locator(".flash.success")).to_contain_text("The cycle is closed")
    charts = coach.locator(".chart[data-figure]")
    expect(charts.first).to_be_attached()
    assert charts.count() >= 2, "expected charts by competency and by statement"
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        expect(chart.locator(".main-svg").first).to_be_attached(timeout=20_000)
        # points, lines and bars are paths in a trace; a heatmap is an image
        marks = chart.locator(".main-svg .trace path, .main-svg .hm image")
        assert marks.count() > 0, f"chart {index} has no drawn marks"
    expect(coach.get_by_role("heading", name="In 140 characters")).to_be_visible()
    expect(coach.locator("blockquote", has_text="Calm under pressure").first).to_be_visible()
    screenshots(coach, "coach-dashboard")

    # -- nothing went wrong on the way
    assert live_server.errors == [], f"the app raised: {live_server.errors!r}"
    assert watch.console_errors == [], "\n".join(watch.console_errors)
    assert watch.requests, "no request was recorded"
    assert watch.foreign == [], f"requests left {HOST}: {sorted(set(watch.foreign))}"
    assert any("/vendor/plotly-" in url for url in watch.requests), "plotly.js not served here"
