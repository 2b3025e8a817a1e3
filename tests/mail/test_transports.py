"""Transports against a real SMTP server (aiosmtpd on 127.0.0.1) and the file system."""

from __future__ import annotations

import logging
import time
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.smtp import SMTP as AiosmtpdSession

from feedback.mail.message import build_message
from feedback.mail.transports import (
    DeliveryStatus,
    FileTransport,
    MemoryTransport,
    SmtpTransport,
    message_envelope,
    transport_from_settings,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning"  # smtp_server_auth, on purpose
)

SENT, RETRY, FAILED = DeliveryStatus.SENT, DeliveryStatus.RETRY, DeliveryStatus.FAILED


def invite(to: str = "rater@example.org", **overrides):
    fields = {
        "sender": "noreply@example.org",
        "sender_name": "Mirror 360",
        "to": to,
        "subject": f"Feedback request for {to}",
        "text": f"Please give feedback, {to}.\n",
        "html": f"<p>Please give feedback, {to}.</p>\n",
    }
    fields.update(overrides)
    return build_message(**fields)


def transport_for(server, **kwargs) -> SmtpTransport:
    kwargs.setdefault("timeout", 5)
    return SmtpTransport(server.host, server.port, **kwargs)


def statuses(results):
    return [result.status for result in results]


# --------------------------------------------------------------------------- SMTP


def test_batch_goes_over_one_connection_in_order(smtp_server):
    recipients = [f"rater{i}@example.org" for i in range(5)]
    results = transport_for(smtp_server).send_batch([invite(r) for r in recipients])

    assert statuses(results) == [SENT] * 5
    assert all(result.code == 250 for result in results)
    assert smtp_server.connections == 1
    assert {m.connection for m in smtp_server.messages} == {1}
    assert [m.envelope_to for m in smtp_server.messages] == [(r,) for r in recipients]
    assert {m.envelope_from for m in smtp_server.messages} == {"noreply@example.org"}


def test_empty_batch_does_not_connect(smtp_server):
    assert transport_for(smtp_server).send_batch([]) == []
    assert smtp_server.connections == 0


def test_received_message_keeps_structure_and_unicode(smtp_server):
    sent = invite(
        "zoe@example.org",
        to_name="Zoë Ünal-Żak",
        subject="Dein 360°-Feedback für Zoë",
        text="Grüße!\n",
        html="<p>Grüße!</p>\n",
        reply_to="coach@example.org",
        reply_to_name="Coach Kim",
    )
    (result,) = transport_for(smtp_server).send_batch([sent])
    assert result.status is SENT

    (received,) = smtp_server.messages
    assert received.get_content_type() == "multipart/alternative"
    parts = list(received.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().splitlines() == ["Grüße!"]
    assert parts[1].get_content().splitlines() == ["<p>Grüße!</p>"]
    assert received["Subject"] == "Dein 360°-Feedback für Zoë"
    assert received["To"].addresses[0].display_name == "Zoë Ünal-Żak"
    assert received["Reply-To"].addresses[0].addr_spec == "coach@example.org"
    assert received["Message-ID"] == sent["Message-ID"]
    assert received["Date"]
    assert received.raw.isascii()  # nothing needed 8BITMIME or SMTPUTF8


def test_crlf_in_name_and_subject_adds_no_header(smtp_server):
    injected = "Eve\r\nBcc: victim@example.net\r\nX-Evil: 1"
    msg = invite(to_name=injected, subject=injected, sender_name=injected)
    (result,) = transport_for(smtp_server).send_batch([msg])
    assert result.status is SENT

    (received,) = smtp_server.messages
    keys = [key.lower() for key in received]
    assert "bcc" not in keys
    assert "x-evil" not in keys
    assert sorted(keys) == sorted(key.lower() for key in msg)
    assert received.envelope_to == ("rater@example.org",)


def test_451_then_250_sends_exactly_once(smtp_server):
    msg = invite()
    transport = transport_for(smtp_server)
    smtp_server.reply_next("451 4.3.0 Try again later")

    (first,) = transport.send_batch([msg])
    assert first.status is RETRY
    assert first.code == 451
    assert "451 4.3.0 Try again later" in first.detail
    assert smtp_server.messages == []

    (second,) = transport.send_batch([msg])
    assert second.status is SENT
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Message-ID"] == msg["Message-ID"]


def test_temporary_refusal_mid_batch_does_not_stop_the_batch(smtp_server):
    messages = [invite(f"r{i}@example.org") for i in range(3)]
    smtp_server.reply_next("451 4.3.0 Try again later")  # first DATA
    results = transport_for(smtp_server).send_batch(messages)

    assert statuses(results) == [RETRY, SENT, SENT]
    assert [m.envelope_to for m in smtp_server.messages] == [
        ("r1@example.org",),
        ("r2@example.org",),
    ]
    assert smtp_server.connections == 1


def test_550_on_rcpt_fails_with_the_reply(smtp_server):
    smtp_server.reject_recipient("ghost@example.org", "550 5.1.1 No such user here")
    messages = [invite("ghost@example.org"), invite("real@example.org")]
    results = transport_for(smtp_server).send_batch(messages)

    assert statuses(results) == [FAILED, SENT]
    assert results[0].code == 550
    assert "550 5.1.1 No such user here" in results[0].detail
    assert "RCPT" in results[0].detail
    assert [m.envelope_to for m in smtp_server.messages] == [("real@example.org",)]
    assert smtp_server.connections == 1


def test_some_recipients_refused_is_sent_and_names_the_refusal(smtp_server):
    smtp_server.reject_recipient("gone@example.org", "550 5.1.1 No such user here")
    msg = invite()
    msg["Bcc"] = "gone@example.org"
    (result,) = transport_for(smtp_server).send_batch([msg])

    assert result.status is SENT
    assert result.code == 250
    assert "550 5.1.1 No such user here" in result.detail
    (received,) = smtp_server.messages
    assert received.envelope_to == ("rater@example.org",)


@pytest.mark.parametrize(
    ("replies", "expected", "code"),
    [
        (("550 5.1.1 No such user", "450 4.2.1 Mailbox busy"), RETRY, 450),
        (("550 5.1.1 No such user", "553 5.1.3 Bad address"), FAILED, 550),
    ],
)
def test_all_recipients_refused_is_classified_by_the_refusals(smtp_server, replies, expected, code):
    smtp_server.reject_recipient("a@example.org", replies[0])
    smtp_server.reject_recipient("b@example.org", replies[1])
    msg = invite("a@example.org")
    msg["Cc"] = "b@example.org"
    results = transport_for(smtp_server).send_batch([msg, invite()])

    assert statuses(results) == [expected, SENT]  # the session goes on after the refusal
    assert results[0].code == code
    assert "RCPT" in results[0].detail
    assert [m.envelope_to for m in smtp_server.messages] == [("rater@example.org",)]
    assert smtp_server.connections == 1


@pytest.mark.parametrize(
    ("command", "reply", "expected"),
    [
        ("RCPT", "450 4.2.1 Mailbox busy", RETRY),
        ("MAIL", "451 4.7.1 Greylisted", RETRY),
        ("MAIL", "553 5.7.1 Sender not allowed", FAILED),
        ("DATA", "554 5.7.1 Message rejected as spam", FAILED),
        ("MAIL", "530 5.7.0 Authentication required", RETRY),  # our setup, not the rater
    ],
)
def test_reply_codes_are_classified(smtp_server, command, reply, expected):
    (result,) = transport_for(smtp_server).send_batch([invite()])
    assert result.status is SENT
    smtp_server.reply_next(reply, command)

    (result,) = transport_for(smtp_server).send_batch([invite()])
    assert result.status is expected
    assert reply in result.detail
    assert result.code == int(reply[:3])
    assert len(smtp_server.messages) == 1


def test_refused_data_command_is_reset_and_the_batch_goes_on(smtp_server, monkeypatch):
    # The scripted replies answer the content; this refuses the DATA command itself,
    # after which smtplib does not RSET on its own.
    answer_data = AiosmtpdSession.smtp_DATA
    data_commands = []

    async def refuse_the_first(session, arg):
        data_commands.append(arg)
        if len(data_commands) == 1:
            await session.push("451 4.3.2 Not now")
        else:
            await answer_data(session, arg)

    monkeypatch.setattr(AiosmtpdSession, "smtp_DATA", refuse_the_first)
    messages = [invite(f"r{i}@example.org") for i in range(3)]
    results = transport_for(smtp_server).send_batch(messages)

    assert statuses(results) == [RETRY, SENT, SENT]
    assert results[0].code == 451
    assert "DATA: 451 4.3.2 Not now" in results[0].detail
    assert [m.envelope_to for m in smtp_server.messages] == [
        ("r1@example.org",),
        ("r2@example.org",),
    ]
    assert smtp_server.connections == 1


def test_silent_server_times_out_as_retry(silent_smtp_server):
    transport = SmtpTransport(silent_smtp_server.host, silent_smtp_server.port, timeout=1)
    started = time.monotonic()
    results = transport.send_batch([invite(), invite("other@example.org")])
    elapsed = time.monotonic() - started

    assert statuses(results) == [RETRY, RETRY]
    assert "timeout" in results[0].detail
    assert 0.9 <= elapsed < 3.5
    assert silent_smtp_server.connections == 1  # no second attempt at a stalled server


def test_server_stalling_mid_batch_ends_the_batch_after_one_timeout(smtp_server):
    smtp_server.stall_next(5, "MAIL")
    transport = transport_for(smtp_server, timeout=1)
    started = time.monotonic()
    results = transport.send_batch([invite(), invite(), invite()])
    elapsed = time.monotonic() - started

    assert statuses(results) == [RETRY, RETRY, RETRY]
    assert "timeout" in results[0].detail
    assert 0.9 <= elapsed < 3.5
    assert smtp_server.connections == 1


def test_server_down_is_retry(refusing_port):
    started = time.monotonic()
    results = SmtpTransport("127.0.0.1", refusing_port, timeout=2).send_batch([invite(), invite()])
    assert statuses(results) == [RETRY, RETRY]
    assert "ConnectionRefusedError" in results[0].detail
    assert time.monotonic() - started < 2


def test_accepted_message_counts_as_sent_when_the_connection_drops_after(smtp_server):
    smtp_server.close_after_next_data()
    (result,) = transport_for(smtp_server).send_batch([invite()])
    assert result.status is SENT  # QUIT failed, but the server took the message
    assert len(smtp_server.messages) == 1


def test_dropped_connection_between_messages_reconnects(smtp_server):
    smtp_server.close_after_next_data()
    messages = [invite(f"r{i}@example.org") for i in range(3)]
    results = transport_for(smtp_server).send_batch(messages)

    assert statuses(results) == [SENT, SENT, SENT]
    assert [m.envelope_to[0] for m in smtp_server.messages] == [
        "r0@example.org",
        "r1@example.org",
        "r2@example.org",
    ]
    assert [m.connection for m in smtp_server.messages] == [1, 2, 2]


def test_drop_before_content_resends_that_message_on_a_new_connection(smtp_server):
    smtp_server.drop_next("MAIL")
    results = transport_for(smtp_server).send_batch([invite("a@example.org")])
    assert statuses(results) == [SENT]
    assert smtp_server.connections == 2
    assert len(smtp_server.messages) == 1


def test_421_closing_before_content_resends_on_a_new_connection(smtp_server):
    smtp_server.reply_next("421 4.7.0 Too many messages, closing", "MAIL")
    results = transport_for(smtp_server).send_batch([invite("a@example.org")])
    assert statuses(results) == [SENT]
    assert smtp_server.connections == 2


def test_421_closing_at_rcpt_resends_on_a_new_connection(smtp_server):
    smtp_server.reply_next("421 4.7.0 Closing", "RCPT")
    results = transport_for(smtp_server).send_batch([invite("a@example.org")])
    assert statuses(results) == [SENT]
    assert smtp_server.connections == 2
    assert len(smtp_server.messages) == 1


def test_421_after_content_is_retry_and_the_rest_goes_on_a_new_connection(smtp_server):
    smtp_server.reply_next("421 4.7.0 Closing", "DATA")  # the reply to the content
    messages = [invite(f"r{i}@example.org") for i in range(3)]
    results = transport_for(smtp_server).send_batch(messages)

    assert statuses(results) == [RETRY, SENT, SENT]
    assert results[0].code == 421
    assert "421 4.7.0 Closing" in results[0].detail
    assert [m.envelope_to[0] for m in smtp_server.messages] == ["r1@example.org", "r2@example.org"]
    assert smtp_server.connections == 2


def test_drop_after_content_is_retry_and_the_rest_goes_on(smtp_server):
    smtp_server.drop_next("DATA")  # content sent, no answer: the server may have it
    messages = [invite(f"r{i}@example.org") for i in range(3)]
    results = transport_for(smtp_server).send_batch(messages)

    assert statuses(results) == [RETRY, SENT, SENT]
    assert "connection lost" in results[0].detail
    assert [m.envelope_to[0] for m in smtp_server.messages] == ["r1@example.org", "r2@example.org"]
    assert smtp_server.connections == 2


def test_a_server_that_keeps_dropping_is_given_up_on(smtp_server):
    smtp_server.drop_next("MAIL")
    smtp_server.drop_next("MAIL")
    smtp_server.drop_next("MAIL")
    results = transport_for(smtp_server).send_batch([invite(), invite(), invite()])
    assert statuses(results) == [RETRY, RETRY, RETRY]
    assert smtp_server.connections == 2  # the first connection and one spare
    assert smtp_server.messages == []


def test_unusable_message_fails_alone(smtp_server):
    broken = invite()
    del broken["To"]
    results = transport_for(smtp_server).send_batch([broken, invite()])
    assert statuses(results) == [FAILED, SENT]
    assert "no recipients" in results[0].detail
    assert len(smtp_server.messages) == 1


def test_message_smtplib_cannot_send_fails_alone(smtp_server):
    broken = invite()
    broken["Resent-Date"] = "Mon, 1 Jun 2026 10:00:00 +0000"
    broken["Resent-Date"] = "Tue, 2 Jun 2026 10:00:00 +0000"  # two Resent- blocks
    results = transport_for(smtp_server).send_batch([broken, invite()])
    assert statuses(results) == [FAILED, SENT]
    assert "unusable" in results[0].detail
    assert len(smtp_server.messages) == 1
    assert smtp_server.connections == 1


def test_bcc_is_delivered_but_not_shown(smtp_server):
    msg = invite()
    msg["Bcc"] = "archive@example.org"
    (result,) = transport_for(smtp_server).send_batch([msg])
    assert result.status is SENT
    (received,) = smtp_server.messages
    assert received.envelope_to == ("rater@example.org", "archive@example.org")
    assert "Bcc" not in received
    assert "Bcc" in msg  # the caller's message is left alone


def test_bodies_never_reach_results_or_logs(smtp_server, caplog):
    secret = "token-7f3a9c-only-in-the-body"
    messages = [invite(text=f"link {secret}\n", html=f"<a>{secret}</a>") for _ in range(3)]
    smtp_server.reply_next("451 4.3.0 Later")
    smtp_server.reject_recipient("gone@example.org")
    messages.append(invite("gone@example.org", text=f"{secret}\n"))
    smtp_server.drop_next("DATA")
    with caplog.at_level(logging.DEBUG):
        results = transport_for(smtp_server).send_batch(messages)

    assert set(statuses(results)) == {RETRY, SENT, FAILED}
    assert not any(secret in result.detail for result in results)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("feedback")]
    assert ours  # the transport does log each outcome...
    assert not any(secret in line for line in ours)  # ...but never a body


def test_login(smtp_server_auth):
    server = smtp_server_auth
    good = transport_for(server, username=server.username, password=server.password)
    assert statuses(good.send_batch([invite(), invite()])) == [SENT, SENT]
    assert server.handler.logins == [server.username]

    wrong = transport_for(server, username=server.username, password="wrong")
    (result,) = wrong.send_batch([invite()])
    assert result.status is RETRY  # a wrong password must not bounce invites
    assert "535" in result.detail
    assert "wrong" not in result.detail
    assert "wrong" not in repr(wrong)
    assert len(server.messages) == 2


def test_starttls(smtp_server_starttls):
    server = smtp_server_starttls
    tls = transport_for(server, security="starttls", ssl_context=server.client_context())
    assert statuses(tls.send_batch([invite(), invite()])) == [SENT, SENT]
    assert server.connections == 1

    (plain,) = transport_for(server).send_batch([invite()])
    assert plain.status is RETRY  # 530 "Must issue a STARTTLS command first"
    assert len(server.messages) == 2


def test_starttls_required_but_not_offered_is_retry(smtp_server):
    (result,) = transport_for(smtp_server, security="starttls").send_batch([invite()])
    assert result.status is RETRY
    assert "STARTTLS" in result.detail
    assert smtp_server.messages == []


def test_implicit_tls(smtp_server_ssl):
    server = smtp_server_ssl
    transport = transport_for(server, security="ssl", ssl_context=server.client_context())
    assert statuses(transport.send_batch([invite()])) == [SENT]
    assert len(server.messages) == 1


def test_untrusted_certificate_is_retry(smtp_server_ssl):
    (result,) = transport_for(smtp_server_ssl, security="ssl").send_batch([invite()])
    assert result.status is RETRY
    assert "CERTIFICATE" in result.detail.upper()
    assert smtp_server_ssl.messages == []


# --------------------------------------------------------------------------- envelope


def test_envelope_prefers_sender_and_deduplicates():
    msg = invite("a@example.org")
    msg["Cc"] = "A@example.org, b@example.org"
    msg["Bcc"] = "b@example.org"
    msg["Sender"] = "bounces@example.org"
    assert message_envelope(msg) == ("bounces@example.org", ["a@example.org", "b@example.org"])


# --------------------------------------------------------------------------- files


def test_file_transport_writes_parseable_eml_in_time_order(tmp_path):
    directory = tmp_path / "instance" / "mail"
    transport = FileTransport(directory)
    recipients = [f"r{i}@example.org" for i in range(5)]
    results = transport.send_batch(
        [invite(r, subject=f"#{i} Zoë") for i, r in enumerate(recipients)]
    )
    results += transport.send_batch([invite("last@example.org", subject="#5 Zoë")])

    assert statuses(results) == [SENT] * 6
    files = sorted(directory.iterdir())
    assert all(f.suffix == ".eml" for f in files)
    assert len(files) == 6
    parsed = [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
    assert [m["Subject"] for m in parsed] == [f"#{i} Zoë" for i in range(6)]
    assert parsed[0]["To"].addresses[0].addr_spec == "r0@example.org"
    assert parsed[0].get_content_type() == "multipart/alternative"
    assert [f.name in r.detail for f, r in zip(files, results, strict=True)] == [True] * 6


def test_file_transport_reports_write_errors_as_retry(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    (result,) = FileTransport(blocker / "mail").send_batch([invite()])
    assert result.status is RETRY
    assert list(tmp_path.iterdir()) == [blocker]


def test_memory_transport_keeps_messages():
    transport = MemoryTransport()
    messages = [invite(), invite()]
    assert statuses(transport.send_batch(messages)) == [SENT, SENT]
    assert transport.outbox == messages


# --------------------------------------------------------------------------- settings


def test_settings_default_to_files_under_the_instance(tmp_path):
    transport = transport_from_settings({}, tmp_path)
    assert isinstance(transport, FileTransport)
    assert transport.directory == tmp_path / "mail"
    custom = transport_from_settings({"MAIL_FILE_DIR": str(tmp_path / "x")}, tmp_path)
    assert isinstance(custom, FileTransport)
    assert custom.directory == tmp_path / "x"


def test_settings_for_smtp_accept_strings(tmp_path):
    transport = transport_from_settings(
        {
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "mail.example.org",
            "SMTP_PORT": "587",
            "SMTP_USERNAME": "user",
            "SMTP_PASSWORD": "pw",
            "SMTP_STARTTLS": "true",
            "SMTP_SSL": "0",
            "SMTP_TIMEOUT": "2.5",
        },
        tmp_path,
    )
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.security) == (
        "mail.example.org",
        587,
        "starttls",
    )
    assert (transport.username, transport.password, transport.timeout) == ("user", "pw", 2.5)

    defaults = transport_from_settings({"MAIL_BACKEND": "smtp", "SMTP_SSL": True}, tmp_path)
    assert isinstance(defaults, SmtpTransport)
    assert (defaults.host, defaults.port, defaults.security) == ("localhost", 25, "ssl")
    assert (defaults.username, defaults.timeout) == (None, 10.0)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MAIL_BACKEND": "pigeon"}, "MAIL_BACKEND"),
        ({"MAIL_BACKEND": "smtp", "SMTP_PORT": "smtp"}, "SMTP_PORT"),
        ({"MAIL_BACKEND": "smtp", "SMTP_PORT": 70000}, "SMTP_PORT"),
        ({"MAIL_BACKEND": "smtp", "SMTP_PORT": True}, "SMTP_PORT"),
        ({"MAIL_BACKEND": "smtp", "SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
        ({"MAIL_BACKEND": "smtp", "SMTP_STARTTLS": "1", "SMTP_SSL": "1"}, "SMTP_SSL"),
        ({"MAIL_BACKEND": "smtp", "SMTP_TIMEOUT": "-1"}, "SMTP_TIMEOUT"),
    ],
)
def test_bad_settings_say_which_key(tmp_path, settings, message):
    with pytest.raises(ValueError, match=message):
        transport_from_settings(settings, tmp_path)
