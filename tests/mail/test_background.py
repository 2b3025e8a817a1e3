"""The web process's background round: when it runs, that it delivers mail queued outside
any request within seconds, and that a failing round does not stop it."""

import time

import pytest
from sqlalchemy import select

from feedback.extensions import db
from feedback.mail import background
from feedback.mail.models import MessageState, OutboxMessage


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, False),  # the test settings: TESTING is on
        ({"TESTING": False}, True),  # file backend, as in development and the demo
        ({"TESTING": False, "MAIL_BACKEND": "smtp"}, False),  # production runs the worker
        ({"TESTING": False, "MAIL_SEND_AFTER_REQUEST": False}, False),
        ({"MAIL_BACKGROUND": True, "MAIL_BACKEND": "smtp"}, True),
        ({"MAIL_BACKGROUND": "false", "TESTING": False}, False),
        ({"MAIL_BACKGROUND": "on"}, True),
    ],
)
def test_when_the_background_round_runs(make_app, settings, expected):
    assert background.enabled(make_app(**settings)) is expected


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MAIL_BACKGROUND": "sometimes"}, "FEEDBACK_MAIL_BACKGROUND"),
        ({"MAIL_BACKGROUND": True, "MAIL_BACKGROUND_INTERVAL": "soon"}, "INTERVAL"),
        ({"MAIL_BACKGROUND": True, "MAIL_BACKGROUND_INTERVAL": 0}, "INTERVAL"),
    ],
)
def test_bad_background_settings_stop_the_app_at_start_up(make_app, settings, message):
    with pytest.raises(ValueError, match=message):
        make_app(**settings)


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_mail_queued_by_a_command_leaves_within_seconds(fresh_app, tmp_path):
    app = fresh_app(TESTING=False, MAIL_BACKGROUND_INTERVAL=0.2)
    client = app.test_client()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-coach", "--email", "c@example.com", "--name", "C", "--password", "x" * 12]
    )
    assert result.exit_code == 0, result.output
    assert "mail_background" not in app.extensions  # commands never start the thread
    result = runner.invoke(
        args=[
            "cycle",
            "create",
            "--coach",
            "c@example.com",
            "--coachee-name",
            "Kim Park",
            "--coachee-email",
            "kim@example.com",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "mail_background" not in app.extensions

    assert client.get("/healthz").status_code == 200  # the first request starts it
    sender = app.extensions["mail_background"]
    assert sender.alive

    def sent() -> bool:
        with app.app_context():
            states = db.session.scalars(select(OutboxMessage.state)).all()
            db.session.remove()
        return states == [MessageState.SENT]

    assert _wait(sent, timeout=15), "the portal email did not leave"
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
    client.get("/healthz")
    assert app.extensions["mail_background"] is sender  # one thread per app and process

    background.stop(app, timeout=15)
    assert not sender.thread.is_alive()
    client.get("/healthz")
    assert not app.extensions["mail_background"].thread.is_alive()  # stays stopped


def test_a_failing_round_does_not_stop_the_thread(fresh_app, monkeypatch):
    from feedback.cycles import jobs as worker

    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(worker, "run_round", broken)
    app = fresh_app(TESTING=False, MAIL_BACKGROUND_INTERVAL=0.1)
    sender = background.ensure_started(app)
    assert _wait(lambda: len(calls) >= 3, timeout=15)
    assert sender.alive
    background.stop(app, timeout=15)
    assert not sender.thread.is_alive()
