"""Every page works under the Content-Security-Policy in a real browser: Debian's
Chromium, driven by Playwright, against the app served on 127.0.0.1 with the demo data
(a closed cycle with charts). Any CSP violation, console error or script error fails.

Skipped without /usr/bin/chromium, unless CI is set (then a missing browser fails)."""

import pytest
from browser_support import links, sign_in_as_demo_coach

#: Records every CSP violation in the page, before any of the page's own scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sample);
});
window.__dialogs = 0;
"""

pytestmark = pytest.mark.e2e


def test_pages_work_under_the_policy(chromium, demo_server):
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
        sign_in_as_demo_coach(page, url)

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
