"""Benchmark: what the coach's dashboard costs a phone on its first view — bytes over the
wire and the time until every chart is drawn — in Debian's Chromium driven by
Playwright, against the sign-in page in the same run.

    .venv/bin/python bench/weight/run.py [--rounds 5]

Seeds the dashboard benchmark's cycle (15 raters x 35 statements), serves it with
gunicorn on 127.0.0.1, signs in, then loads the dashboard in a new browser context
(empty cache) per round at 390 x 844 with the CPU slowed 4x, once on the loopback
network as it is and once throttled to DevTools' "Fast 4G" (9 Mbit/s down, 60 ms
round trip). Transferred bytes are the sum of every response's encoded length
(Chrome DevTools Protocol) until every chart is drawn; "interactive" is when the page's
scripts have run (DOMContentLoaded: charts load plotly.js as they come near the
screen); "first chart" is when the first chart is drawn for a reader who scrolls
straight to it. Prints medians; exits 1 when a goal is missed: under 1 MB transferred,
interactive within 1.5 s (both networks).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import app_env, start_gunicorn, stop  # noqa: E402
from bench.dashboard.run import seed, sign_in  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-first-run",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]
GOALS = {"transferred_mb": 1.0, "interactive_s": 1.5}
#: A mid-range phone against this machine's cores (DevTools' "mid-tier mobile").
CPU_SLOWDOWN = 4
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True}
FAST_4G = {"latency": 60, "downloadThroughput": 9_000_000 / 8, "uploadThroughput": 1_500_000 / 8}
ALL_DRAWN = """() => {
  const charts = document.querySelectorAll('.chart');
  return charts.length > 0 && [...charts].every(c => c.querySelector('svg.main-svg'));
}"""


def load(browser, url: str, cookie: str, network: dict | None) -> dict[str, float]:
    """One cold first view of ``url``: bytes transferred until every chart is drawn,
    seconds until the page is interactive (its scripts have run: DOMContentLoaded),
    and seconds until the first chart is drawn when the reader scrolls straight to it."""
    context = browser.new_context(**PHONE)
    name, value = cookie.split("=", 1)
    context.add_cookies([{"name": name, "value": value, "url": url}])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    if network:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **network})
    transferred = []
    cdp.on("Network.loadingFinished", lambda event: transferred.append(event["encodedDataLength"]))
    page.goto(url, wait_until="domcontentloaded")
    interactive = page.evaluate(
        "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
    )
    figures = {"transferred_mb": 0.0, "interactive_s": interactive / 1000, "first_chart_s": 0.0}
    if page.locator(".chart").count():
        page.locator(".chart").first.scroll_into_view_if_needed()
        page.wait_for_selector(".chart svg.main-svg", state="attached", timeout=60_000)
        figures["first_chart_s"] = page.evaluate("performance.now()") / 1000
        for chart in page.locator(".chart").all():  # the rest, as the reader scrolls on
            chart.scroll_into_view_if_needed()
        page.wait_for_function(ALL_DRAWN, timeout=60_000)
    page.wait_for_load_state("load")
    figures["transferred_mb"] = sum(transferred) / 1e6
    context.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-weight-"))
    env = app_env(folder)
    cycle_id = seed(env)
    server, port = start_gunicorn("wsgi:app", ROOT, env)
    missed = []
    try:
        cookie = sign_in(port)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            load(browser, f"{base}/cycles/{cycle_id}", cookie, None)  # warm the workers
            for label, network in (("loopback", None), ("Fast 4G", FAST_4G)):
                for path in (f"/cycles/{cycle_id}", "/login"):
                    runs = [load(browser, base + path, cookie, network) for _ in range(args.rounds)]
                    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                    print(
                        f"{label:9} {path:12} {median['transferred_mb']:6.3f} MB, interactive "
                        f"{median['interactive_s']:5.2f} s, first chart "
                        f"{median['first_chart_s']:5.2f} s (median of {args.rounds})",
                        flush=True,
                    )
                    if path == "/login":
                        continue
                    if median["transferred_mb"] >= GOALS["transferred_mb"]:
                        missed.append(f"{label}: {median['transferred_mb']:.3f} MB >= 1 MB")
                    if median["interactive_s"] >= GOALS["interactive_s"]:
                        missed.append(f"{label}: interactive in {median['interactive_s']:.2f} s")
            browser.close()
    finally:
        stop(server)
    for line in missed:
        print(f"MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
