"""The results read well on a phone and on a laptop: the coach's dashboard and the
coachee's released report of the demo's closed cycle, at 390 x 844 and 1366 x 900 in
Debian's Chromium. No page scrolls sideways, every chart is drawn, and in no chart do
the title, the legend, the plot area and the axis titles overlap. A screenshot of each
page and width is saved in tests/e2e/screenshots/."""

import pytest
from browser_support import links, sign_in_as_demo_coach
from playwright.sync_api import Page

from feedback.coaching.models import Cycle
from feedback.cycles import lifecycle
from feedback.extensions import db

pytestmark = pytest.mark.e2e

WIDTHS = [(390, 844), (1366, 900)]
#: The boxes of each chart that must not overlap, by CSS selector inside the chart.
PARTS = {
    "title": ".gtitle",
    "legend": ".legend",
    "plot": ".nsewdrag",
    "x title": ".xtitle",
}
BOXES = """(chart) => {
  const parts = %s;
  const out = {};
  for (const [name, selector] of Object.entries(parts)) {
    const el = chart.querySelector(selector);
    if (!el) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) out[name] = [r.left, r.top, r.right, r.bottom];
  }
  return out;
}""" % (PARTS,)  # noqa: UP031 (a JavaScript object literal)


def overlapping(boxes: dict[str, list[float]]) -> list[str]:
    """Pairs of boxes that share more than a pixel each way."""
    names = sorted(boxes)
    found = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            (l1, t1, r1, b1), (l2, t2, r2, b2) = boxes[a], boxes[b]
            if min(r1, r2) - max(l1, l2) > 1 and min(b1, b2) - max(t1, t2) > 1:
                found.append(f"{a} / {b}")
    return found


def check_page(page: Page, label: str) -> None:
    charts = page.locator("[data-figure]")
    assert charts.count() >= 1, f"{label}: no chart"
    for chart in charts.all():  # charts are drawn as they come into view
        chart.scroll_into_view_if_needed()
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-figure]")].every(
            el => el.getAttribute("data-drawn") === "yes")""",
        timeout=30_000,
    )
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{label} scrolls sideways: {width}"
    for index, chart in enumerate(charts.all()):
        boxes = chart.evaluate(BOXES)
        assert {"title", "plot"} <= set(boxes), f"{label}, chart {index}: {boxes}"
        assert not overlapping(boxes), f"{label}, chart {index}: {overlapping(boxes)}"
        inside = chart.evaluate(
            "c => { const r = c.getBoundingClientRect(); return [r.left, r.right]; }"
        )
        assert inside[0] >= -1 and inside[1] <= width[1] + 1, f"{label}, chart {index}"


@pytest.mark.parametrize(("width", "height"), WIDTHS, ids=["phone", "laptop"])
def test_results_read_well_at_every_width(chromium, demo_server, screenshots, width, height):
    app, url = demo_server
    paths = links(app)
    with app.test_request_context():
        cycle = db.session.get(Cycle, int(paths["dashboard"].rsplit("/", 1)[1]))
        if cycle.released_at is None:
            lifecycle.release(cycle)
            db.session.commit()
        from feedback.coaching.services import portal_url

        report = portal_url(cycle).rstrip("/") + "/report"
        db.session.remove()
    context = chromium.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 800
    )
    context.set_default_timeout(20_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in_as_demo_coach(page, url)
        page.goto(url + paths["dashboard"])
        check_page(page, f"dashboard at {width}px")
        screenshots(page, f"dashboard-{width}")
        page.goto(report)
        check_page(page, f"released report at {width}px")
        screenshots(page, f"released-{width}")
    finally:
        context.close()
    assert errors == []
