"""The product in whatever a user pastes: a share text, a link, a 淘口令, an agent link.

``LinkResolver.resolve(text)`` tries, in order, and stops at the first answer:

1. **offline** (no request): every marketplace product link in the text
   (``channels/urls.py``), every buying-agent link (``channels/agent_links.py``), and a
   composite id (``taobao_680123456789``);
2. **the marketplace's API**: a 淘口令 (``￥AbCd1234￥``: 8-14 letters and digits between two
   symbols) through TOP's ``taobao.tbk.tpwd.convert`` (``channels/tbk.py``), when an
   affiliate app is configured;
3. **the guarded redirect follower** (``channels/short_links.py``): a short link on an
   allow-listed host (``m.tb.cn``, ``s.click.taobao.com``, ``qr.1688.com``…).

Anything else is ``UnsupportedUrl`` without a single upstream request. Answers of steps 2
and 3 are cached (``CACHE_TTL_S``, ``CACHE_SIZE`` entries), refusals too.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from typing import Protocol

from channels.agent_links import parse_agent_url
from channels.errors import ChannelError
from channels.model import Channel
from channels.short_links import ShortLinkFollower
from channels.urls import ParsedProductUrl, UnsupportedUrl, canonical_url, parse_product_url

MAX_TEXT_LENGTH = 2000
CACHE_TTL_S = 3600.0
CACHE_SIZE = 4096

_URL = re.compile(r"https?://[^\s<>\"'，。；、！【】（）《》「」]+", re.IGNORECASE)
# The symbols the Taobao app wraps a code in (￥ € $ ₤ ¢ ₳ ₴ ₰ ₵ ₲ ₭ ₡ ₪ ⊤ ( ) / 《 》 …):
# any non-word, non-space character on each side.
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[^\w\s:/.?=&%#-]([A-Za-z0-9]{8,14})[^\w\s:/.?=&%#-]")
_COMPOSITE = re.compile(r"\b(taobao|tmall|1688|weidian)_([0-9]{1,20})\b")


class TokenConverter(Protocol):
    """What turns a 淘口令 into a Taobao ``num_iid`` (``TbkAdapter.convert_token``)."""

    async def convert_token(self, password: str) -> str: ...


def urls_in(text: str) -> list[str]:
    """The http(s) links in a text, trailing punctuation trimmed."""
    return [m.group(0).rstrip(".,;:!?)]}") for m in _URL.finditer(text)]


def tokens_in(text: str) -> list[str]:
    """The 淘口令 codes in a text, links taken out first (a URL's path is no code)."""
    bare = _URL.sub(" ", text)
    return list(dict.fromkeys(m.group(1) for m in _TOKEN.finditer(bare)
                              if _looks_like_code(m.group(1))))


def _looks_like_code(code: str) -> bool:
    """Codes mix letters and digits, or upper and lower case: a bracketed number or a
    bracketed lowercase word is no 淘口令."""
    digits = any(c.isdigit() for c in code)
    letters = any(c.isalpha() for c in code)
    mixed_case = any(c.isupper() for c in code) and any(c.islower() for c in code)
    return (digits and letters) or mixed_case


def offline_product(text: str) -> ParsedProductUrl | None:
    """A product the text names by link, agent link or composite id, without a request."""
    for url in urls_in(text):
        try:
            return parse_product_url(url)
        except UnsupportedUrl:
            pass
        wrapped = parse_agent_url(url)
        if wrapped is not None:
            return wrapped
    match = _COMPOSITE.search(text)
    if match:
        channel = Channel.from_prefix(match.group(1))
        source_id = match.group(2).lstrip("0") or "0"
        if channel is not None:
            return ParsedProductUrl(channel, source_id, canonical_url(channel, source_id))
    return None


def _unsupported(text: str, why: str) -> UnsupportedUrl:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return UnsupportedUrl(
        f"`text` names no product productgraph can find ({why}): {shown!r}. Supported: "
        "marketplace links, buying-agent links, Taobao share texts with a 淘口令 or an "
        "m.tb.cn short link")


class LinkResolver:
    """Resolves pasted text to a product (see the module). ``converter`` is the affiliate
    API (``None``: 淘口令 are not resolvable); ``follower`` the redirect follower (``None``:
    short links are not followed)."""

    def __init__(self, *, converter: TokenConverter | None = None,
                 follower: ShortLinkFollower | None = None,
                 cache_ttl_s: float = CACHE_TTL_S, cache_size: int = CACHE_SIZE) -> None:
        self.converter = converter
        self.follower = follower
        self._ttl = cache_ttl_s
        self._size = cache_size
        self._cache: OrderedDict[str, tuple[float, ParsedProductUrl | UnsupportedUrl]] = \
            OrderedDict()

    async def resolve(self, text: str) -> ParsedProductUrl:
        """The product of ``text``; ``UnsupportedUrl`` when none is found."""
        if len(text) > MAX_TEXT_LENGTH:
            raise _unsupported(text, f"longer than {MAX_TEXT_LENGTH} characters")
        found = offline_product(text)
        if found is not None:
            return found
        tokens = tokens_in(text) if self.converter is not None else []
        shorts = [u for u in urls_in(text)
                  if self.follower is not None and self.follower.allowed(u)]
        if not tokens and not shorts:
            raise _unsupported(text, "no product link, agent link, 淘口令 or short link")
        last: UnsupportedUrl | None = None
        for token in tokens[:2]:
            try:
                return await self._cached(f"tpwd:{token}", lambda t=token: self._convert(t))
            except UnsupportedUrl as exc:
                last = exc
        for url in shorts[:2]:
            try:
                return await self._cached(f"url:{url}", lambda u=url: self._follow(u))
            except UnsupportedUrl as exc:
                last = exc
        assert last is not None
        raise last

    async def _convert(self, token: str) -> ParsedProductUrl:
        assert self.converter is not None
        try:
            num_iid = await self.converter.convert_token(f"￥{token}￥")
        except ChannelError as exc:
            if exc.code == "UNSUPPORTED_URL":
                raise _unsupported(token, "the 淘口令 names no product") from exc
            raise
        return ParsedProductUrl(Channel.TAOBAO, num_iid, canonical_url(Channel.TAOBAO, num_iid))

    async def _follow(self, url: str) -> ParsedProductUrl:
        assert self.follower is not None
        return await self.follower.follow(url)

    async def _cached(self, key: str, compute: object) -> ParsedProductUrl:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            self._cache.move_to_end(key)
            if isinstance(hit[1], UnsupportedUrl):
                raise UnsupportedUrl(hit[1].message)
            return hit[1]
        assert callable(compute)
        try:
            value: ParsedProductUrl | UnsupportedUrl = await compute()
        except UnsupportedUrl as exc:
            value = exc
        # Only answers are remembered: an upstream failure (a timeout, a ban) is retried.
        self._cache[key] = (now + self._ttl, value)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        if isinstance(value, UnsupportedUrl):
            raise value
        return value
