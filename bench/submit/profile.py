"""Profile the rater submit in-process (no gunicorn): seed like run.py, open each form
with the test client, then time and profile the POSTs with pyinstrument.

    .venv/bin/python bench/submit/profile.py [--invites 300] [--html out.html] [--no-profile]

Prints the mean time per submit and pyinstrument's text profile (pyinstrument is a
``bench`` extra, not a dependency of the service); with ``--no-profile``, the mean wall
time and this process's CPU time per submit, which other work on a shared machine
disturbs less than the wall time (a thread the app starts counts in it too).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from run import CSRF, form_body, seeded_app  # noqa: E402

from bench.common import still_client  # noqa: E402


def main() -> int:
    """Seed, open the forms, profile the submits."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invites", type=int, default=300)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML here")
    parser.add_argument(
        "--no-profile", action="store_true", help="only time the submits, without the profiler"
    )
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    if not 10 <= args.invites <= 5000:
        parser.error("use 10 to 5000 invites")
    from pyinstrument import Profiler

    app, paths, items, questions = seeded_app(
        "bench-submit-profile-", args.invites, args.database_url
    )
    rng = random.Random(1)
    prepared = []
    for path in paths:
        client = app.test_client()
        page = client.get(path, headers={"Host": "127.0.0.1"}).get_data(as_text=True)
        token = CSRF.search(page).group(1)
        prepared.append((client, path, form_body(token, items, questions, rng)))
    # Warm: the first submit builds caches that every later one reuses.
    client, path, body = prepared.pop()
    headers = {"Host": "127.0.0.1", "Content-Type": "application/x-www-form-urlencoded"}
    assert client.post(path, data=body, headers=headers).status_code == 302
    # As a gunicorn worker runs (gunicorn.conf.py): what the app built so far kept out
    # of the garbage collector's full collections.
    still_client()
    profiler = Profiler(interval=0.0005)
    start, cpu = time.perf_counter(), time.process_time()
    if not args.no_profile:
        profiler.start()
    for client, path, body in prepared:
        response = client.post(path, data=body, headers=headers)
        assert response.status_code == 302, re.sub(r"\s+", " ", response.get_data(as_text=True))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if args.no_profile:
        print(
            f"{len(prepared)} submits, {1000 * elapsed / len(prepared):.2f} ms each, "
            f"CPU {1000 * cpu / len(prepared):.2f} ms each"
        )
        return 0
    profiler.stop()
    print(f"{len(prepared)} submits, {1000 * elapsed / len(prepared):.2f} ms each (profiled)")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        args.html.write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
