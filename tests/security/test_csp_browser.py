"""Every page works under the Content-Security-Policy in a real browser: Debian's
Chromium, driven by Playwright, against the app served on 127.0.0.1 with the demo data
(a closed cycle with charts). Any CSP violation, console error or script error fails.

Skipped without /usr/bin/chromium, unless CI is set (then a missing browser fails)."""

import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import MetaData, select
from werkzeug.serving import make_server

from feedback.extensions import db

#: Records every CSP violation in the page, before any of the page's own scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sample);
});
window.__dialogs = 0;
"""

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_server(make_app):
    """The app with the demo data, served on 127.0.0.1 and a free port."""
    holder = {}
    server = make_server("127.0.0.1", 0, lambda e, s: holder["app"](e, s), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = make_app(TESTING=False, BASE_URL=url)
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        db.create_all()
        from feedback.demo import seed_demo

        seed_demo()
        db.session.remove()
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def links(app) -> dict[str, str]:
    """Paths of the demo's closed cycle, its portal and a rater form of the open cycle."""
    from feedback.coaching.models import Cycle
    from feedback.coaching.services import portal_url
    from feedback.raters.models import Invite
    from feedback.raters.services import rater_url
    from feedback.vocabulary import CycleState

    with app.test_request_context():
        closed = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.CLOSED))
        opened = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.OPEN))
        invite = db.session.scalar(select(Invite).where(Invite.cycle_id == opened.id))
        result = {
            "dashboard": f"/cycles/{closed.id}",
            "coachee": f"/coachees/{closed.coachee_id}",
            "portal": urlsplit(portal_url(opened)).path,
        }
        if invite is not None:
            result["rater"] = urlsplit(rater_url(invite)).path
        db.session.remove()
    return result


def test_pages_work_under_the_policy(chromium, demo_server):
    from feedback.demo import DEMO_EMAIL, DEMO_PASSWORD

    app, url = demo_server
    paths = links(app)
    context = chromium.new_context()
    context.set_default_timeout(20_000)
    context.add_init_script(RECORD_VIOLATIONS)
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    try:
        page.goto(url + "/login")
        page.fill("input[name=email]", DEMO_EMAIL)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/")

        page.goto(url + paths["dashboard"])
        charts = page.locator("[data-figure]")
        assert charts.count() >= 2
        for chart in charts.all():  # charts are drawn as they come into view
            chart.scroll_into_view_if_needed()
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll("[data-figure]")).every(
                el => el.getAttribute("data-drawn") === "yes")""",
            timeout=30_000,
        )
        drawn = page.evaluate(
            """() => Array.from(document.querySelectorAll("[data-figure]")).map(
                el => Boolean(el._fullLayout && el.querySelector(".main-svg")
                              && el.data && el.data.length))"""
        )
        assert drawn and all(drawn), drawn  # plotly drew every chart, with its data
        bar = page.locator("[data-figure] g.trace").first
        bar.hover(force=True)  # hover labels are drawn with injected styles
        page.wait_for_timeout(300)
        for path in [paths["coachee"], "/", paths["portal"], paths.get("rater")]:
            if path:
                page.goto(url + path)
                page.wait_for_load_state("load")
                problems += [f"CSP on {path}: {v}" for v in page.evaluate("window.__violations")]
        page.goto(url + paths["dashboard"])
        page.locator("[data-figure]").first.scroll_into_view_if_needed()
        page.wait_for_selector("[data-figure] .main-svg", timeout=30_000)
        problems += [f"CSP on dashboard: {v}" for v in page.evaluate("window.__violations")]
    finally:
        context.close()
    assert problems == []
