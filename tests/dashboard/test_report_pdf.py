"""The PDF report (README "Reports"): the guarded HTML report printed by headless
Chromium, from the dashboard and from ``feedback report``; and what happens without a
browser, or with one that fails. The PDF is read back with pypdf."""

import io
import json
import os
import shutil
import stat
import threading
import time
from pathlib import Path

import pytest
from dashboard_support import figures_of

from feedback.reports import pdf

pypdf = pytest.importorskip("pypdf")


def a_browser() -> None:
    """Skip without Chromium; in CI (which installs it) its absence is a failure."""
    if pdf.CANDIDATES and any(shutil.which(name) for name in pdf.CANDIDATES):
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail("CI is set, so Chromium must be installed to print the PDF report")
    pytest.skip("no Chromium to print the PDF report")


def pages_of(data: bytes) -> list[str]:
    """Each page's text, with runs of white space made one space."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def chart_titles(html: str) -> list[str]:
    """The titles of the report's charts, as plotly draws them (only in the charts)."""
    return [json.loads(figure)["layout"]["title"]["text"] for figure in figures_of(html).values()]


def check_report(data: bytes, titles: list[str]) -> None:
    """A PDF of the report: A4 pages, the coachee, every chart's title, the running
    header and page numbers, and nothing of the hidden partner after the counts."""
    assert data.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    pages = pages_of(data)
    text = " ".join(pages)
    assert len(pages) >= 5  # the summary, then a page for each section
    assert "360 feedback for Casey Doe" in pages[0]
    assert len(titles) == 4
    for title in titles:  # drawn by plotly.js: the charts are in the PDF
        assert title in text, title
    for number, page in enumerate(pages[1:], start=2):
        assert "360 feedback for Casey Doe" in page, number  # the header on every page
        assert f"Page {number} of {len(pages)}" in page, number
    # The lone partner (below k) appears in the answer counts, then nowhere by name.
    assert "Partners" in pages[0]
    assert not any("Partners" in page for page in pages[1:])


#: Seconds a real print may take here: the test machine may be busy with other work.
SLOW_MACHINE = 180.0


def test_the_dashboard_offers_the_pdf_of_the_same_report(closed_cycle, coach_browser, app):
    a_browser()
    app.config["PDF_TIMEOUT"] = SLOW_MACHINE
    cycle_id = closed_cycle["cycle_id"]
    dashboard = coach_browser.get(f"/cycles/{cycle_id}").text
    assert f"/cycles/{cycle_id}/report.pdf" in dashboard
    html = coach_browser.get(f"/cycles/{cycle_id}/report.html").text
    response = coach_browser.get(f"/cycles/{cycle_id}/report.pdf")
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/pdf"
    assert 'filename="mirror360-casey-doe-cycle-' in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    check_report(response.data, chart_titles(html))


def test_the_report_command_writes_the_pdf(closed_cycle, coach_browser, runner, app, tmp_path):
    a_browser()
    app.config["PDF_TIMEOUT"] = SLOW_MACHINE
    cycle_id = closed_cycle["cycle_id"]
    html = coach_browser.get(f"/cycles/{cycle_id}/report.html").text
    out = tmp_path / "out"
    result = runner.invoke(args=["report", str(cycle_id), "--format", "pdf", "--output", str(out)])
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.parent == out and path.suffix == ".pdf"
    check_report(path.read_bytes(), chart_titles(html))
    assert [p.name for p in out.iterdir()] == [path.name]  # no part file left


@pytest.mark.parametrize(
    ("setting", "message"),
    [("none", "turned off"), ("/no/such/chromium", "FEEDBACK_CHROMIUM")],
    ids=["turned-off", "not-installed"],
)
def test_without_a_browser_no_pdf_is_offered_and_asking_says_why(
    closed_cycle, coach_browser, runner, app, tmp_path, setting, message
):
    app.config["CHROMIUM"] = setting
    cycle_id = closed_cycle["cycle_id"]
    dashboard = coach_browser.get(f"/cycles/{cycle_id}").text
    assert "report.pdf" not in dashboard and "report.xlsx" in dashboard
    response = coach_browser.get(f"/cycles/{cycle_id}/report.pdf")
    assert response.status_code == 503
    assert message in response.text and "Traceback" not in response.text
    out = tmp_path / "out"
    result = runner.invoke(args=["report", str(cycle_id), "--format", "pdf", "--output", str(out)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()
    # The other formats do not need a browser.
    assert coach_browser.get(f"/cycles/{cycle_id}/report.html").status_code == 200


def fake_browser(tmp_path: Path, body: str) -> str:
    script = tmp_path / "chromium"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_a_browser_that_fails_or_hangs_is_a_clear_503_and_is_ended(
    closed_cycle, coach_browser, runner, app, tmp_path
):
    cycle_id = closed_cycle["cycle_id"]
    app.config["CHROMIUM"] = fake_browser(tmp_path, "echo 'cannot open display' >&2; exit 3")
    response = coach_browser.get(f"/cycles/{cycle_id}/report.pdf")
    assert response.status_code == 503
    assert "could not print the report (exit 3): cannot open display" in response.text
    result = runner.invoke(
        args=["report", str(cycle_id), "--format", "pdf", "--output", str(tmp_path / "x")]
    )
    assert result.exit_code in (1, 2)

    # A browser that never finishes, with a child of its own: both are ended.
    marker = tmp_path / "child.pid"
    app.config["CHROMIUM"] = fake_browser(tmp_path, f"sleep 60 & echo $! > {marker}; wait")
    app.config["PDF_TIMEOUT"] = 1.0
    response = coach_browser.get(f"/cycles/{cycle_id}/report.pdf")
    assert response.status_code == 503
    assert "did not print the report within 1 s" in response.text
    child = int(marker.read_text())
    for _ in range(50):  # SIGKILL is delivered at once; its exit may take a moment
        if not running(child):
            break
        time.sleep(0.1)
    assert not running(child), "the browser's own child outlived it"


def running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_request_finding_every_printer_busy_is_told_to_try_again(
    closed_cycle, coach_browser, app, tmp_path, monkeypatch
):
    app.config["CHROMIUM"] = fake_browser(tmp_path, "exit 0")
    taken = threading.BoundedSemaphore(1)
    taken.acquire()  # another request is printing
    monkeypatch.setattr(pdf, "_printing", taken)
    monkeypatch.setattr(pdf, "BUSY_WAIT", 0.05)
    response = coach_browser.get(f"/cycles/{closed_cycle['cycle_id']}/report.pdf")
    assert response.status_code == 503
    assert "busy printing other reports; try again in a minute" in response.text
