"""Benchmark: a rater's whole visit under gunicorn (2 sync workers, 127.0.0.1, SQLite
file in WAL mode, or PostgreSQL): open the form by the link in the invitation (GET),
then send every answer with the form's CSRF token (POST), one link per visit, at 1, 4
and 16 concurrent connections, against the bare Flask reference of bench/submit (a GET
doing one SELECT, a POST doing one SELECT and one INSERT) in the same run.

    .venv/bin/python bench/flow/run.py [--invites 1800] [--rounds 3] [--connections 1,4,16]
        [--database-url postgresql+psycopg://user@127.0.0.1:5432/empty_db]

Seeds as bench/submit does (a 35-statement questionnaire, invites over cycles of 60).
Each visit opens a new connection, GETs the form without a cookie, reads the session
cookie and the CSRF token from the answer, and POSTs the 35 answers and 4 open answers
with them; it counts when the GET was a 200 with a token and the POST a 302 to the
thanks page. The reference visit is the same two requests to
``bench/submit/reference.py``. Per number of connections, ``--rounds`` rounds, each on
fresh links, alternating which side goes first; figures are medians, the ratio is the
median of the rounds' own ratios. Prints the gunicorn workers' own memory (RSS and PSS,
from /proc) after the run. Exits 1 when any visit failed or the database does not hold
exactly one response per successful visit; the figures themselves are reported, not
judged (the goal in issue 21 is against a peer outside the project).
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
SUBMIT = ROOT / "bench" / "submit"
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    app_env,
    run_in_threads,
    start_gunicorn,
    still_client,
    stop,
    worker_memory,
)
from bench.submit.run import CSRF, PER_CYCLE, form_body, seed  # noqa: E402


def visit(port: int, path: str, body_for, thanks: str) -> tuple[bool, float, float]:
    """One whole visit on a new connection: GET ``path``, POST ``body_for(path, token)`` back
    with the cookie the GET set. Whether it went through, and the GET's and the POST's
    seconds."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        start = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
        got = time.perf_counter()
        token = CSRF.search(page)
        if response.status != 200 or token is None:
            return False, got - start, 0.0
        if response.getheader("Connection", "").lower() == "close" or response.will_close:
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            headers["Cookie"] = cookie
        connection.request("POST", path, body=body_for(path, token.group(1)), headers=headers)
        response = connection.getresponse()
        response.read()
        done = time.perf_counter()
        location = response.getheader("Location") or ""
        if thanks:
            ok = response.status == 302 and location.endswith(path + thanks)
        else:
            ok = response.status == 200
        return ok, got - start, done - got
    except (OSError, http.client.HTTPException):
        return False, 0.0, 0.0
    finally:
        connection.close()


def run_visits(port: int, paths: list[str], body_for, thanks: str, threads: int) -> dict:
    """Every path visited once, from ``threads`` threads; throughput and latencies."""
    results: list[tuple[bool, float, float]] = []
    lock = threading.Lock()
    cursor = iter(paths)

    def work() -> None:
        mine = []
        while True:
            with lock:
                path = next(cursor, None)
            if path is None:
                break
            mine.append(visit(port, path, body_for, thanks))
        with lock:
            results.extend(mine)

    wall = run_in_threads(work, threads)
    whole = sorted(g + p for _, g, p in results)
    return {
        "ok": sum(1 for ok, *_ in results if ok),
        "sent": len(results),
        "per_s": len(results) / wall if wall else 0.0,
        "p50_ms": 1000 * statistics.median(whole),
        "p99_ms": 1000 * whole[int(0.99 * (len(whole) - 1))],
        "get_ms": 1000 * statistics.median(g for _, g, _ in results),
        "post_ms": 1000 * statistics.median(p for *_, p in results),
    }


def main() -> int:
    """Seed, serve, visit, check; exit 1 when a visit failed or the database is off."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invites", type=int, default=1800, help="visits in all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", default="1,4,16", help="comma-separated")
    parser.add_argument(
        "--database-url",
        help="an empty PostgreSQL database for the app and the reference (default: a "
        "SQLite file each, in a temporary folder)",
    )
    args = parser.parse_args()
    try:
        levels = [int(n) for n in args.connections.split(",") if n.strip()]
    except ValueError:
        parser.error("--connections takes numbers separated by commas")
    if not levels or min(levels) < 1 or not 1 <= args.rounds <= 9:
        parser.error("use 1-9 rounds and at least 1 connection")
    size = args.invites // (args.rounds * len(levels))
    if not 100 <= args.invites <= 20_000 or size < max(levels):
        parser.error("use 100 to 20,000 invites, at least one per connection and round")

    folder = Path(tempfile.mkdtemp(prefix="bench-flow-"))
    atexit.register(shutil.rmtree, folder, True)
    env = {
        **app_env(folder, args.database_url),
        "BENCH_REFERENCE_DB": args.database_url or f"sqlite:///{folder / 'reference.sqlite3'}",
    }
    started = time.perf_counter()
    paths, items, questions = seed(env, args.invites)
    sys.path.insert(0, str(SUBMIT))
    from reference import create_schema

    create_schema(env["BENCH_REFERENCE_DB"], len(items))
    still_client()  # the seeded app's objects out of the client's collections
    print(
        f"seeded {len(paths)} invites over {len(paths) // PER_CYCLE + 1} cycles "
        f"({len(items)} statements, {len(questions)} open questions) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    rng = random.Random(360)
    bodies = {path: form_body("{token}", items, questions, rng) for path in paths}

    def app_body(path: str, token: str) -> str:
        return bodies[path].replace("%7Btoken%7D", token, 1)

    # The reference gets the same body (it reads only ``key`` and ``score``).
    body = bodies[paths[0]]

    def ref_body(path: str, token: str) -> str:
        n = int(path.strip("/").rsplit("/", 1)[-1].lstrip("w"))
        return f"{body.replace('%7Btoken%7D', token, 1)}&key=item_{n % len(items)}&score=3"

    servers: list[subprocess.Popen] = []
    table = {}
    try:
        app_server, app_port = start_gunicorn("wsgi:app", ROOT, env)
        servers.append(app_server)
        ref_server, ref_port = start_gunicorn("reference:app", SUBMIT, env)
        servers.append(ref_server)
        # One warm-up visit per worker and side, on links not timed.
        warm = paths[-4:]
        paths = paths[:-4]
        for path in warm:
            visit(app_port, path, app_body, "thanks")
            visit(ref_port, f"/ref/w{len(path)}/", ref_body, "")
        cursor = 0
        for level in levels:
            rounds = []
            for number in range(args.rounds):
                chunk = paths[cursor : cursor + size]
                cursor += size
                figures = {}
                order = ("app", "reference") if number % 2 else ("reference", "app")
                for which in order:
                    if which == "app":
                        figures[which] = run_visits(app_port, chunk, app_body, "thanks", level)
                    else:
                        references = [f"/ref/{n}/" for n in range(len(chunk))]
                        figures[which] = run_visits(ref_port, references, ref_body, "", level)
                rounds.append(figures)
                a, r = figures["app"], figures["reference"]
                print(
                    f"{level:2d} connections, round {number + 1}: visit {a['per_s']:6.1f}/s "
                    f"p50 {a['p50_ms']:5.1f} (GET {a['get_ms']:4.1f}, POST {a['post_ms']:4.1f})"
                    f" p99 {a['p99_ms']:5.1f} ms | reference {r['per_s']:6.1f}/s p50 "
                    f"{r['p50_ms']:5.1f} (GET {r['get_ms']:4.1f}, POST {r['post_ms']:4.1f}) ms"
                    f" | load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            table[level] = rounds
        memory = worker_memory(app_server)
        ref_memory = worker_memory(ref_server)
    except RuntimeError as exc:
        print(f"setup failed: {exc}")
        return 2
    finally:
        for server in servers:
            stop(server)

    visits = sum(f["app"]["ok"] for rounds in table.values() for f in rounds) + len(warm)
    failed = sum(f[w]["sent"] - f[w]["ok"] for rounds in table.values() for f in rounds for w in f)
    engine = create_engine(env["FEEDBACK_DATABASE_URL"])
    with engine.connect() as connection:
        responses, ratings = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM responses WHERE \"group\" != 'self'),"
                " (SELECT count(*) FROM ratings)"
            )
        ).one()
    engine.dispose()

    database = "SQLite WAL" if env["FEEDBACK_DATABASE_URL"].startswith("sqlite") else "PostgreSQL"
    print(
        f"a rater's whole visit (GET the form, POST {len(items)} answers), gunicorn -w 2 "
        f"sync, {database}, {args.rounds} rounds x {size} visits per level (medians), "
        f"load average {os.getloadavg()[0]:.1f}:"
    )
    for level, rounds in table.items():

        def median(which: str, key: str, _rounds=rounds) -> float:
            return statistics.median(f[which][key] for f in _rounds)

        ratio = statistics.median(f["app"]["per_s"] / f["reference"]["per_s"] for f in rounds)
        print(
            f"  {level:2d} connections: visit {median('app', 'per_s'):6.1f}/s "
            f"p50 {median('app', 'p50_ms'):5.1f} ms (GET {median('app', 'get_ms'):4.1f}, "
            f"POST {median('app', 'post_ms'):4.1f}) p99 {median('app', 'p99_ms'):5.1f} ms | "
            f"reference {median('reference', 'per_s'):6.1f}/s p50 "
            f"{median('reference', 'p50_ms'):5.1f} ms | ratio {ratio:.2f}"
        )
    for name, figures in (("app", memory), ("reference", ref_memory)):
        shown = ", ".join(f"RSS {rss:.0f} MB (PSS {pss:.0f} MB)" for _, rss, pss in figures)
        print(f"  worker memory, {name}: {shown}")
    print(
        f"  database: {responses} rater responses, {ratings} ratings for {visits} "
        f"successful visits; {failed} failed visits"
    )
    missed = []
    if failed:
        missed.append(f"{failed} visits failed")
    if not (responses == visits and ratings == responses * len(items)):
        missed.append("the database does not hold exactly one response per visit")
    print("all visits went through" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
