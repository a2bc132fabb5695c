"""Settings of ``productByText``'s short-link follower (``channels/short_links.py``).

* ``PRODUCTGRAPH_SHORT_LINK_HOSTS``: the allow-listed short-link hosts, comma-separated
  (default ``m.tb.cn,e.tb.cn,tb.cn,s.click.taobao.com,qr.1688.com``); empty: ``off``.
* ``PRODUCTGRAPH_SHORT_LINK_DNS``: ``host=address[:port],…`` answered without the system
  resolver (tests point ``m.tb.cn`` at a loopback stand-in this way). The address is still
  checked: a loopback one needs the next switch.
* ``PRODUCTGRAPH_SHORT_LINK_ALLOW_LOOPBACK``: connect to loopback addresses (tests only;
  refused with ``PRODUCTGRAPH_ENV=production``). Private and link-local addresses are
  always refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from channels.short_links import DEADLINE_S, DEFAULT_SHORT_LINK_HOSTS, MAX_HOPS

if TYPE_CHECKING:
    from graph.settings import Environment


@dataclass(frozen=True)
class LinkSettings:
    short_link_hosts: tuple[str, ...] = DEFAULT_SHORT_LINK_HOSTS
    dns: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    allow_loopback: bool = False
    max_hops: int = MAX_HOPS
    deadline_s: float = DEADLINE_S


def link_settings(env: Environment, *, production: bool) -> LinkSettings:
    from graph.settings import SettingsError

    raw_hosts = env.environ.get("PRODUCTGRAPH_SHORT_LINK_HOSTS")
    hosts = DEFAULT_SHORT_LINK_HOSTS if raw_hosts is None else tuple(
        h.lower() for h in env.items("SHORT_LINK_HOSTS") if h.lower() != "off")
    dns: dict[str, tuple[str, int | None]] = {}
    for entry in env.items("SHORT_LINK_DNS"):
        host, _, target = entry.partition("=")
        address, _, port = target.rpartition(":") if target.count(":") == 1 else (target, "", "")
        if not host or not address or (port and not port.isdigit()):
            raise SettingsError("PRODUCTGRAPH_SHORT_LINK_DNS is host=address[:port],…; got "
                                f"{entry[:60]!r}")
        dns[host.strip().lower()] = (address.strip(), int(port) if port else None)
    allow_loopback = bool(env.switch("SHORT_LINK_ALLOW_LOOPBACK"))
    if allow_loopback and production:
        raise SettingsError("PRODUCTGRAPH_SHORT_LINK_ALLOW_LOOPBACK is for tests; it is refused "
                            "with PRODUCTGRAPH_ENV=production")
    return LinkSettings(short_link_hosts=hosts, dns=dns, allow_loopback=allow_loopback)
