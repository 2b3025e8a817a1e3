"""A name typed by a coachee or coach never becomes a second recipient (issue 14, item 1).

Python's email folding drops the quotes of a long display name when it wraps the
``To:`` line, so ``xxxx… (a), evil@attacker.example,`` used to come out as three
addresses. Each test reads the header as a mail client does: the raw bytes, parsed
with ``email.utils.getaddresses``.
"""

import email
import email.policy
import re
from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses

from hypothesis import given, settings
from hypothesis import strategies as st
from security_support import invite_raters

from feedback.mail.message import MAX_DISPLAY_NAME, build_message, clean_header_text
from feedback.timeutil import today

ATTACK_NAME = "x" * 70 + " (a), evil@attacker.example,"
ATTACK_LINE = "victim@example.org, peer, " + "x" * 70 + " (a), evil@attacker.example,"
MARKUP_NAME = 'Zoë "<b>Doe</b>", <evil@attacker.example>; Bcc: spy@attacker.example'


def _addresses_as_a_client_reads_them(raw: bytes, header: str = "To") -> list[tuple[str, str]]:
    """``getaddresses`` on the raw, folded header lines (no decoding, no refolding)."""
    plain = email.message_from_bytes(raw)  # compat32: the header text as it travelled
    return getaddresses(plain.get_all(header, []))


def _decoded(raw: bytes, header: str = "To"):
    """The addresses as Python's own parser reads them (which keeps the whitespace
    between encoded words that RFC 2047 decoders drop)."""
    return email.message_from_bytes(raw, policy=email.policy.default)[header].addresses


def _display_name(raw: bytes, header: str = "To") -> str:
    """The display name as an RFC 2047 decoder shows it."""
    plain = email.message_from_bytes(raw)
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", plain[header])
    decoded = str(make_header(decode_header(unfolded)))
    return decoded.rpartition(" <")[0]


def _squeezed(text: str) -> str:
    return "".join(text.split())


def test_the_reported_name_gives_one_recipient():
    message = build_message(
        sender="no-reply@mirror360.local",
        to="victim@example.org",
        to_name=ATTACK_NAME.rstrip(","),
        subject="Casey asks for your feedback",
        text="Your link: http://localhost/r/abc",
    )
    raw = message.as_bytes()
    assert [address for _name, address in _addresses_as_a_client_reads_them(raw)] == [
        "victim@example.org"
    ]
    (decoded,) = _decoded(raw)
    assert decoded.addr_spec == "victim@example.org"
    assert _squeezed(decoded.display_name) == _squeezed(ATTACK_NAME.rstrip(","))
    assert _display_name(raw) == ATTACK_NAME.rstrip(",")
    assert b"evil@attacker.example" not in raw.split(b"\n\n", 1)[0]


def test_a_pasted_rater_line_cannot_add_a_recipient(open_cycle, browser, mailbox):
    invite_raters(browser, mailbox, open_cycle["portal"], [ATTACK_LINE])
    (message,) = [m for m in mailbox.messages() if "victim@example.org" in str(m["To"])]
    raw = message.as_bytes()
    assert [a for _n, a in _addresses_as_a_client_reads_them(raw)] == ["victim@example.org"]
    assert [a.addr_spec for a in _decoded(raw)] == ["victim@example.org"]


def test_a_coachee_name_with_markup_cannot_add_a_recipient(coach_browser, mailbox):
    response = coach_browser.submit(
        "/coachees", {"name": MARKUP_NAME, "email": "zoe@example.com"}, page="/"
    )
    assert response.status_code == 302, response.text
    response = coach_browser.submit(
        response.headers["Location"], {"closes_on": (today() + timedelta(days=14)).isoformat()}
    )
    assert response.status_code == 302, response.text
    (message,) = mailbox.to("zoe@example.com")
    raw = message.as_bytes()
    assert [a for _n, a in _addresses_as_a_client_reads_them(raw)] == ["zoe@example.com"]
    (decoded,) = _decoded(raw)
    assert _squeezed(decoded.display_name) == _squeezed(MARKUP_NAME)
    assert _display_name(raw) == MARKUP_NAME
    assert "Bcc" not in message.keys()  # noqa: SIM118 (header names, not a dict)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120), st.sampled_from(["To", "Reply-To"]))
def test_no_name_parses_as_more_than_one_address(name, header):
    message = build_message(
        sender="no-reply@mirror360.local",
        to="victim@example.org",
        to_name=name,
        reply_to="coach@example.com",
        reply_to_name=name,
        subject="s",
        text="t",
    )
    raw = message.as_bytes()
    expected = "victim@example.org" if header == "To" else "coach@example.com"
    assert [a for _n, a in _addresses_as_a_client_reads_them(raw, header)] == [expected]
    assert [a.addr_spec for a in _decoded(raw, header)] == [expected]
    assert all(len(line) <= 998 for line in raw.splitlines())
    shown = clean_header_text(name)[:MAX_DISPLAY_NAME].strip()
    if shown:
        assert _display_name(raw, header) == shown
