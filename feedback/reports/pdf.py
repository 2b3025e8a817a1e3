"""The report as a PDF: headless Chromium prints the very HTML report that is
downloaded (README "Reports"), so the PDF holds the same guarded figures and charts.

Why Chromium: the report's charts are plotly figures drawn by plotly.js; a browser
prints them as vector graphics with their text, exactly as the coach sees them. An
engine without JavaScript (WeasyPrint) would need static SVG charts, and plotly's
static export needs kaleido, which drives a Chrome of its own anyway. Chromium runs as
a program (``chromium --headless --print-to-pdf``), not through a Python driver, so the
service gains no dependency: where no browser is installed the PDF is simply not
offered.

Where the browser is: the setting ``FEEDBACK_CHROMIUM`` (a path or a program's name;
``none`` turns the PDF off), else the first of :data:`CANDIDATES` on ``PATH``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal

# subprocess runs the browser the settings name, with our own flags, without a shell.
import subprocess  # nosec B404
import tempfile
import threading
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

#: Programs tried, in order, when FEEDBACK_CHROMIUM is not set.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: What FEEDBACK_CHROMIUM says to turn the PDF off.
OFF = frozenset({"none", "off", "false", "no", "0"})
#: Browsers printing at once in one process; a further request is told to try again.
AT_ONCE = 2
_printing = threading.BoundedSemaphore(AT_ONCE)
#: Seconds a request waits for a turn before it is told the server is busy: short, so
#: that waiting and printing stay within a worker's timeout.
BUSY_WAIT = 2.0

#: The browser as a quiet, offline printer: no first-run, sync, extensions, updates or
#: other network of its own, no GPU, no crash reporter; the page's header and footer
#: are the report's own (CSS @page), not the browser's date and file name.
CHROMIUM_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-extensions",
    "--disable-sync",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--no-default-browser-check",
    "--no-first-run",
    "--no-service-autorun",
    "--mute-audio",
    "--hide-scrollbars",
    "--no-pdf-header-footer",
    "--run-all-compositor-stages-before-draw",
)


class PdfUnavailable(RuntimeError):
    """No PDF engine here (no Chromium found, or the PDF turned off); the message says
    how to get one."""


class PdfFailed(RuntimeError):
    """The browser did not print the report (it failed, timed out or is busy); the
    message is for the user."""


def chromium_path() -> str | None:
    """The browser that prints PDFs, or None when there is none (or it is turned off)."""
    setting = (current_app.config.get("CHROMIUM") or "").strip()
    if setting.lower() in OFF:
        return None
    if setting:
        found = shutil.which(setting)
        return found if found else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def pdf_available() -> bool:
    """Whether a PDF can be made here (the dashboard offers it only then)."""
    return chromium_path() is not None


def _why_unavailable() -> str:
    setting = (current_app.config.get("CHROMIUM") or "").strip()
    if setting.lower() in OFF:
        return "PDF reports are turned off (FEEDBACK_CHROMIUM is set to turn them off)"
    if setting:
        return (
            f"no browser at FEEDBACK_CHROMIUM={setting!r} to print the PDF; install "
            "Chromium or point FEEDBACK_CHROMIUM at it"
        )
    return (
        "no Chromium found to print the PDF (looked for "
        f"{', '.join(CANDIDATES)} on PATH); install Chromium (Debian: apt-get install "
        "chromium) or set FEEDBACK_CHROMIUM to its path"
    )


def html_to_pdf(html: str) -> bytes:
    """Print ``html`` (a self-contained page) to PDF with headless Chromium, in a
    throw-away profile, within FEEDBACK_PDF_TIMEOUT seconds. Raises PdfUnavailable
    without a browser, PdfFailed when printing fails."""
    browser = chromium_path()
    if browser is None:
        raise PdfUnavailable(_why_unavailable())
    timeout = float(current_app.config.get("PDF_TIMEOUT") or 60)
    if not _printing.acquire(timeout=BUSY_WAIT):
        raise PdfFailed(_("the server is busy printing other reports; try again in a minute"))
    try:
        with tempfile.TemporaryDirectory(prefix="mirror360-pdf-") as folder:
            return _print(browser, html, Path(folder), timeout)
    finally:
        _printing.release()


def _print(browser: str, html: str, folder: Path, timeout: float) -> bytes:
    page = folder / "report.html"
    page.write_text(html, encoding="utf-8")
    output = folder / "report.pdf"
    profile = folder / "profile"
    profile.mkdir()
    command = [
        browser,
        *CHROMIUM_FLAGS,
        # The sandbox cannot start for root; elsewhere it stays on.
        *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        f"--user-data-dir={profile}",
        f"--print-to-pdf={output}",
        page.as_uri(),
    ]
    # HOME and the XDG folders in the throw-away folder too: a service account may
    # have no home, and nothing of the browser's should outlive the request.
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_CACHE_HOME": str(folder / "cache"),
        "LANG": "C.UTF-8",
    }
    # The browser the settings name, our own flags and file, no shell.
    process = subprocess.Popen(  # noqa: S603  # nosec B603
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=folder,
        start_new_session=True,  # its own process group, so that it ends whole
    )
    try:
        _, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end(process)
        raise PdfFailed(f"the browser did not print the report within {timeout:g} s") from None
    finally:
        _end(process)
    if process.returncode != 0 or not output.exists() or output.stat().st_size == 0:
        last = (errors or b"").decode("utf-8", "replace").strip().splitlines()[-1:]
        detail = f": {last[0][:200]}" if last else ""
        raise PdfFailed(
            f"the browser could not print the report (exit {process.returncode}){detail}"
        )
    data = output.read_bytes()
    if not data.startswith(b"%PDF"):
        raise PdfFailed("the browser wrote something that is not a PDF")
    return data


def _end(process: subprocess.Popen) -> None:
    """End the browser and every process it started (its process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
