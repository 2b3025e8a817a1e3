"""Benchmark: bulk work through the services, against plain SQLAlchemy Core INSERTs of
the same rows in the same run.

    .venv/bin/python bench/bulk/run.py [--nominations 10000] [--cycles 1000] [--rounds 3]

- nominations: a pasted list of 10,000 lines ``email, group, name`` read with the
  portal's ``parse_nominations`` (every address checked) and nominated with
  ``nominate``, 60 per cycle (MAX_RATERS_PER_CYCLE) over 167 open cycles, which also
  queues each invitation email in the outbox (its template, invite and cycle: it is
  rendered, and its link signed, when it is sent); one commit.
  Reference: the same 10,000 invite rows in one executemany INSERT. Goal: under 1.5 s
  (issue 21; it was 2 s before).
- cycles: ``feedback cycle import FILE.csv`` with 1,000 lines (through Flask's CLI
  runner: reading and checking the file, adding each coachee, opening each cycle and
  queueing the portal email). Reference: 1,000 coachee and 1,000 cycle rows in two
  executemany INSERTs. Goal: under 10 s.

Each round uses a fresh SQLite file (WAL) in a temporary folder; figures are medians
over the rounds. Exits 1 when a goal is missed, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ("boss", "peers", "Colleague", "subordinate", "direct report", "partner")


def make_app(folder: Path):
    """A migrated app on a new SQLite file in ``folder`` with one coach."""
    folder.mkdir(parents=True, exist_ok=True)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from feedback import create_app
    from feedback.accounts.services import create_coach
    from feedback.database import commit

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bulk.sqlite3'}",
            "SECRET_KEY": "bench-secret-key-not-for-production-use",
            "BASE_URL": "http://127.0.0.1:5000",
            "MAIL_BACKEND": "file",
            "MAIL_FILE_DIR": str(folder / "mail"),
            "MAIL_SEND_AFTER_REQUEST": False,
        },
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        upgrade()
        create_coach(email="bench@example.com", name="Bench Coach", password="bench-pass-1")  # noqa: S106
        commit()
    return app


def nominations_round(folder: Path, count: int) -> dict[str, float]:
    """Time parse + nominate of ``count`` pasted lines and the plain INSERT reference."""
    from sqlalchemy import insert

    from feedback.accounts.services import coach_by_email
    from feedback.coaching import services as coaching
    from feedback.cycles import lifecycle
    from feedback.database import commit
    from feedback.extensions import db
    from feedback.raters.models import Invite
    from feedback.raters.services import MAX_RATERS_PER_CYCLE, nominate, parse_nominations
    from feedback.timeutil import today

    app = make_app(folder)
    per = MAX_RATERS_PER_CYCLE
    with app.app_context():
        coach = coach_by_email("bench@example.com")
        cycles = []
        for number in range((count + per - 1) // per):
            coachee = coaching.add_coachee(
                coach, name=f"Coachee {number}", email=f"c{number}@x.org"
            )
            cycles.append(lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=14)))
        commit()
        cycle_ids = [cycle.id for cycle in cycles]
        pasted = "\n".join(
            f"Rater.{n}@Example.com, {GROUPS[n % len(GROUPS)]}, Rater Number {n}"
            for n in range(count)
        )
        db.session.remove()

    with app.app_context():
        from feedback.coaching.models import Cycle

        start = time.perf_counter()
        nominations, problems = parse_nominations(pasted)
        parse = time.perf_counter() - start
        created = 0
        for index, cycle_id in enumerate(cycle_ids):
            cycle = db.session.get(Cycle, cycle_id)
            invites, refused = nominate(cycle, nominations[index * per : (index + 1) * per])
            created += len(invites)
            assert not refused, refused[:1]
        commit()
        service = time.perf_counter() - start
        assert not problems and created == count, (problems[:1], created)

        rows = [
            {"cycle_id": cycle_ids[n // per], "group": "peer", "email": f"p{n}@x.org", "name": ""}
            for n in range(count)
        ]
        start = time.perf_counter()
        with db.engine.begin() as connection:
            # The link key is the column default the ORM fills in; Core needs it given.
            from feedback.coaching.models import new_link_key

            for row in rows:
                row["link_key"] = new_link_key()
                row["state"] = "pending"
            connection.execute(insert(Invite.__table__), rows)
        reference = time.perf_counter() - start
        db.session.remove()
        db.engine.dispose()
    return {"service": service, "parse": parse, "ref": reference}


def cycles_round(folder: Path, count: int) -> dict[str, float]:
    """Time ``feedback cycle import`` of ``count`` lines and the plain INSERT reference."""
    from sqlalchemy import func, insert, select

    from feedback.coaching.models import Coachee, Cycle
    from feedback.extensions import db
    from feedback.questionnaires.store import stored_questionnaire
    from feedback.timeutil import today, utcnow

    app = make_app(folder)
    closes = (today() + timedelta(days=20)).isoformat()
    csv_file = folder / "cycles.csv"
    csv_file.write_text(
        "coach_email,coachee_name,coachee_email,closes\n"
        + "".join(
            f"bench@example.com,Coachee Number {n},coachee.{n}@example.com,{closes}\n"
            for n in range(count)
        ),
        encoding="utf-8",
    )
    runner = app.test_cli_runner()
    start = time.perf_counter()
    result = runner.invoke(args=["cycle", "import", str(csv_file)])
    service = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cycle)) == count
        questionnaire_id = stored_questionnaire().id
        coach_id = db.session.scalar(select(Coachee.coach_id).limit(1))
        db.session.remove()
        from feedback.coaching.models import new_link_key

        now = utcnow()
        start = time.perf_counter()
        with db.engine.begin() as connection:
            ids = (
                connection.execute(
                    insert(Coachee.__table__).returning(Coachee.__table__.c.id),
                    [
                        {
                            "coach_id": coach_id,
                            "name": f"Ref {n}",
                            "email": f"r{n}@x.org",
                            "created_at": now,
                        }
                        for n in range(count)
                    ],
                )
                .scalars()
                .all()
            )
            connection.execute(
                insert(Cycle.__table__),
                [
                    {
                        "coachee_id": coachee_id,
                        "questionnaire_id": questionnaire_id,
                        "state": "open",
                        "closes_on": today() + timedelta(days=20),
                        "welcome_note": "",
                        "min_group_size": 3,
                        "boss_exempt": True,
                        "portal_key": new_link_key(),
                        "created_at": now,
                        "opened_at": now,
                    }
                    for coachee_id in ids
                ],
            )
        reference = time.perf_counter() - start
        db.engine.dispose()
    return {"service": service, "ref": reference}


def main() -> int:
    """Run the rounds, print medians and ratios, exit 1 on a missed goal."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nominations", type=int, default=10_000)
    parser.add_argument("--cycles", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-nominations-s", type=float, default=1.5)
    parser.add_argument("--max-cycles-s", type=float, default=10.0)
    args = parser.parse_args()
    if not (
        1 <= args.rounds <= 9 and 60 <= args.nominations <= 50_000 and 1 <= args.cycles <= 20_000
    ):
        parser.error("use 1-9 rounds, 60-50,000 nominations and 1-20,000 cycles")
    os.environ.setdefault("FEEDBACK_SECRET_KEY", "bench-secret-key-not-for-production-use")
    nominations, cycles = [], []
    for number in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-bulk-") as folder:
            nominations.append(nominations_round(Path(folder) / "n", args.nominations))
        with tempfile.TemporaryDirectory(prefix="bench-bulk-") as folder:
            cycles.append(cycles_round(Path(folder) / "c", args.cycles))
        n, c = nominations[-1], cycles[-1]
        print(
            f"round {number + 1}: nominations {n['service']:.2f} s (reference {n['ref']:.3f} s), "
            f"cycle import {c['service']:.2f} s (reference {c['ref']:.3f} s)"
        )
    missed = []
    for label, rows, size, goal in (
        (
            f"{args.nominations} nominations (parse + nominate + commit)",
            nominations,
            args.nominations,
            args.max_nominations_s,
        ),
        (f"{args.cycles} cycles (feedback cycle import)", cycles, args.cycles, args.max_cycles_s),
    ):
        service = statistics.median(r["service"] for r in rows)
        reference = statistics.median(r["ref"] for r in rows)
        ratio = statistics.median(r["service"] / r["ref"] for r in rows)
        print(
            f"{label}: {service:.2f} s ({size / service:,.0f}/s), plain INSERTs {reference:.3f} s, "
            f"ratio x{ratio:.1f} slower (goal: under {goal:g} s)"
        )
        if service >= goal:
            missed.append(f"{label} took {service:.2f} s >= {goal:g} s")
    print("goals met" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
