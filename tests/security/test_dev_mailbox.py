"""The development mailbox lists every working link, so it is served only when the server
was started for development (issue 14, item 4).

Behind a reverse proxy on the same host every client is 127.0.0.1, so "only to this
machine" is no guard: by default (gunicorn, ``create_app()``) the page is not there.
"""

import logging

import click
import pytest

from feedback import demo


def test_not_served_by_default_even_to_this_machine(app, open_cycle, client):
    response = client.get("/dev/mail/", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 404
    assert open_cycle["portal"] not in response.text


def test_not_served_behind_a_proxy_on_this_machine(make_app, open_cycle):
    app = make_app(PROXY_FIX_HOPS=1)
    response = app.test_client().get(
        "/dev/mail/",
        headers={"X-Forwarded-For": "127.0.0.1"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 404


def test_one_message_is_not_served_by_default(app, open_cycle, client, mailbox):
    name = sorted(mailbox.folder.glob("*.eml"))[0].name
    assert client.get(f"/dev/mail/{name}").status_code == 404


def test_served_when_asked_for_and_said_so_at_start_up(make_app, caplog):
    with caplog.at_level(logging.WARNING):
        app = make_app(DEV_MAILBOX=True)
    assert "development mailbox" in caplog.text
    assert app.test_client().get("/dev/mail/").status_code == 200


def test_never_with_smtp_even_when_asked_for(make_app):
    app = make_app(DEV_MAILBOX=True, MAIL_BACKEND="smtp")
    assert app.test_client().get("/dev/mail/").status_code == 404


def test_feedback_demo_serves_it(app, monkeypatch, caplog):
    served = {}

    def fake_run_simple(host, port, application, **_options):
        served.update(host=host, app=application)

    monkeypatch.setattr(demo, "run_simple", fake_run_simple)
    monkeypatch.setattr(demo, "upgrade", lambda: None)
    monkeypatch.setattr(demo, "seed_demo", lambda: "seeded")
    with caplog.at_level(logging.WARNING), app.app_context():
        click.Context(demo.demo_command).invoke(demo.demo_command, no_serve=False, port=5999)
    assert served["host"] == "127.0.0.1"
    assert served["app"].test_client().get("/dev/mail/").status_code == 200
    assert "development mailbox" in caplog.text


@pytest.mark.parametrize("value", ["true", "1"])
def test_the_setting_is_read_from_the_environment(make_app, monkeypatch, value):
    monkeypatch.setenv("FEEDBACK_DEV_MAILBOX", value)
    assert make_app().config["DEV_MAILBOX"] is True
