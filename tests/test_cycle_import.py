"""``feedback cycle import FILE.csv``: one cycle per line, all or nothing, bad lines by
number and exit code 2."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedback.coaching.models import Coachee, Cycle
from feedback.extensions import db
from feedback.mail.models import OutboxMessage
from feedback.timeutil import today
from feedback.vocabulary import CycleState


@pytest.fixture
def run_import(app, tmp_path):
    """Write ``text`` to a CSV file and run the import command on it."""

    def run(text: str):
        path = tmp_path / "cycles.csv"
        path.write_text(text, encoding="utf-8")
        return app.test_cli_runner().invoke(args=["cycle", "import", str(path)])

    return run


def counts(app) -> tuple[int, int, int]:
    """Coachees, cycles and outbox messages in the database."""
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Coachee, Cycle, OutboxMessage)
        )


def test_imports_one_open_cycle_per_line_and_queues_portal_emails(app, coach, run_import):
    closes = (today() + timedelta(days=10)).isoformat()
    result = run_import(
        "coach_email,coachee_name,coachee_email,closes\n"
        f"Coach@Example.com,Ann Able,ann@example.com,{closes}\n"
        "\n"
        "coach@example.com,  Ben   Baker ,BEN@example.com,\n"
    )
    assert result.exit_code == 0, result.output
    assert "Imported 2 cycles" in result.output
    with app.app_context():
        cycles = db.session.scalars(select(Cycle).order_by(Cycle.id)).all()
        assert [c.state for c in cycles] == [CycleState.OPEN, CycleState.OPEN]
        assert [c.coachee.name for c in cycles] == ["Ann Able", "Ben Baker"]
        assert cycles[0].closes_on.isoformat() == closes
        assert cycles[1].closes_on == today() + timedelta(days=21)
        assert cycles[1].coachee.email == "ben@example.com"
        assert all(c.coachee.coach_id == coach for c in cycles)
        sent_to = db.session.scalars(select(OutboxMessage.to_address)).all()
        assert sorted(sent_to) == ["ann@example.com", "ben@example.com"]


def test_a_known_coachee_is_reused(app, coach, run_import):
    line = "coach@example.com,Ann Able,ann@example.com\n"
    assert run_import("coach_email,coachee_name,coachee_email\n" + line).exit_code == 0
    result = run_import(
        "coachee_email,coach_email,coachee_name\nann@example.com,coach@example.com,Ann"
    )
    assert result.exit_code == 0, result.output
    coachees, cycles, _ = counts(app)
    assert (coachees, cycles) == (1, 2)


def test_bad_lines_are_reported_by_number_and_nothing_is_written(app, coach, run_import):
    too_late = (today() + timedelta(days=400)).isoformat()
    result = run_import(
        "coach_email,coachee_name,coachee_email,closes\n"
        "coach@example.com,Ann Able,ann@example.com,\n"  # line 2: fine
        "nobody@example.com,Ben Baker,ben@example.com,\n"  # line 3
        "coach@example.com,,cid@example.com,\n"  # line 4
        "coach@example.com,Dee Dale,not-an-address,\n"  # line 5
        "coach@example.com,Eve Ent,eve@example.com,31/12/2030\n"  # line 6
        f"coach@example.com,Fay Fox,fay@example.com,{too_late}\n"  # line 7
        "coach@example.com,Ann Again,ANN@example.com,\n"  # line 8
        "coach@example.com,Gil Gray,gil@example.com,,extra\n"  # line 9
    )
    assert result.exit_code == 2
    output = result.output
    assert "line 2:" not in output
    assert "line 3: no coach with email “nobody@example.com”" in output
    assert "line 4: the coachee name is empty" in output
    assert "line 5: “not-an-address” is not an email address" in output
    assert "line 6: “31/12/2030” is not a date" in output
    assert "line 7: the deadline" in output
    assert "line 8: ann@example.com is already listed for this coach on line 2" in output
    assert "line 9: 5 fields, the header has 4" in output
    assert "7 bad line(s); nothing was imported" in output
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("coach_email,coachee_name\n", "missing coachee_email"),
        ("coach_email,coachee_name,coachee_email,team\n", "unknown team"),
        ("coach_email,coachee_name,coachee_email\n\n", "no cycles to import"),
    ],
)
def test_a_bad_file_is_exit_code_2(app, coach, run_import, text, message):
    result = run_import(text)
    assert result.exit_code == 2
    assert message in result.output
    assert counts(app) == (0, 0, 0)


def test_a_missing_or_binary_file_is_exit_code_2(app, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["cycle", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
    assert "cannot read" in missing.output
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00coach")
    result = runner.invoke(args=["cycle", "import", str(binary)])
    assert result.exit_code == 2
    assert "not UTF-8" in result.output


def test_the_command_line_speaks_english_whatever_the_locale(app, coach, run_import, monkeypatch):
    """The rule for every command (README "Languages"): its output is for whoever runs the
    service and for scripts, so it stays English under a German locale, the messages it
    shares with the pages (an address that is not one) included."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.setenv(name, "de_DE.UTF-8")
    result = run_import(
        "coach_email,coachee_name,coachee_email\ncoach@example.com,Ann Able,not-an-address\n"
    )
    assert result.exit_code == 2
    assert "line 2: “not-an-address” is not an email address" in result.output
    assert "nothing was imported" in result.output
    assert "keine" not in result.output.lower()
