"""Well-formed outgoing messages: headers that cannot be injected, text and HTML parts.

Everything user-supplied that ends up in a header (display names, the subject) is
cleaned here, so callers can pass a coach's or rater's name as typed.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address, AddressHeader, HeaderRegistry, UniqueAddressHeader
from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache

__all__ = ["build_message", "clean_header_text", "normalize_address"]

_WHITESPACE_RUN = re.compile(r"\s+")
# RFC 5322 field names: printable ASCII except the colon.
_HEADER_NAME = re.compile(r"[!-9;-~]+")
# A Message-ID domain: letters, digits, dots and hyphens, or a bracketed literal.
_MSGID_DOMAIN = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")
# Lines longer than this cannot travel as 7bit (RFC 5322 limit without CRLF).
_MAX_7BIT_LINE = 998


# A display name written as it is: words of letters, digits, apostrophes and hyphens.
# Anything else (commas, quotes, brackets, parentheses, "=?", non-ASCII) is encoded.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*(?: [A-Za-z0-9'-]+)*")
# Bytes of UTF-8 per encoded word: 45 bytes are 60 base64 characters, so a word
# (=?utf-8?b?...?=) is at most 72 characters, within RFC 2047's 75.
_ENCODED_WORD_BYTES = 45
# Where a header line is folded when it can be (RFC 5322's recommended limit).
_FOLD_AT = 78
#: The longest display name kept; longer ones are cut (names are at most 120 characters
#: where they are stored).
MAX_DISPLAY_NAME = 200


def _encoded_words(name: str) -> list[str]:
    """``name`` as RFC 2047 encoded words (UTF-8, base64). Words break after a space of
    the name where they can (a space ends the word before the break, since decoders drop
    the whitespace between encoded words), and never inside a character."""
    chunks: list[bytes] = [b""]
    for piece in re.findall(r"\S+\s*|\s+", name):
        data = piece.encode("utf-8")
        if len(chunks[-1]) + len(data) <= _ENCODED_WORD_BYTES:
            chunks[-1] += data
            continue
        if chunks[-1]:
            chunks.append(b"")
        for char in piece:
            encoded = char.encode("utf-8")
            if len(chunks[-1]) + len(encoded) > _ENCODED_WORD_BYTES:
                chunks.append(b"")
            chunks[-1] += encoded
    return [f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=" for chunk in chunks if chunk]


def phrase_tokens(display_name: str) -> list[str]:
    """The display name as tokens of a header phrase that no mail client can read as more
    than a name: plain words when it is only letters, digits, apostrophes and hyphens,
    else RFC 2047 encoded words, which carry commas, quotes, brackets and the like
    inside base64. Tokens contain no whitespace, so folding between them is safe."""
    if _PLAIN_NAME.fullmatch(display_name):
        return display_name.split(" ")
    return _encoded_words(display_name)


def format_address_header(name: str, addresses, linesep: str) -> str:
    """The header line ``name: addresses`` folded by this module, never by the email
    package: each display name becomes `phrase_tokens`, and lines break only between
    tokens, so a fold can never turn a name into addresses (Python's own folding drops
    the quotes of a long quoted name)."""
    tokens: list[str] = []
    for index, address in enumerate(addresses):
        display_name = getattr(address, "display_name", "")
        spec = address.addr_spec
        words = phrase_tokens(display_name) if display_name else []
        last = f"<{spec}>" if words else spec
        if index < len(addresses) - 1:
            last += ","
        tokens += [*words, last]
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > _FOLD_AT and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + token
    return linesep.join(lines) + linesep


class _SafeAddressFolding:
    """Mixin for address headers: folded by :func:`format_address_header`."""

    def fold(self, *, policy) -> str:
        """The header as it is written out, from its parsed addresses."""
        if any(not hasattr(item, "addr_spec") for item in self.addresses):
            return super().fold(policy=policy)  # pragma: no cover (groups are never built)
        return format_address_header(self.name, self.addresses, policy.linesep)


class _SafeAddressHeader(_SafeAddressFolding, AddressHeader):
    """To, Cc, Bcc, Reply-To: folded safely."""


class _SafeUniqueAddressHeader(_SafeAddressFolding, UniqueAddressHeader):
    """From, Sender: folded safely."""


class _CachingHeaderRegistry(HeaderRegistry):
    """The standard header registry, but each header's class is made once, and address
    headers are folded by :func:`format_address_header`.

    `HeaderRegistry.__getitem__` builds a new class with `type()` on every header set
    or parsed; at a few dozen headers per message that was the largest single cost of
    building one. The class depends only on the header's name, so caching is exact.
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}
        for name, cls in list(self.registry.items()):
            if cls is AddressHeader:
                self.map_to_type(name, _SafeAddressHeader)
            elif cls is UniqueAddressHeader:
                self.map_to_type(name, _SafeUniqueAddressHeader)

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


#: `email.policy.default` with the caching registry: the same headers, built faster.
POLICY = policy.default.clone(header_factory=_CachingHeaderRegistry())


def clean_header_text(value: str) -> str:
    """Return `value` safe to put in a header: one line, no control characters.

    CR, LF, tabs and every other control or line/paragraph-separator character
    become a space, runs of whitespace collapse to one space, and the ends are
    stripped, so a value can never start a new header line.
    """
    chars = [" " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch for ch in str(value)]
    return _WHITESPACE_RUN.sub(" ", "".join(chars)).strip()


def normalize_address(address: str) -> str:
    """Validate a bare address (`local@domain`) and return it in its sending form.

    A non-ASCII domain is converted to its IDNA (xn--) form; a non-ASCII local part
    is refused because it would need SMTPUTF8 end to end. Raises ValueError for
    anything that is not exactly one address, including any CR, LF or whitespace.
    """
    if not isinstance(address, str):
        raise ValueError(f"address must be a string, not {type(address).__name__}")
    return _normalized(address)


@lru_cache(maxsize=4096)
def _normalized(address: str) -> str:
    """`normalize_address` of a string, remembered: a batch's sender and reply address
    are the same on every message, and each address is checked again when sent."""
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in address):
        raise ValueError(f"address contains whitespace or control characters: {address!r}")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not an email address: {address!r}")
    if not local.isascii():
        raise ValueError(f"non-ASCII local part is not supported: {address!r}")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as error:
            raise ValueError(f"invalid domain in address: {address!r}") from error
    addr_spec = f"{local}@{domain}"
    try:
        parsed = Address(addr_spec=addr_spec)
    except Exception as error:  # the header parser raises several exception types
        raise ValueError(f"not an email address: {address!r}") from error
    if not parsed.username or not parsed.domain:
        raise ValueError(f"not an email address: {address!r}")
    return parsed.addr_spec


def _address(addr_spec: str, display_name: str | None) -> Address:
    name = clean_header_text(display_name)[:MAX_DISPLAY_NAME].strip() if display_name else ""
    return Address(display_name=name, addr_spec=normalize_address(addr_spec))


@lru_cache(maxsize=1024)
def _address_header(name: str, addr_spec: str, display_name: str | None):
    """The header ``name`` naming one address, built once for each address and name: a
    batch's From (and often its Reply-To) is the same on every message. Safe to share:
    a header object is an immutable string, and address headers are folded from their
    addresses (:func:`format_address_header`), never by changing the object."""
    return POLICY.header_factory(name, _address(addr_spec, display_name))


def _body_transfer_encoding(body: str) -> str:
    """7bit for short-lined ASCII, quoted-printable otherwise (never raw 8bit)."""
    if body.isascii() and all(len(line) <= _MAX_7BIT_LINE for line in body.splitlines()):
        return "7bit"
    return "quoted-printable"


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    reply_to: str | None = None,
    sender_name: str | None = None,
    to_name: str | None = None,
    reply_to_name: str | None = None,
    message_id_domain: str = "mirror360.local",
    message_id: str | None = None,
    date: datetime | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Build one automated message to one recipient, ready for any transport.

    The result is text/plain, or multipart/alternative (text first, then HTML) when
    `html` is given; both parts are UTF-8. Headers: From, To, Subject, Date (UTC,
    or the aware `date` given), Message-ID (a fresh one on `message_id_domain`
    unless `message_id` is passed, e.g. to keep it stable across retries),
    Reply-To when `reply_to` is set, and `Auto-Submitted: auto-generated` so
    auto-responders stay quiet. Names, the subject and `extra_headers` values are
    passed through `clean_header_text`; addresses through `normalize_address`,
    which raises ValueError on anything malformed.
    """
    if not _MSGID_DOMAIN.fullmatch(message_id_domain):
        raise ValueError(f"invalid Message-ID domain: {message_id_domain!r}")
    if date is not None and date.tzinfo is None:
        raise ValueError("date must be timezone-aware")

    msg = EmailMessage(policy=POLICY)
    msg["From"] = _address_header("From", sender, sender_name)
    msg["To"] = _address(to, to_name)
    if reply_to:
        msg["Reply-To"] = _address_header("Reply-To", reply_to, reply_to_name)
    msg["Subject"] = clean_header_text(subject)
    msg["Date"] = date or datetime.now(UTC)  # a datetime: formatted, not parsed back
    if message_id is None:
        message_id = make_msgid(domain=message_id_domain)
    else:
        message_id = clean_header_text(message_id)
        if not (message_id.startswith("<") and message_id.endswith(">") and "@" in message_id):
            raise ValueError(f"invalid Message-ID: {message_id!r}")
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (extra_headers or {}).items():
        if not _HEADER_NAME.fullmatch(name) or name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"invalid or reserved header name: {name!r}")
        msg[name] = clean_header_text(value)

    msg.set_content(text, subtype="plain", charset="utf-8", cte=_body_transfer_encoding(text))
    if html is not None:
        msg.add_alternative(
            html, subtype="html", charset="utf-8", cte=_body_transfer_encoding(html)
        )
        for part in msg.iter_parts():
            del part["MIME-Version"]  # belongs on the top level only
    return msg


_RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "sender",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "auto-submitted",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
