"""Where a webhook may go: https to a host on the public internet, or plain http to
this machine (for development). Never to an address inside the network the server
runs in (loopback, private, link-local such as a cloud's metadata service at
169.254.169.254, unique-local, multicast, reserved, unspecified), however the address
is written or wrapped (an IPv4 address inside IPv6, a name that resolves to one).

A URL is checked when a coach registers it and again at every delivery, since what a
name resolves to can change; the delivery then connects to the very address that was
checked (:class:`Target`), so a name cannot resolve to a public address for the check
and to an internal one for the connection.

Names are resolved through :data:`resolve`, a module attribute that tests replace so
that no test looks a name up on the internet.
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Resolves a host name (and port) to its addresses; raises OSError when it cannot.
Resolver = Callable[[str, int], list[IPAddress]]

#: Networks that the standard library still calls global but that no webhook
#: receiver lives in: IETF protocol assignments, and NAT64's IPv4 inside IPv6 (whose
#: embedded address is checked on its own).
_NOT_PUBLIC = [ipaddress.ip_network("192.0.0.0/24")]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """A URL a webhook may not go to; the message says why, in the coach's words."""


def system_resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses the system's resolver gives ``host``; OSError when it gives none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:  # a name IDNA cannot encode
        raise OSError(str(exc)) from exc
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise OSError(f"no address for {host}")
    return found


#: The resolver in use (tests put one of their own here).
resolve: Resolver = system_resolve


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, 6to4, Teredo's client,
    NAT64), if any."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is on the public internet: global unicast, and not
    multicast, reserved or site-local, nor wrapping an address that is not."""
    if address.version == 6 and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)  # the IPv4 address it stands for
    inner = embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    if address.version == 6 and address.is_site_local:
        return False
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not any(address in network for network in _NOT_PUBLIC)
    )


def _is_loopback(address: IPAddress) -> bool:
    inner = embedded_ipv4(address)
    return address.is_loopback or (inner is not None and inner.is_loopback)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``, ``port``) and what to ask for."""

    scheme: str
    host: str
    port: int
    address: IPAddress
    #: The path and query, as sent in the request line.
    path: str


def _ABSOLUTE() -> str:
    return _("give an absolute https URL, such as https://example.com/hook")


def _parts(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and request path of ``url``; UnsafeURL when it is not an
    absolute http(s) URL without credentials."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeURL(_ABSOLUTE()) from None
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("http", "https"):
        raise UnsafeURL(_ABSOLUTE())
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL(_("give the URL without a user name or password"))
    if parts.scheme == "http" and host != "localhost":
        try:
            literal_loopback = _is_loopback(ipaddress.ip_address(host))
        except ValueError:
            literal_loopback = False
        if not literal_loopback:
            raise UnsafeURL(_("use https; plain http only to this machine (localhost)"))
    default = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port or default, path


def _addresses(host: str, port: int) -> list[IPAddress]:
    """The host's own address when it is one, else what :data:`resolve` gives it."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        addresses = []
    if not addresses:
        raise UnsafeURL(_("the host %(host)s could not be found", host=host))
    return addresses


def check(url: str) -> Target:
    """Where ``url`` may be delivered, resolved now: for https every address of its
    host must be public, for http every one must be this machine's. Raises UnsafeURL
    (a ValueError) with a message for the coach otherwise."""
    scheme, host, port, path = _parts(url)
    addresses = _addresses(host, port)
    if scheme == "http":
        if not all(_is_loopback(address) for address in addresses):
            raise UnsafeURL(_("plain http goes only to this machine; use https"))
    elif not all(is_public(address) for address in addresses):
        raise UnsafeURL(
            _(
                "%(host)s is an internal address (or resolves to one): webhooks go only "
                "to hosts on the public internet",
                host=host,
            )
        )
    return Target(scheme, host, port, addresses[0], path)
