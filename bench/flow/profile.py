"""Profile a rater's form GET in-process (no gunicorn): seed like bench/submit, warm the
app with one GET, then time and profile one GET per link with pyinstrument, each
from a new test client (no cookie, as a rater opening the link), and count the SQL
statements per GET.

    .venv/bin/python bench/flow/profile.py [--invites 300] [--html out.html] [--no-profile]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.submit.run import seeded_app  # noqa: E402


def main() -> int:
    """Seed, warm, profile the form GETs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invites", type=int, default=300)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML here")
    parser.add_argument("--no-profile", action="store_true", help="only time the GETs")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    if not 10 <= args.invites <= 5000:
        parser.error("use 10 to 5000 invites")
    from pyinstrument import Profiler
    from sqlalchemy import event

    app, paths, _, _ = seeded_app("bench-flow-profile-", args.invites, args.database_url)
    from feedback.extensions import db

    headers = {"Host": "127.0.0.1"}
    assert app.test_client().get(paths.pop(), headers=headers).status_code == 200
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *rest):
        statements.append(statement)

    profiler = Profiler(interval=0.0005)
    start = time.perf_counter()
    if not args.no_profile:
        profiler.start()
    for path in paths:
        response = app.test_client().get(path, headers=headers)
        assert response.status_code == 200, response.status_code
    elapsed = time.perf_counter() - start
    if not args.no_profile:
        profiler.stop()
    print(
        f"{len(paths)} form GETs, {1000 * elapsed / len(paths):.2f} ms each"
        f"{' (profiled)' if not args.no_profile else ''}, "
        f"{len(statements) / len(paths):.1f} SQL statements each"
    )
    for statement in dict.fromkeys(" ".join(s.split())[:150] for s in statements):
        print(f"  {statement}")
    if not args.no_profile:
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        if args.html:
            args.html.write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
