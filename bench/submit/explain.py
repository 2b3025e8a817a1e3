"""Where PostgreSQL's time goes in a rater's submit: its one writing statement, as the
app sends it, under ``EXPLAIN ANALYZE`` on fresh invites.

    .venv/bin/python bench/submit/explain.py --database-url postgresql+psycopg://user@127.0.0.1:5432/empty_db
        [--invites 400] [--warm 50]

Seeds the empty database as bench/submit/run.py does, submits the first ``--warm``
invites' forms through the app (test client, in this process) and keeps the statement
and parameters the app sent for the last of them. Then, for each other invite, runs
``EXPLAIN (ANALYZE, FORMAT JSON)`` of that statement with the invite's id and a new
response id, and commits it (it writes what a submit writes). Prints the medians of the
server's execution and planning time, of each part of the statement (the claim, the
response, its ratings, its open answers) and of each constraint's checks.
``EXPLAIN ANALYZE`` times every step, which costs a little itself, and plans the
statement each time, where the app's prepared statement reuses one plan; the figures
are for comparing the parts, not a submit's whole cost (bench/submit/run.py prints
that, as the server's CPU per request).
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from run import CSRF, form_body, seeded_app  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

#: How the writing statement of a submit starts (feedback.ratings.store).
WRITING = "WITH claimed AS"


def parts(plan: dict, found: dict[str, float]) -> None:
    """Each part of the statement (its CTEs, by name) and its time, from the plan."""
    name = plan.get("Subplan Name")
    if name and name.startswith("CTE "):
        found[name.removeprefix("CTE ")] = plan["Actual Total Time"]
    for child in plan.get("Plans", ()):
        parts(child, found)


def main() -> int:
    """Seed, submit a few, explain the rest; print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--invites", type=int, default=400)
    parser.add_argument("--warm", type=int, default=50, help="submits through the app first")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("the statement explained is PostgreSQL's")
    if not 10 <= args.warm < args.invites <= 5000:
        parser.error("use 10 to 5000 invites, more than --warm (at least 10)")

    app, paths, items, questions = seeded_app(
        "bench-submit-explain-", args.invites, args.database_url
    )
    from feedback.extensions import db

    sent: list[tuple[str, dict]] = []
    rng = random.Random(1)
    headers = {"Host": "127.0.0.1", "Content-Type": "application/x-www-form-urlencoded"}
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
            if statement.lstrip().startswith(WRITING):
                sent.append((statement, dict(parameters)))

    for path in paths[: args.warm]:
        client = app.test_client()
        page = client.get(path, headers={"Host": "127.0.0.1"}).get_data(as_text=True)
        body = form_body(CSRF.search(page).group(1), items, questions, rng)
        assert client.post(path, data=body, headers=headers).status_code == 302
    if len(sent) != args.warm:
        print(f"expected {args.warm} writing statements, saw {len(sent)}")
        return 2
    statement, parameters = sent[-1]

    times: dict[str, list[float]] = defaultdict(list)
    with app.app_context():
        connection = db.engine.connect()
        waiting = (
            connection.execute(
                text("SELECT id FROM invites WHERE state <> 'submitted' ORDER BY id")
            )
            .scalars()
            .all()
        )
        connection.commit()
        for invite_id in waiting:
            fresh = {**parameters, "invite_id": invite_id, "response_id": secrets.token_hex(16)}
            with connection.begin():
                result = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, fresh
                ).scalar_one()
            explained = result[0]
            times["execution"].append(explained["Execution Time"])
            times["planning"].append(explained["Planning Time"])
            found: dict[str, float] = {}
            parts(explained["Plan"], found)
            for name, ms in found.items():
                times[f"part {name}"].append(ms)
            for trigger in explained.get("Triggers", ()):
                name = trigger.get("Constraint Name") or trigger["Trigger Name"]
                times[f"checks {name}"].append(trigger["Time"])
        connection.close()
    n = len(times["execution"])
    print(
        f"{n} submits' writing statement ({len(items)} ratings, {len(questions)} open "
        "answers each), medians:"
    )
    for name, values in times.items():
        print(f"  {name:55} {statistics.median(values):6.3f} ms")
    checks = sum(statistics.median(v) for k, v in times.items() if k.startswith("checks "))
    print(f"  {'all checks of constraints':55} {checks:6.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
