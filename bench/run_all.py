"""Run every benchmark, each in its own process with a time limit, and summarise.

    .venv/bin/python bench/run_all.py [--only submit,bulk] [--timeout 900] [--quick]

Each benchmark measures the service and its reference in the same run and prints its
figure, the reference's and the ratio; this prints their output as it comes, then one
summary block with each benchmark's figure lines and verdict. Exits 0 when every
benchmark met its goals, 1 when any missed one (or failed or timed out), 2 on bad
arguments.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

#: name -> (command after the Python interpreter, lines to repeat in the summary,
#: the same with --quick).
BENCHMARKS = {
    "analyze": (["bench/analyze/run.py"], r"^(feedback analyze:|DuckDB:|ratio:)", []),
    "dashboard": (
        ["bench/dashboard/run.py"],
        r"^(/healthz|/cycles|ratio|first view|worker memory)",
        ["--requests", "200"],
    ),
    "mail": (
        ["bench/mail/run.py"],
        r"^(plain smtplib|outbox deliver_due|ratio)",
        ["--messages", "2000", "--rounds", "1"],
    ),
    "submit": (
        ["bench/submit/run.py"],
        r"^  (submit|reference|ratio|database)",
        ["--invites", "600", "--rounds", "1"],
    ),
    "flow": (
        ["bench/flow/run.py"],
        r"^  (\s?\d+ connections|worker memory|database)",
        ["--invites", "300", "--rounds", "1"],
    ),
    "bulk": (
        ["bench/bulk/run.py"],
        r"^\d+ (nominations|cycles)",
        ["--rounds", "1"],
    ),
}


def run_one(name: str, quick: bool, timeout: float) -> tuple[int, list[str], float]:
    """Run one benchmark; its exit code (124 on time-out), output lines and seconds."""
    command, _, quick_args = BENCHMARKS[name]
    if name == "analyze" and not (BENCH / "data" / "cohort.csv").exists():
        print("bench/data/cohort.csv is missing: generating it first", flush=True)
        subprocess.run([sys.executable, "bench/analyze/generate.py"], cwd=ROOT, check=True)
    argv = [sys.executable, *command, *(quick_args if quick else [])]
    start = time.monotonic()
    lines: list[str] = []
    child = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so a time-out can stop the benchmark and its children
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    timed_out = threading.Event()

    def stop_it() -> None:
        timed_out.set()
        os.killpg(child.pid, signal.SIGTERM)

    timer = threading.Timer(timeout, stop_it)
    timer.start()
    try:
        for line in child.stdout:
            if "alembic.runtime.migration" not in line:
                print(f"[{name}] {line}", end="", flush=True)
            lines.append(line.rstrip("\n"))
        code = child.wait()
        if timed_out.is_set():
            lines.append(f"TIMED OUT after {timeout:.0f} s")
            code = 124
    finally:
        timer.cancel()
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
    return code, lines, time.monotonic() - start


def main() -> int:
    """Run the chosen benchmarks in turn and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(BENCHMARKS))
    parser.add_argument("--timeout", type=float, default=900, help="seconds per benchmark")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one round")
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not 10 <= args.timeout <= 3600:
        parser.error(f"unknown benchmark {', '.join(unknown)}" if unknown else "timeout 10-3600")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    results = {}
    for name in names:
        print(f"=== {name}", flush=True)
        results[name] = run_one(name, args.quick, args.timeout)
    print(
        f"\n=== summary (commit {commit or 'unknown'}, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})"
    )
    failed = []
    for name, (code, lines, seconds) in results.items():
        verdict = {0: "met its goals", 124: "TIMED OUT"}.get(code, f"MISSED (exit {code})")
        print(f"{name}: {verdict} in {seconds:.0f} s")
        pattern = re.compile(BENCHMARKS[name][1])
        for line in lines:
            if pattern.search(line) or line.startswith(("MISSED", "FAIL")):
                print(f"    {line.strip()}")
        if code != 0:
            failed.append(name)
    print("all goals met" if not failed else f"goals missed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
