"""Buying-agent links → the marketplace product they wrap, offline (no request is made).

A buying agent's product page carries the marketplace item either as a whole link in a
query parameter (``?url=<encoded item link>``) or as a platform and an id. Each agent has
one table row: its hosts, and how its product page names the item. The wrapped link is
parsed by ``channels/urls.py`` with all its strictness; an id is taken only when the
platform is one productgraph reads.

| agent | product page shape (``<u>``: an encoded marketplace link) |
|---|---|
| superbuy | ``www.superbuy.com/en/page/buy?url=<u>`` (any language segment) |
| wegobuy | ``www.wegobuy.com/en/page/buy?url=<u>`` (superbuy's sister site) |
| allchinabuy | ``www.allchinabuy.com/en/page/buy?url=<u>`` |
| pandabuy | ``www.pandabuy.com/product?url=<u>`` |
| kakobuy | ``www.kakobuy.com/item/details?url=<u>`` |
| sugargoo | ``www.sugargoo.com/#/home/productDetail?productLink=<u>`` (in the fragment) |
| cssbuy | ``www.cssbuy.com/item-<id>.html`` (Taobao), ``item-1688-<id>.html``,
  ``item-micro-<id>.html`` (Weidian) |
| cnfans | ``cnfans.com/product/?shop_type=taobao&id=<id>`` (``weidian``, ``ali_1688``) |
| mulebuy | ``mulebuy.com/product/?shop_type=taobao&id=<id>`` |
| orientdig | ``orientdig.com/product/?shop_type=taobao&id=<id>`` |
| hoobuy | ``hoobuy.com/product/<platform>/<id>`` (1 Taobao, 0 1688, 2 Weidian) |
| acbuy | ``www.acbuy.com/product?id=<id>&source=TB`` (``AL`` 1688, ``WD`` Weidian) |

All shapes are taken from the agents' public product links as the team knows them; none
could be confirmed against an agent's documentation (README, "Agent links"), and the
platform codes of hoobuy and acbuy are inferred. ``www.`` and ``m.`` forms of each host are
accepted; any other host is not an agent link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from channels.model import Channel
from channels.urls import ParsedProductUrl, UnsupportedUrl, canonical_url, parse_product_url

MAX_ID_DIGITS = 20

#: Platform names agents use → channel.
_PLATFORMS = {
    "taobao": Channel.TAOBAO, "tb": Channel.TAOBAO, "tmall": Channel.TMALL,
    "1688": Channel.ALIBABA_1688, "ali_1688": Channel.ALIBABA_1688, "al": Channel.ALIBABA_1688,
    "alibaba": Channel.ALIBABA_1688, "weidian": Channel.WEIDIAN, "wd": Channel.WEIDIAN,
    "micro": Channel.WEIDIAN,
}
_HOOBUY_PLATFORMS = {"1": Channel.TAOBAO, "0": Channel.ALIBABA_1688, "2": Channel.WEIDIAN}


def _product(channel: Channel | None, source_id: str | None) -> ParsedProductUrl | None:
    if channel is None or not source_id or not source_id.isascii() \
            or not source_id.isdigit() or len(source_id) > MAX_ID_DIGITS:
        return None
    source_id = source_id.lstrip("0") or "0"
    return ParsedProductUrl(channel, source_id, canonical_url(channel, source_id))


def _one(query: str, name: str) -> str | None:
    try:
        values = parse_qs(query, max_num_fields=50).get(name, [])
    except ValueError:
        return None
    return values[0] if len(values) == 1 else None


def _wrapped(param: str) -> Callable[[str, str, str], ParsedProductUrl | None]:
    """The item link in query parameter ``param``."""

    def read(path: str, query: str, fragment: str) -> ParsedProductUrl | None:
        link = _one(query, param)
        if link is None and "?" in fragment:  # single-page apps keep the query in '#…'
            link = _one(fragment.split("?", 1)[1], param)
        if link is None:
            return None
        try:
            return parse_product_url(link)
        except UnsupportedUrl:
            return None

    return read


def _shop_type_id(path: str, query: str, fragment: str) -> ParsedProductUrl | None:
    if path.rstrip("/") != "/product":
        return None
    platform = (_one(query, "shop_type") or _one(query, "platform") or "").lower()
    return _product(_PLATFORMS.get(platform), _one(query, "id"))


_CSSBUY = re.compile(r"/item-(?:(1688|micro)-)?([0-9]{1,20})\.html")


def _cssbuy(path: str, query: str, fragment: str) -> ParsedProductUrl | None:
    match = _CSSBUY.fullmatch(path)
    if match is None:
        return None
    return _product(_PLATFORMS.get(match.group(1) or "taobao"), match.group(2))


_HOOBUY = re.compile(r"/product/([0-9])/([0-9]{1,20})/?")


def _hoobuy(path: str, query: str, fragment: str) -> ParsedProductUrl | None:
    match = _HOOBUY.fullmatch(path)
    return _product(_HOOBUY_PLATFORMS.get(match.group(1)), match.group(2)) if match else None


def _acbuy(path: str, query: str, fragment: str) -> ParsedProductUrl | None:
    if path.rstrip("/") != "/product":
        return None
    return _product(_PLATFORMS.get((_one(query, "source") or "").lower()), _one(query, "id"))


_BUY_PAGE = re.compile(r"/(?:[a-z]{2}(?:-[a-z]{2})?/)?page/buy/?")


def _buy_page(path: str, query: str, fragment: str) -> ParsedProductUrl | None:
    return _wrapped("url")(path, query, fragment) if _BUY_PAGE.fullmatch(path) else None


def _at(expected: str, read: Callable[[str, str, str], ParsedProductUrl | None]
        ) -> Callable[[str, str, str], ParsedProductUrl | None]:
    def check(path: str, query: str, fragment: str) -> ParsedProductUrl | None:
        return read(path, query, fragment) if path.rstrip("/") == expected else None

    return check


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    domain: str
    read: Callable[[str, str, str], ParsedProductUrl | None]


AGENTS: tuple[Agent, ...] = (
    Agent("superbuy", "superbuy.com", _buy_page),
    Agent("wegobuy", "wegobuy.com", _buy_page),
    Agent("allchinabuy", "allchinabuy.com", _buy_page),
    Agent("pandabuy", "pandabuy.com", _at("/product", _wrapped("url"))),
    Agent("kakobuy", "kakobuy.com", _at("/item/details", _wrapped("url"))),
    Agent("sugargoo", "sugargoo.com", _wrapped("productLink")),
    Agent("cssbuy", "cssbuy.com", _cssbuy),
    Agent("cnfans", "cnfans.com", _shop_type_id),
    Agent("mulebuy", "mulebuy.com", _shop_type_id),
    Agent("orientdig", "orientdig.com", _shop_type_id),
    Agent("hoobuy", "hoobuy.com", _hoobuy),
    Agent("acbuy", "acbuy.com", _acbuy),
)
_BY_HOST = {f"{prefix}{agent.domain}": agent for agent in AGENTS
            for prefix in ("", "www.", "m.")}


def agent_of(url: str) -> Agent | None:
    """The agent whose host ``url`` is on (exactly: no lookalike subdomains)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc:
        return None
    return _BY_HOST.get((parts.hostname or "").lower())


def parse_agent_url(url: str) -> ParsedProductUrl | None:
    """The marketplace product an agent link wraps; ``None`` for any other link."""
    agent = agent_of(url)
    if agent is None:
        return None
    parts = urlsplit(url.strip())
    return agent.read(parts.path or "/", parts.query, parts.fragment)
