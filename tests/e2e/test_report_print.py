"""The HTML report prints well (README "Reports"): the demo's report laid out for print
in Debian's Chromium at the width of A4's printable area. Every chart is drawn without
its toolbar, fits the page's width and height, and its title, legend, plot and axis
title do not overlap; no table or chart is wider than the page; all the content is in
landmarks (header, nav, main, footer). The PDF itself is checked in
tests/dashboard/test_report_pdf.py."""

import pytest
from browser_support import links
from test_results_layout import BOXES, overlapping

from feedback.coaching.models import Cycle
from feedback.coaching.services import portal_url
from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.reports.exports import render_html, report_of

pytestmark = pytest.mark.e2e

#: A4 less the report's page margins (12 mm each side; 16 mm and 14 mm above and
#: below), in CSS pixels (96 per inch).
PAGE_WIDTH = round((210 - 24) / 25.4 * 96)
PAGE_HEIGHT = round((297 - 30) / 25.4 * 96)

OUTSIDE_LANDMARKS = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const outside = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!node.textContent.trim() || parent.closest("script, style")) continue;
    if (!parent.closest("header, nav, main, footer")) outside.push(node.textContent.trim());
  }
  return outside;
}"""

#: The box around a chart's x tick labels (the heatmap's column headers).
TICKS = """(chart) => {
  const boxes = [...chart.querySelectorAll(".xtick text")].map(t => t.getBoundingClientRect())
    .filter(r => r.width > 0);
  if (!boxes.length) return null;
  return [Math.min(...boxes.map(r => r.left)), Math.min(...boxes.map(r => r.top)),
          Math.max(...boxes.map(r => r.right)), Math.max(...boxes.map(r => r.bottom))];
}"""

DRAWN = """() => [...document.querySelectorAll("[data-figure]")].every(el =>
    el.getAttribute("data-drawn") === "yes" && el.querySelector("svg.main-svg"))"""
SVG_WIDTH = "c => Math.round(c.querySelector('svg.main-svg').getBoundingClientRect().width)"

TOO_WIDE = """(limit) => [...document.querySelectorAll("table, .chart, .card, blockquote")]
  .map(el => [el.tagName + "." + el.className, el.getBoundingClientRect().right])
  .filter(([, right]) => right > limit + 1)"""


def test_the_report_prints_on_a4_with_every_chart_drawn_and_nothing_cut(
    chromium, demo_server, screenshots
):
    app, _url = demo_server
    cycle_id = int(links(app)["dashboard"].rsplit("/", 1)[1])
    with app.test_request_context():
        html = render_html(
            db.session.get(Cycle, cycle_id), report_of(db.session.get(Cycle, cycle_id))
        )
        db.session.remove()
    context = chromium.new_context(viewport={"width": PAGE_WIDTH, "height": PAGE_HEIGHT})
    context.set_default_timeout(30_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.emulate_media(media="print")
        page.set_content(html, wait_until="load")
        charts = page.locator("[data-figure]")
        assert charts.count() == 4
        page.wait_for_function(
            """() => [...document.querySelectorAll("[data-figure]")].every(el =>
                el.getAttribute("data-drawn") === "yes" && el.querySelector("svg.main-svg"))"""
        )
        assert page.locator(".modebar").count() == 0  # no toolbar on paper
        assert page.evaluate(OUTSIDE_LANDMARKS) == []
        assert page.locator("body > header").count() == 1
        assert page.locator("main").count() == 1 and page.locator("nav").count() == 1
        assert page.locator("main > section[aria-labelledby]").count() == 6
        assert not page.locator("nav").is_visible()  # the links are for the screen

        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= PAGE_WIDTH, scroll
        assert page.evaluate(TOO_WIDE, PAGE_WIDTH) == []
        for index, chart in enumerate(charts.all()):
            box = chart.evaluate(
                "c => { const r = c.getBoundingClientRect(); return [r.width, r.height]; }"
            )
            assert box[0] <= PAGE_WIDTH and box[1] <= PAGE_HEIGHT - 40, (index, box)
            boxes = chart.evaluate(BOXES)
            ticks = chart.evaluate(TICKS)
            if ticks:
                boxes["x ticks"] = ticks
            assert {"title", "plot"} <= set(boxes), (index, boxes)
            assert not overlapping(boxes), (index, overlapping(boxes))
        screenshots(page, "print")
    finally:
        context.close()
    assert errors == []


def test_the_released_report_draws_every_chart_at_the_page_width_for_print(chromium, demo_server):
    """The coachee's released report draws charts as they come into view; printing it
    draws them all, at A4's printable width, and the screen gets its own width back."""
    app, _url = demo_server
    cycle_id = int(links(app)["dashboard"].rsplit("/", 1)[1])
    with app.test_request_context():
        cycle = db.session.get(Cycle, cycle_id)
        if cycle.released_at is None:
            lifecycle.release(cycle)
            db.session.commit()
        report = portal_url(cycle).rstrip("/") + "/report"
        db.session.remove()
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(report)
        charts = page.locator("[data-figure]")
        assert charts.count() >= 1
        page.emulate_media(media="print")
        page.wait_for_function(DRAWN)
        widths = [chart.evaluate(SVG_WIDTH) for chart in charts.all()]
        assert widths == [680] * len(widths), widths
        page.emulate_media(media="screen")
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-figure] svg.main-svg')]"
            ".every(svg => svg.getBoundingClientRect().width <= 390)"
        )
    finally:
        context.close()
