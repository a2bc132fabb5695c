"""Following a marketplace short link's redirects, guarded: the fallback of ``productByText``
when no marketplace API resolves the link (``channels/share_links.py``).

The server fetches a URL a client sent, so every rule below is a defence against SSRF:

* only a link on an allow-listed short-link host (``DEFAULT_SHORT_LINK_HOSTS``: Taobao's
  ``m.tb.cn`` / ``e.tb.cn`` / ``tb.cn``, ``s.click.taobao.com``, 1688's ``qr.1688.com``) is
  followed, only over http(s) and on the scheme's default port, with no user information;
* the host is resolved first, and *every* address it resolves to must be public: a
  loopback, private, link-local (169.254.0.0/16, the cloud metadata address), shared,
  multicast, reserved or unspecified address refuses the link before any connection; the
  connection then goes to the checked address (no second lookup an attacker could answer
  differently);
* one ``GET`` per hop that reads the status line and the headers only (at most 16 KiB) and
  closes the connection: no body is downloaded;
* every redirect target is checked before it is followed: a marketplace product page
  (``channels/urls.py``) ends the walk without connecting to it; another allow-listed
  short-link host is the next hop; anything else refuses the link;
* at most ``max_hops`` (3) requests and ``deadline_s`` (3 s) for the whole walk.

DNS, the connector and the allow-list are injected (``ShortLinkFollower(...)``), so a test
can map ``m.tb.cn`` to a loopback server (with ``allow_loopback``, for that test only) and
record every connection attempted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from channels.urls import ParsedProductUrl, UnsupportedUrl, parse_product_url

DEFAULT_SHORT_LINK_HOSTS = ("m.tb.cn", "e.tb.cn", "tb.cn", "s.click.taobao.com",
                            "qr.1688.com")
MAX_HOPS = 3
DEADLINE_S = 3.0
MAX_HEADER_BYTES = 16 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "productgraph-short-link/1 (+redirects only; no body read)"

#: ``(host, port)`` → the ``(address, port)`` pairs to try.
Resolver = Callable[[str, int], Awaitable[list[tuple[str, int]]]]
#: ``(address, port, host, tls)`` → an open stream pair.
Connector = Callable[[str, int, str, bool],
                     Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def system_resolver(host: str, port: int) -> list[tuple[str, int]]:
    """The host's addresses from the system resolver (``getaddrinfo``)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys((str(info[4][0]), port) for info in infos))


async def tcp_connector(address: str, port: int, host: str,
                        tls: bool) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP (and TLS, checked against ``host``) connection to the checked ``address``."""
    context = ssl.create_default_context() if tls else None
    return await asyncio.open_connection(address, port, ssl=context,
                                         server_hostname=host if tls else None)


def static_resolver(table: dict[str, tuple[str, int | None]],
                    fallback: Resolver | None = None) -> Resolver:
    """A resolver answering ``table``'s hosts (``host → (address, port or None)``) itself;
    other hosts go to ``fallback`` (none: unresolvable)."""

    async def resolve(host: str, port: int) -> list[tuple[str, int]]:
        if host in table:
            address, fixed = table[host]
            return [(address, fixed or port)]
        if fallback is None:
            raise OSError(f"{host} is not in the resolver's table")
        return await fallback(host, port)

    return resolve


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why a connection to ``address`` is refused, or ``None`` when it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED):
        return "a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "a non-public address"
    return None


_SHARED = ipaddress.ip_network("100.64.0.0/10")


@dataclass
class ShortLinkFollower:
    """Walks a short link's redirects to a marketplace product page (see the module)."""

    hosts: frozenset[str] = frozenset(DEFAULT_SHORT_LINK_HOSTS)
    resolver: Resolver = system_resolver
    connector: Connector = tcp_connector
    allow_loopback: bool = False
    max_hops: int = MAX_HOPS
    deadline_s: float = DEADLINE_S
    #: Every ``(address, port, host)`` a connection was opened to, for tests and logs.
    attempts: list[tuple[str, int, str]] = field(default_factory=list)

    def allowed(self, url: str) -> bool:
        """Whether ``url`` is on an allow-listed short-link host (parsed strictly)."""
        try:
            return self._target(url) is not None
        except UnsupportedUrl:
            return False

    async def follow(self, url: str) -> ParsedProductUrl:
        """The product ``url`` redirects to; ``UnsupportedUrl`` for any refusal."""
        try:
            async with asyncio.timeout(self.deadline_s):
                return await self._walk(url)
        except TimeoutError:
            raise _refuse(url, f"no answer within {self.deadline_s:g} s") from None

    async def _walk(self, url: str) -> ParsedProductUrl:
        current = url
        seen: set[str] = set()
        for _ in range(self.max_hops):
            target = self._target(current)
            if target is None:
                raise _refuse(url, "not an allow-listed short-link host")
            if current in seen:
                raise _refuse(url, "a redirect loop")
            seen.add(current)
            location = await self._hop(current, *target)
            if location is None:
                raise _refuse(url, "the short link does not redirect")
            current = urljoin(current, location)
            try:
                return parse_product_url(current)
            except UnsupportedUrl:
                if self._target(current) is None:
                    raise _refuse(url, "it redirects outside the marketplaces") from None
        raise _refuse(url, f"more than {self.max_hops} redirects")

    def _target(self, url: str) -> tuple[str, int, bool, str] | None:
        """``(host, port, tls, request target)`` of an allow-listed link, else ``None``."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise _refuse(url, "malformed URL") from None
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        if scheme not in _DEFAULT_PORTS or "@" in parts.netloc or host not in self.hosts:
            return None
        if port is not None and port != _DEFAULT_PORTS[scheme]:
            return None
        path = parts.path or "/"
        return host, _DEFAULT_PORTS[scheme], scheme == "https", \
            path + (f"?{parts.query}" if parts.query else "")

    async def _hop(self, url: str, host: str, port: int, tls: bool,
                   target: str) -> str | None:
        """One checked ``GET``: the ``Location`` of a redirect, else ``None``."""
        try:
            addresses = await self.resolver(host, port)
        except OSError:
            raise _refuse(url, f"{host} does not resolve") from None
        if not addresses:
            raise _refuse(url, f"{host} does not resolve")
        for address, _ in addresses:
            why = address_refusal(address, allow_loopback=self.allow_loopback)
            if why is not None:
                raise _refuse(url, f"{host} resolves to {why}")
        address, connect_port = addresses[0]
        self.attempts.append((address, connect_port, host))
        try:
            reader, writer = await self.connector(address, connect_port, host, tls)
        except (OSError, ssl.SSLError):
            raise _refuse(url, f"{host} cannot be reached") from None
        try:
            request = (f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}"
                       "\r\nAccept: */*\r\nConnection: close\r\n\r\n")
            writer.write(request.encode("ascii", "strict"))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.LimitOverrunError, asyncio.IncompleteReadError, OSError,
                UnicodeEncodeError, ssl.SSLError):
            raise _refuse(url, f"{host} answered no HTTP response") from None
        finally:
            writer.close()
        return _location(head[:MAX_HEADER_BYTES])


def _location(head: bytes) -> str | None:
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or not status[1].isdigit() or int(status[1]) not in _REDIRECTS:
        return None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "location" and value.strip():
            return value.strip()
    return None


def _refuse(url: str, why: str) -> UnsupportedUrl:
    shown = url if len(url) <= 80 else url[:77] + "..."
    return UnsupportedUrl(f"the short link {shown!r} does not lead to a product ({why})")


def hosts_of(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().lower().rstrip(".") for v in values if v.strip())
