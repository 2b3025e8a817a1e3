"""What several benchmarks share. Import after putting the repository root on sys.path."""

import dataclasses
import gc
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

#: The default questionnaire has 31 statements; the issues measure with 35.
EXTRA_ITEMS = 4


def app_env(folder: Path, database_url: str | None = None) -> dict[str, str]:
    """Settings for an app under test in ``folder``: ``database_url`` or its own SQLite
    file, mail written to files and not sent by the web process, a fixed key."""
    return {
        "FEEDBACK_DATABASE_URL": database_url or f"sqlite:///{folder / 'app.sqlite3'}",
        "FEEDBACK_SECRET_KEY": "bench-secret-key-not-for-production-use",
        "FEEDBACK_MAIL_SEND_AFTER_REQUEST": "false",
        "FEEDBACK_MAIL_BACKEND": "file",
        "FEEDBACK_MAIL_FILE_DIR": str(folder / "mail"),
        "BENCH_INSTANCE": str(folder / "instance"),
    }


def questionnaire_35():
    """The default questionnaire with four extra statements spread over its
    competencies, stored under its own key ("bench-35") so it never mixes with the
    shipped one."""
    from feedback.questionnaires.loader import Item, default_questionnaire

    spec = default_questionnaire()
    competencies = list(spec.competencies)
    for n in range(EXTRA_ITEMS):
        c = competencies[n % len(competencies)]
        extra = Item(f"bench_extra_{n}", c.key, f"I do extra thing {n}.", f"{{name}} does {n}.")
        competencies[n % len(competencies)] = dataclasses.replace(c, items=(*c.items, extra))
    spec = dataclasses.replace(spec, key="bench-35", competencies=tuple(competencies))
    assert len(spec.items) == 31 + EXTRA_ITEMS
    return spec


def still_client() -> None:
    """Collect once, then keep what this process holds so far out of the garbage
    collector's later passes. A benchmark that seeds its database in process holds the
    whole app and its mapped objects; a full collection of all that paused every client
    thread at once, for 90 ms in the middle of a round of submits and 450 ms among the
    form GETs, and the pause was counted as the served requests' time (bench/README.md,
    "The client's pauses"). Call it after seeding, before timing."""
    gc.collect()
    gc.freeze()


def run_in_threads(work, threads: int) -> float:
    """Run ``work`` in ``threads`` threads at once; the wall-clock seconds until all end."""
    workers = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app: str, cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """``gunicorn -w 2`` (sync workers) serving ``app`` on a free port of 127.0.0.1."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", app],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn {app} exited with {server.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server, port
        time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"gunicorn {app} did not start")


def stop(server: subprocess.Popen) -> None:
    """Stop one gunicorn (graceful, then hard)."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def children(pid: int) -> list[int]:
    """The process ids of ``pid``'s children (Linux /proc; empty where it cannot tell)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds the processes ``pids`` have used so far (Linux /proc;
    a process that has ended counts nothing)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def worker_memory(server: subprocess.Popen) -> list[tuple[int, float, float]]:
    """(pid, RSS MB, PSS MB) of each gunicorn worker of ``server`` (Linux /proc)."""
    figures = []
    for pid in children(server.pid):
        status = Path(f"/proc/{pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        pss = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
        figures.append((pid, rss / 1024, pss / 1024))
    return figures
