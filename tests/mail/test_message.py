"""build_message: MIME structure, headers, and no header injection through names."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

import pytest

from feedback.mail.message import build_message, clean_header_text, normalize_address

INJECTION = "Ada\r\nBcc: victim@example.net\r\n\r\nbody"


def _content(part) -> str:
    """A text part's content with the wire's CRLF line ends turned back into LF."""
    return part.get_content().replace("\r\n", "\n")


def _roundtrip(msg):
    """Serialize as SMTP would and parse back, like a receiving client does."""
    return BytesParser(policy=policy.default).parsebytes(msg.as_bytes(policy=policy.SMTP))


def test_text_and_html_make_multipart_alternative_in_utf8():
    msg = _roundtrip(
        build_message(
            sender="coach@example.org",
            to="rater@example.org",
            subject="Ihr Feedback für Zoë",
            text="Grüße — bitte antworten\n",
            html="<p>Grüße — bitte antworten</p>\n",
        )
    )
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert _content(parts[0]) == "Grüße — bitte antworten\n"
    assert _content(parts[1]) == "<p>Grüße — bitte antworten</p>\n"
    assert msg["Subject"] == "Ihr Feedback für Zoë"


def test_text_only_is_a_single_part():
    msg = build_message(sender="a@example.org", to="b@example.org", subject="s", text="hello\n")
    assert msg.get_content_type() == "text/plain"
    assert not msg.is_multipart()


def test_non_ascii_body_never_travels_as_raw_8bit():
    raw = build_message(
        sender="a@example.org", to="b@example.org", subject="s", text="Zoë", html="<b>Zoë</b>"
    ).as_bytes()
    assert raw.isascii()


def test_standard_headers():
    msg = _roundtrip(
        build_message(
            sender="noreply@example.org",
            sender_name="Mirror 360",
            to="rater@example.org",
            to_name="Zoë Ünal",
            subject="Feedback",
            text="t",
            reply_to="coach@example.org",
            reply_to_name="Coach Kim",
            message_id_domain="mail.example.org",
        )
    )
    assert msg["From"].addresses[0].display_name == "Mirror 360"
    assert msg["From"].addresses[0].addr_spec == "noreply@example.org"
    assert msg["To"].addresses[0].display_name == "Zoë Ünal"
    assert msg["To"].addresses[0].addr_spec == "rater@example.org"
    assert msg["Reply-To"].addresses[0].addr_spec == "coach@example.org"
    assert msg["Reply-To"].addresses[0].display_name == "Coach Kim"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"].startswith("<")
    assert msg["Message-ID"].endswith("@mail.example.org>")
    sent_at = parsedate_to_datetime(msg["Date"])
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 60


def test_reply_to_is_absent_unless_given():
    msg = build_message(sender="a@example.org", to="b@example.org", subject="s", text="t")
    assert "Reply-To" not in msg


def test_message_ids_are_unique_unless_passed():
    kwargs = {"sender": "a@example.org", "to": "b@example.org", "subject": "s", "text": "t"}
    assert build_message(**kwargs)["Message-ID"] != build_message(**kwargs)["Message-ID"]
    fixed = "<outbox-17@example.org>"
    assert build_message(**kwargs, message_id=fixed)["Message-ID"] == fixed


def test_date_can_be_given_but_must_be_aware():
    kwargs = {"sender": "a@example.org", "to": "b@example.org", "subject": "s", "text": "t"}
    when = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert parsedate_to_datetime(build_message(**kwargs, date=when)["Date"]) == when
    with pytest.raises(ValueError, match="timezone"):
        build_message(**kwargs, date=datetime(2030, 5, 6))  # noqa: DTZ001 - the point


@pytest.mark.parametrize("field", ["subject", "sender_name", "to_name", "reply_to_name"])
def test_crlf_in_a_name_or_subject_never_makes_a_header(field):
    kwargs = {
        "sender": "a@example.org",
        "to": "b@example.org",
        "subject": "Feedback",
        "text": "t",
        "reply_to": "c@example.org",
        field: INJECTION,
    }
    raw = build_message(**kwargs).as_bytes(policy=policy.SMTP)
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    keys = [key.lower() for key in parsed]
    assert "bcc" not in keys
    assert len(keys) == len(set(keys))
    assert not any(line.lower().startswith(b"bcc") for line in raw.split(b"\r\n"))
    assert parsed.get_content_type() == "text/plain"
    assert _content(parsed) == "t\n"


def test_clean_header_text_collapses_controls_and_separators():
    assert clean_header_text(" a\r\n\tb\x00c\u2028d\x85e  ") == "a b c d e"
    assert clean_header_text("Zoë Ünal") == "Zoë Ünal"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "no-at-sign",
        "@example.org",
        "user@",
        "two words@example.org",
        "user@example.org\r\nBcc: x@example.net",
        "user@example.org\n",
        "a@b@example.org",
        "Ada <ada@example.org>",
        "zoë@example.org",
    ],
)
def test_bad_addresses_are_refused(bad):
    with pytest.raises(ValueError):
        normalize_address(bad)
    with pytest.raises(ValueError):
        build_message(sender="a@example.org", to=bad, subject="s", text="t")
    with pytest.raises(ValueError):
        build_message(sender=bad, to="a@example.org", subject="s", text="t")
    if bad:  # an empty Reply-To means "none"
        with pytest.raises(ValueError):
            build_message(
                sender="a@example.org", to="b@example.org", subject="s", text="t", reply_to=bad
            )


def test_non_ascii_domain_is_idna_encoded():
    assert normalize_address("rater@bücher.example") == "rater@xn--bcher-kva.example"


def test_extra_headers_are_cleaned_and_cannot_override_core_ones():
    kwargs = {"sender": "a@example.org", "to": "b@example.org", "subject": "s", "text": "t"}
    msg = build_message(**kwargs, extra_headers={"X-Outbox-Id": "42\r\nBcc: x@example.net"})
    assert msg["X-Outbox-Id"] == "42 Bcc: x@example.net"
    with pytest.raises(ValueError):
        build_message(**kwargs, extra_headers={"Bcc": "x@example.net"})
    with pytest.raises(ValueError):
        build_message(**kwargs, extra_headers={"X-Bad\r\nBcc": "x"})
