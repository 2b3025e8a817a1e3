"""The ``feedback`` command line: exit code 2 and a message on bad input."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from feedback.__main__ import cli
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.mail.models import MessageState, OutboxMessage
from feedback.vocabulary import CycleState


@pytest.fixture
def run(app):
    def run(*args, **kwargs):
        return app.test_cli_runner().invoke(args=list(args), **kwargs)

    return run


def test_create_coach_then_sign_in(run, browser):
    result = run(
        "create-coach", "--email", "Ada@Example.com", "--name", "Ada", "--password", "long enough"
    )
    assert result.exit_code == 0, result.output
    response = browser.submit("/login", {"email": "ada@example.com", "password": "long enough"})
    assert response.status_code == 302


def test_create_coach_reads_the_password_from_the_environment(run):
    result = run(
        "create-coach",
        "--email",
        "b@example.com",
        "--name",
        "B",
        env={"FEEDBACK_COACH_PASSWORD": "from the environment"},
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", "short"], "8 to 256 characters"),
        (["--password", "long enough", "--name", " "], "name must not be empty"),
    ],
)
def test_create_coach_refuses_bad_input_with_exit_code_2(run, args, message):
    base = ["create-coach", "--email", "c@example.com", "--name", "C"]
    result = run(*base, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_create_coach_twice_is_exit_code_2(run):
    args = ["create-coach", "--email", "d@example.com", "--name", "D", "--password", "long enough"]
    assert run(*args).exit_code == 0
    result = run(*args)
    assert result.exit_code == 2
    assert "exists already" in result.output


def test_cycle_create_json_close_and_mail_send(run, coach, app, browser):
    result = run(
        "cycle",
        "create",
        "--coach",
        "coach@example.com",
        "--coachee-name",
        "Kim Park",
        "--coachee-email",
        "kim@example.com",
        "--closes",
        "2099-01-31",
        "--json",
    )
    assert result.exit_code == 2
    assert "within a year" in result.output
    result = run(
        "cycle",
        "create",
        "--coach",
        "coach@example.com",
        "--coachee-name",
        "Kim Park",
        "--coachee-email",
        "kim@example.com",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"cycle_id", "coachee_url", "dashboard_url"}
    assert data["dashboard_url"] == f"http://localhost/cycles/{data['cycle_id']}"
    assert browser.get(data["coachee_url"]).status_code == 200

    with app.app_context():
        queued = db.session.scalars(select(OutboxMessage)).all()
        assert [(m.kind, m.to_address, m.state) for m in queued] == [
            ("portal", "kim@example.com", MessageState.QUEUED)
        ]
    result = run("mail", "send")
    assert result.exit_code == 0
    assert "sent 1, to retry 0, failed 0" in result.output
    assert run("mail", "send").output.strip() == "sent 0, to retry 0, failed 0"

    result = run("cycle", "close", str(data["cycle_id"]))
    assert result.exit_code == 2  # nobody answered: below the default minimum raters
    assert "--below-minimum" in result.output
    with app.app_context():
        assert db.session.get(Cycle, data["cycle_id"]).state is CycleState.OPEN
    result = run("cycle", "close", str(data["cycle_id"]), "--below-minimum")
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.get(Cycle, data["cycle_id"]).state is CycleState.CLOSED
    again = run("cycle", "close", str(data["cycle_id"]))
    assert again.exit_code == 2
    assert "closed cycle cannot be closed" in again.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--coach", "nobody@example.com"], "no coach with email"),
        (["--coachee-email", "not-an-email"], "is not an email address"),
        (["--closes", "2020-01-01"], "must not be in the past"),
        (["--closes", "tomorrow"], "YYYY-MM-DD"),
    ],
)
def test_cycle_create_bad_input_is_exit_code_2(run, coach, extra, message):
    args = {
        "--coach": "coach@example.com",
        "--coachee-name": "Kim",
        "--coachee-email": "kim@example.com",
    }
    args.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    result = run("cycle", "create", *[part for pair in args.items() for part in pair])
    assert result.exit_code == 2
    assert message in result.output


def test_closing_an_unknown_cycle_is_exit_code_2(run):
    result = run("cycle", "close", "999")
    assert result.exit_code == 2
    assert "no cycle 999" in result.output


def test_demo_seeds_once_and_the_demo_coach_can_sign_in(empty_app):
    from support import Browser

    app = empty_app  # the demo applies the migrations itself
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "Sign in at http://localhost/login as maria.novak@example.com" in first.output
    second = runner.invoke(args=["demo", "--no-serve"])
    assert second.exit_code == 0
    assert "already there" in second.output

    demo = Browser(app.test_client())
    response = demo.submit(
        "/login", {"email": "maria.novak@example.com", "password": "mirror-demo-360"}
    )
    assert response.status_code == 302
    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.CLOSED))
    page = demo.get(f"/cycles/{cycle.id}").text
    # The demo's profile makes listening a blind spot and credit a hidden strength.
    assert (
        "Alex listens to others without interrupting."
        in page.split("Blind spots")[1].split("Hidden strengths")[0]
    )
    assert "Alex gives others credit" in page.split("Hidden strengths")[1].split("By competency")[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [("FEEDBACK_SMTP_PORT", "abc"), ("FEEDBACK_MIN_GROUP_SIZE", "1"), ("FEEDBACK_BASE_URL", "x")],
)
def test_a_bad_setting_is_exit_code_2_naming_it(tmp_path, monkeypatch, variable, value):
    monkeypatch.chdir(tmp_path)  # the default instance folder lands here
    env = {"FEEDBACK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", variable: value}
    result = CliRunner().invoke(cli, ["mail", "send"], env=env)
    assert result.exit_code == 2, result.output
    assert variable in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("not a url", "not a database URL"),
        ("mysql://mirror:secret-pw@db.example.com/mirror", "'mysql' is not a database"),
    ],
)
def test_a_bad_database_url_is_exit_code_2_without_repeating_it(tmp_path, monkeypatch, url, said):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check"], env={"FEEDBACK_DATABASE_URL": url})
    assert result.exit_code == 2, result.output
    assert "FEEDBACK_DATABASE_URL" in result.output
    assert said in result.output
    assert "secret-pw" not in result.output
    assert "Traceback" not in result.output
