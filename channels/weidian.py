"""Weidian through its own open API (vdian): ``vdian.item.get``, one item per call.

Wire protocol (docs/protocols.md §3; evidence is unofficial SDKs and scripts, [P]):

* One endpoint, ``https://api.vdian.com/api``; the method is chosen by two JSON-string
  parameters, ``public={"method":…,"access_token":…,"version":"1.0","format":"json"}`` and
  ``param={"itemid":"…"}``. There is no signature: the access token *is* the credential.
* The gateway takes them as a GET query or a POST form. We POST a form so the token travels
  in the body, never in a URL that proxies, access logs and httpx error texts print.
* Envelope: ``{"status":{"status_code":0,"status_reason":""},"result":…}``; any non-zero
  ``status_code`` is a failure and carries no ``result``.

``vdian.item.get`` result fields used here ([P] unless marked): ``itemid``, ``item_name``,
``price`` (string yuan), ``stock`` (int), ``merchant_code`` (→ ``outer_id``), ``imgs`` (URLs on
si.geilicdn.com), ``skus[]`` ``{id, title, price, stock, sku_merchant_code}``. Inferred [U]
and optional: ``seller_id``, ``shop_name`` (a token belongs to one shop; when the answer
names it we map it, otherwise the seller part is loaded-but-empty).

SKU titles are free text. The rule that turns one into selected options
(``selected_options_from_titles``):

1. A title with a colon (``颜色:红色;尺码:XL``, full-width ``：``/``；`` too) is a list of
   ``name:value`` pairs split on semicolons; a pair without a colon is named ``规格``.
2. Otherwise, when every SKU title of the item splits on whitespace into the same number
   ``n > 1`` of words (``红色 XL``), word *i* is the value of option ``规格{i}``.
3. Otherwise the whole title is the value of the single option ``规格`` (``原味``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from channels.base import FetchResult, fetch_each, numeric_source_id
from channels.decoding import integer, money, required, text
from channels.errors import (
    BadRequest,
    ChannelError,
    NotFound,
    RateLimited,
    Unauthenticated,
    UpstreamError,
)
from channels.http import DEFAULT_TIMEOUT_S, UpstreamClient
from channels.model import (
    Channel,
    Image,
    ImageKind,
    LocalizedText,
    Media,
    Option,
    OptionValue,
    Part,
    PriceTrio,
    ProductCore,
    ProductRecord,
    SelectedOption,
    SellerRecord,
    VariantRecord,
    VariantSet,
)
from channels.policy import UpstreamPolicy

DEFAULT_GATEWAY_URL = "https://api.vdian.com/api"
API_ITEM_GET = "vdian.item.get"
SPEC_OPTION_NAME = "规格"

# status_code → (error class, retryable). Only 10008 is seen in real bodies [P]; the other
# codes are inferred [U] from the gateway's numbering and are kept in one place so a
# correction from the official catalogue is a one-line change. Unknown codes fall back to a
# non-retryable UpstreamError that carries the code.
VDIAN_ERRORS: dict[int, tuple[type[ChannelError], bool]] = {
    10001: (UpstreamError, True),       # [U] system busy / internal error
    10002: (RateLimited, True),         # [U] call frequency exceeded
    10008: (UpstreamError, False),      # [P] "非法请求(…)": the request was refused
    10012: (NotFound, False),           # [U] item does not exist / was deleted
    10013: (Unauthenticated, False),    # [U] access_token invalid
    10014: (Unauthenticated, False),    # [U] access_token expired
}


def _split_pairs(title: str) -> tuple[SelectedOption, ...]:
    normalized = title.replace("：", ":").replace("；", ";")
    options = []
    for segment in normalized.split(";"):
        segment = segment.strip()
        if not segment:
            continue
        name, sep, value = segment.partition(":")
        if sep:
            options.append(SelectedOption(name=name.strip(), value=value.strip()))
        else:
            options.append(SelectedOption(name=SPEC_OPTION_NAME, value=segment))
    return tuple(options)


def selected_options_from_titles(titles: Sequence[str]) -> list[tuple[SelectedOption, ...]]:
    """Selected options for each SKU title of one item, by the rule in the module docstring."""
    words = [title.split() for title in titles]
    unnamed_widths = {len(w) for t, w in zip(titles, words, strict=True)
                      if ":" not in t and "：" not in t}
    positional = len(unnamed_widths) == 1 and unnamed_widths.pop() > 1
    selected: list[tuple[SelectedOption, ...]] = []
    for title, title_words in zip(titles, words, strict=True):
        if ":" in title or "：" in title:
            selected.append(_split_pairs(title))
        elif positional:
            selected.append(tuple(
                SelectedOption(name=f"{SPEC_OPTION_NAME}{i}", value=word)
                for i, word in enumerate(title_words, start=1)
            ))
        elif title.strip():
            selected.append((SelectedOption(name=SPEC_OPTION_NAME, value=title.strip()),))
        else:
            selected.append(())
    return selected


def options_from_selected(selected: Sequence[tuple[SelectedOption, ...]]) -> tuple[Option, ...]:
    """The option dimensions and their values, in order of first appearance."""
    values: dict[str, list[str]] = {}
    for options in selected:
        for option in options:
            seen = values.setdefault(option.name, [])
            if option.value not in seen:
                seen.append(option.value)
    return tuple(
        Option(name=name, values=tuple(OptionValue(name=v) for v in vals))
        for name, vals in values.items()
    )


def _sku_price(sku: Mapping[str, Any], item_price: Decimal) -> Decimal:
    """A SKU without its own price sells at the item's."""
    own = money(sku.get("price"), "price")
    return item_price if own is None else own


def product_from_vdian(result: Mapping[str, Any], *, source_id: str) -> ProductRecord:
    """Map one ``vdian.item.get`` ``result`` to a record with every part it carries."""
    price = required(money(result.get("price"), "price"), "price")
    skus = [s for s in result.get("skus") or () if isinstance(s, Mapping)]
    titles = [str(s.get("title") or "") for s in skus]
    variants = tuple(
        VariantRecord(
            sku_id=str(sku["id"]),
            selected_options=options,
            price=PriceTrio(display=_sku_price(sku, price)),
            stock=integer(sku.get("stock"), "stock"),
            outer_id=text(sku.get("sku_merchant_code"), "sku_merchant_code"),
        )
        for sku, options in zip(skus, selected_options_from_titles(titles), strict=True)
    )
    sku_prices = [v.price.display for v in variants] or [price]
    images = tuple(
        Image(url=str(url), kind=ImageKind.MAIN if i == 0 else ImageKind.GALLERY, position=i)
        for i, url in enumerate(dict.fromkeys(u for u in result.get("imgs") or () if u))
    )
    seller_id = text(result.get("seller_id"), "seller_id")
    shop_name = text(result.get("shop_name"), "shop_name")
    seller = None
    if seller_id is not None:
        seller = SellerRecord(
            channel=Channel.WEIDIAN, source_id=seller_id, name=shop_name or seller_id,
            shop_url=f"https://weidian.com/?userid={seller_id}",
        )
    core = ProductCore(
        title=LocalizedText(original=str(result["item_name"])),
        source_url=f"https://weidian.com/item.html?itemID={source_id}",
        price=PriceTrio(display=price),
        price_min=min(sku_prices),
        price_max=max(sku_prices),
        total_stock=integer(result.get("stock"), "stock"),
        seller_id=seller_id,
        seller_name=shop_name,
        main_image=images[0].url if images else None,
        outer_id=text(result.get("merchant_code"), "merchant_code"),
    )
    variant_set = None
    if variants:
        variant_set = VariantSet(options_from_selected([v.selected_options for v in variants]),
                                 variants)
    media = Media(images=images) if images else None
    # One call answers everything the API has; what it lacks is loaded, and empty.
    present = {Part.CORE, *([Part.VARIANTS] if variant_set else []),
               *([Part.MEDIA] if media else []), *([Part.SELLER] if seller else [])}
    return ProductRecord(
        channel=Channel.WEIDIAN, source_id=source_id, core=core, variants=variant_set,
        media=media, seller=seller, empty_parts=frozenset(Part) - present,
    )


class WeidianAdapter:
    """``vdian.item.get`` per item, at most ``concurrency`` calls in flight."""

    channels: tuple[Channel, ...] = (Channel.WEIDIAN,)
    batch_limit = 1
    parts_per_call: frozenset[Part] = frozenset(Part)

    def __init__(
        self,
        *,
        access_token: str,
        gateway_url: str = DEFAULT_GATEWAY_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        concurrency: int = 8,
        policy: UpstreamPolicy | None = None,
        redis: Any = None,
    ) -> None:
        """``policy`` and ``redis`` go to the ``UpstreamClient`` (QPS budget, bans, retries;
        shared between processes through ``redis``)."""
        if not access_token:
            raise ValueError("WeidianAdapter needs a vdian access_token")
        self._access_token = access_token
        self._gateway_url = gateway_url
        self._slots = asyncio.Semaphore(concurrency)
        self.client = UpstreamClient(Channel.WEIDIAN, gateway_url, transport=transport,
                                     timeout_s=timeout_s, policy=policy, redis=redis)

    def __repr__(self) -> str:
        return f"WeidianAdapter(gateway_url={self._gateway_url!r})"

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        return numeric_source_id(channel, source_id)

    async def fetch(
        self, channel: Channel, source_ids: Sequence[str], parts: frozenset[Part]
    ) -> FetchResult:
        """Every part of each item (one call answers them all); a typed error per bad id."""
        if channel is not Channel.WEIDIAN:
            raise BadRequest(f"WeidianAdapter does not serve {channel.name}", channel=channel)

        async def one(source_id: str) -> ProductRecord:
            return await self.fetch_item(self.validate_source_id(channel, source_id))

        return await fetch_each(source_ids, one, self._slots)

    async def fetch_item(self, item_id: str) -> ProductRecord:
        """One ``vdian.item.get``; raises a typed error."""
        public = {"method": API_ITEM_GET, "access_token": self._access_token,
                  "version": "1.0", "format": "json"}
        form = {"public": _compact_json(public), "param": _compact_json({"itemid": item_id})}

        async def attempt() -> ProductRecord:
            response = await self.client.request("POST", self._gateway_url, api=API_ITEM_GET,
                                                 data=form)
            result = self._result(response, API_ITEM_GET, item_id)
            try:
                return product_from_vdian(result, source_id=item_id)
            except (KeyError, TypeError, ValueError) as exc:   # UndecodableValue included
                raise UpstreamError(
                    f"WEIDIAN answered {API_ITEM_GET} for item {item_id} with a malformed "
                    f"item ({type(exc).__name__}: {exc})", channel=Channel.WEIDIAN,
                ) from exc

        return await self.client.call(API_ITEM_GET, attempt)

    def _result(self, response: httpx.Response, api: str, item_id: str) -> Mapping[str, Any]:
        """The envelope's ``result``, or the typed error its status names."""
        status = response.status_code
        if status == 429 or status >= 500:
            cls: type[ChannelError] = RateLimited if status == 429 else UpstreamError
            raise cls(f"WEIDIAN answered {api} with HTTP {status}", channel=Channel.WEIDIAN,
                      http_status=status, retryable=True)
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError as exc:
            raise UpstreamError(f"WEIDIAN answered {api} with a body that is not JSON "
                                f"(HTTP {status})", channel=Channel.WEIDIAN,
                                http_status=status, retryable=True) from exc
        envelope = body.get("status") if isinstance(body, dict) else None
        if not isinstance(envelope, dict) or "status_code" not in envelope:
            raise UpstreamError(f"WEIDIAN answered {api} without a status envelope "
                                f"(HTTP {status})", channel=Channel.WEIDIAN,
                                http_status=status, retryable=True)
        try:
            code = int(str(envelope["status_code"]))
        except ValueError:
            code = -1
        if code != 0:
            reason = self._redact(str(envelope.get("status_reason") or "").strip())
            cls, retryable = VDIAN_ERRORS.get(code, (UpstreamError, False))
            raise cls(f"WEIDIAN refused {api} for item {item_id}: {reason or 'no reason'} "
                      f"(status_code {code})", channel=Channel.WEIDIAN,
                      upstream_code=str(code), http_status=status, retryable=retryable)
        result = body.get("result")
        if not isinstance(result, dict):
            raise UpstreamError(f"WEIDIAN answered {api} for item {item_id} without a result",
                                channel=Channel.WEIDIAN, http_status=status)
        return result

    def _redact(self, text: str) -> str:
        # A gateway that echoes the request back must not leak the token into our errors.
        return text.replace(self._access_token, "[redacted]")

    async def aclose(self) -> None:
        await self.client.aclose()


def _compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
