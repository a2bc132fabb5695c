"""Marketplace product links → ``(channel, source id)``, strictly and without fetching them.

A link is only ever *parsed*: the server never requests the URL a client hands it (no SSRF,
no redirect chasing). Parsing is an allow-list, not a pattern search, so a link that merely
*contains* ``taobao.com`` is refused:

* the scheme is ``http`` or ``https``; no userinfo (``https://item.taobao.com@evil.example``),
  no port but the scheme's default, no backslash, whitespace or control character, and at
  most ``MAX_URL_LENGTH`` characters;
* the host is one of ``_HOSTS`` exactly (ASCII lowercase; a trailing dot, an IDN or a
  punycode lookalike is refused); the one subdomain rule is Weidian's ``shop<N>.v.weidian.com``;
* the path is the host's product path exactly, and the id parameter appears exactly once and
  is all digits.

Forms (from the marketplaces' own share links): Taobao ``item.taobao.com/item.htm?id=``,
``m.intl.taobao.com/detail/detail.html?id=``, ``h5.m.taobao.com/awp/core/detail.htm?id=``,
``world.taobao.com/item/<id>.htm``; Tmall ``detail.tmall.com/item.htm?id=``,
``detail.m.tmall.com/item.htm?id=``, ``chaoshi.detail.tmall.com/item.htm?id=``; 1688
``detail.1688.com/offer/<id>.html``, ``m.1688.com/offer/<id>.html``,
``detail.m.1688.com/page/index.html?offerId=``; Weidian ``weidian.com/item.html?itemID=``,
``shop<N>.v.weidian.com/item.html?itemID=``. ``koudai.com`` links are not documented in the
specs we have, so they are refused rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from channels.errors import ChannelError
from channels.model import Channel, product_id

MAX_URL_LENGTH = 2048
MAX_ID_DIGITS = 20
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORBIDDEN = re.compile(r"[\\\s\x00-\x1f\x7f]")
_WEIDIAN_SHOP_HOST = re.compile(r"shop[0-9]{1,12}\.v\.weidian\.com")


class UnsupportedUrl(ChannelError):
    """The link is not a product page of a marketplace productgraph reads."""

    code = "UNSUPPORTED_URL"


@dataclass(frozen=True, slots=True)
class ParsedProductUrl:
    channel: Channel
    source_id: str
    canonical_url: str

    @property
    def id(self) -> str:
        return product_id(self.channel, self.source_id)


@dataclass(frozen=True, slots=True)
class _Form:
    """One product-page form: the id in a query parameter, or in the path."""

    channel: Channel
    path: str | None = None          # exact path, id in ``param``
    param: str | None = None
    path_id: re.Pattern[str] | None = None  # the path itself carries the id


def _query(path: str, param: str, channel: Channel) -> _Form:
    return _Form(channel, path=path, param=param)


def _in_path(pattern: str, channel: Channel) -> _Form:
    return _Form(channel, path_id=re.compile(pattern))


_TAOBAO, _TMALL, _1688, _WEIDIAN = (Channel.TAOBAO, Channel.TMALL, Channel.ALIBABA_1688,
                                    Channel.WEIDIAN)
_WEIDIAN_ITEM = _query("/item.html", "itemID", _WEIDIAN)

_HOSTS: dict[str, _Form] = {
    "item.taobao.com": _query("/item.htm", "id", _TAOBAO),
    "m.intl.taobao.com": _query("/detail/detail.html", "id", _TAOBAO),
    "h5.m.taobao.com": _query("/awp/core/detail.htm", "id", _TAOBAO),
    "world.taobao.com": _in_path(r"/item/([0-9]{1,20})\.htm", _TAOBAO),
    "detail.tmall.com": _query("/item.htm", "id", _TMALL),
    "detail.m.tmall.com": _query("/item.htm", "id", _TMALL),
    "chaoshi.detail.tmall.com": _query("/item.htm", "id", _TMALL),
    "detail.1688.com": _in_path(r"/offer/([0-9]{1,20})\.html", _1688),
    "m.1688.com": _in_path(r"/offer/([0-9]{1,20})\.html", _1688),
    "detail.m.1688.com": _query("/page/index.html", "offerId", _1688),
    "weidian.com": _WEIDIAN_ITEM,
}

_CANONICAL = {
    _TAOBAO: "https://item.taobao.com/item.htm?id={}",
    _TMALL: "https://detail.tmall.com/item.htm?id={}",
    _1688: "https://detail.1688.com/offer/{}.html",
    _WEIDIAN: "https://weidian.com/item.html?itemID={}",
}


def canonical_url(channel: Channel, source_id: str) -> str:
    """The marketplace's canonical desktop product page for an id."""
    return _CANONICAL[channel].format(source_id)


def _refuse(url: str, why: str) -> UnsupportedUrl:
    shown = url if len(url) <= 80 else url[:77] + "..."
    return UnsupportedUrl(
        f"`url` is not a product link productgraph understands ({why}): {shown!r}. Supported: "
        "Taobao item.taobao.com/item.htm?id=…, Tmall detail.tmall.com/item.htm?id=…, "
        "1688 detail.1688.com/offer/<id>.html, Weidian weidian.com/item.html?itemID=… "
        "(and their mobile forms)")


def _form_of(host: str) -> _Form | None:
    if host in _HOSTS:
        return _HOSTS[host]
    if _WEIDIAN_SHOP_HOST.fullmatch(host):
        return _WEIDIAN_ITEM
    return None


def parse_product_url(url: str) -> ParsedProductUrl:
    """The channel and id of a product link; ``UnsupportedUrl`` for anything else."""
    text = url.strip()
    if len(text) > MAX_URL_LENGTH:
        raise _refuse(text, f"longer than {MAX_URL_LENGTH} characters")
    if not text.isascii() or _FORBIDDEN.search(text):
        raise _refuse(text, "non-ASCII, whitespace, control characters or backslashes")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _refuse(text, "malformed URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _refuse(text, "the scheme must be http or https")
    if "@" in parts.netloc:
        raise _refuse(text, "user information in the host part")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        raise _refuse(text, "a non-default port")
    host = (parts.hostname or "").lower()
    form = _form_of(host)
    if form is None:
        raise _refuse(text, "not a known marketplace host")
    source_id = _id_of(form, parts.path, parts.query)
    if source_id is None:
        raise _refuse(text, "not a product page of that marketplace")
    source_id = source_id.lstrip("0") or "0"
    return ParsedProductUrl(form.channel, source_id, canonical_url(form.channel, source_id))


def _id_of(form: _Form, path: str, query: str) -> str | None:
    if form.path_id is not None:
        match = form.path_id.fullmatch(path)
        return match.group(1) if match else None
    if path != form.path or form.param is None:
        return None
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=False,
                          max_num_fields=100).get(form.param, [])
    except ValueError:
        return None
    if len(values) != 1:
        return None
    value = values[0]
    if not value.isascii() or not value.isdigit() or len(value) > MAX_ID_DIGITS:
        return None
    return value
