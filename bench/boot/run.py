"""Benchmark: how long gunicorn's workers take to boot and warm up until they answer,
with the project's settings (``gunicorn.conf.py``: the app preloaded and warmed once in
the master) against those of before (each worker imports, builds and warms the app on
its own), in the same run.

    .venv/bin/python bench/boot/run.py [--workers 2,4] [--rounds 3] [--kills 3]

For each number of workers and each round, both ways alternately: starts gunicorn
(settings from ``bench/boot/gunicorn_bench.py``) on a free port of 127.0.0.1 and a
throw-away SQLite database, and polls ``/healthz`` from a few threads, noting which
worker answered. Measures the time from the start to the first
answer and until every worker has answered; then kills a worker with SIGKILL
``--kills`` times and measures until its replacement answers (what raters waited
through under repeated worker kills). Prints the medians and their ratios; exits 1
when the settings do not bring the replacement's time down to at most half of before.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import app_env, free_port, stop  # noqa: E402

CONFIG = Path(__file__).resolve().with_name("gunicorn_bench.py")
#: A replacement worker must answer in at most this share of the time it took before.
GOAL_RATIO = 0.5
LIMIT = 120.0  #: seconds any one wait may take before the run is called failed


def seed(env: dict[str, str]) -> None:
    """The database's schema, as ``feedback db upgrade`` makes it."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from feedback import create_app

    app = create_app(instance_path=env["BENCH_INSTANCE"])
    with app.app_context():
        upgrade()


class Poller:
    """Threads that ask ``/healthz`` again and again; the pids of the workers that
    answered are read from the file the bench's hook writes."""

    def __init__(self, port: int, pids_file: Path, threads: int) -> None:
        self.url = f"http://127.0.0.1:{port}/healthz"
        self.pids_file = pids_file
        self.answered = threading.Event()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._ask, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def _ask(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        self.answered.set()
            except OSError:
                pass
            time.sleep(0.01)

    def pids(self) -> set[int]:
        """The workers that answered so far."""
        if not self.pids_file.exists():
            return set()
        return {int(line) for line in self.pids_file.read_text().split()}

    def close(self) -> None:
        """Stop asking."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)


def workers_of(master: int) -> set[int]:
    """The pids of the processes whose parent is ``master``."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.add(int(stat.parent.name))
    return children


def wait(condition, what: str) -> float:
    """Seconds until ``condition()`` holds (polled every 5 ms)."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > LIMIT:
            raise RuntimeError(f"{what}: not within {LIMIT:.0f} s")
        time.sleep(0.005)
    return time.perf_counter() - started


def one_run(folder: Path, env: dict[str, str], workers: int, after: bool, kills: int) -> dict:
    """Start gunicorn with the settings of after (or before); the seconds to the first
    answer, to every worker answering, and for each killed worker until its replacement
    answers."""
    port = free_port()
    pids_file = folder / f"pids-{port}"
    log = (folder / f"gunicorn-{port}.log").open("w")
    started = time.perf_counter()
    command = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "-w", str(workers)]
    server = subprocess.Popen(
        [*command, "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "BENCH_SETTINGS": "after" if after else "before",
            "BENCH_PIDS_FILE": str(pids_file),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    poller = Poller(port, pids_file, threads=workers + 1)
    try:
        wait(poller.answered.is_set, "the first answer")
        first = time.perf_counter() - started
        wait(lambda: len(poller.pids()) >= workers, "every worker answering")
        every = time.perf_counter() - started
        replacements = []
        for _ in range(kills):
            seen = poller.pids()
            victim = min(workers_of(server.pid) & seen)
            os.kill(victim, signal.SIGKILL)
            replacements.append(
                wait(lambda seen=seen: poller.pids() - seen, "the replacement answering")
            )
    finally:
        poller.close()
        stop(server)
        log.close()
    return {"first": first, "every": every, "replacement": replacements}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="2,4", help="worker counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kills", type=int, default=3, help="workers killed per run")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-boot-") as tmp:
        folder = Path(tmp)
        env = {**app_env(folder), "FEEDBACK_MAIL_BACKGROUND": "false"}
        seed(env)
        results: dict[tuple[int, bool], list[dict]] = {}
        for workers in counts:
            for round_ in range(args.rounds):
                ways = (False, True) if round_ % 2 == 0 else (True, False)
                for after in ways:
                    run = one_run(folder, env, workers, after, args.kills)
                    results.setdefault((workers, after), []).append(run)
                    print(
                        f"  {workers} workers, {'after' if after else 'before'}:"
                        f" first {run['first']:.2f} s, every worker {run['every']:.2f} s,"
                        f" replacements {', '.join(f'{s:.2f}' for s in run['replacement'])} s",
                        flush=True,
                    )

    print(f"\nmedians over {args.rounds} rounds ({args.kills} kills each):")
    print("| workers | | first answer | every worker answers | a killed worker's replacement |")
    print("|---|---|---|---|---|")
    verdict = 0
    for workers in counts:
        medians = {}
        for after in (False, True):
            runs = results[(workers, after)]
            medians[after] = {
                "first": statistics.median(r["first"] for r in runs),
                "every": statistics.median(r["every"] for r in runs),
                "replacement": statistics.median(s for r in runs for s in r["replacement"]),
            }
            m = medians[after]
            print(
                f"| {workers} | {'after (preload)' if after else 'before'} |"
                f" {m['first']:.2f} s | {m['every']:.2f} s | {m['replacement']:.2f} s |"
            )
        ratio = {k: medians[True][k] / medians[False][k] for k in medians[True]}
        print(
            f"| {workers} | ratio | {ratio['first']:.2f} | {ratio['every']:.2f} |"
            f" {ratio['replacement']:.2f} |"
        )
        if ratio["replacement"] > GOAL_RATIO:
            verdict = 1
    print(
        f"\ngoal: a replacement worker answers in at most {GOAL_RATIO:.0%} of the time"
        f" it took before: {'met' if verdict == 0 else 'MISSED'}"
    )
    return verdict


if __name__ == "__main__":
    sys.exit(main())
