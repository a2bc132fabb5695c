"""Any channel through an aggregator that answers in seed 003's "standard model".

Documented by seed 003 (a French copy of the aggregator's "Modèles de réponse"):

* ``detail`` and ``parse`` answer ``{product: StandardProductDetail, request_id}``;
  ``search`` and ``search-by-image`` answer ``StandardProductList & {request_id}``;
  ``upload-image`` answers ``{channel, image_id, request_id}``.
* ``channel`` is ``1688``, ``taobao`` or ``weidian``; ids are ``{channel}_{source_product_id}``.
* Every amount is yuan CNY (never fen); ``promotion_amount`` wins over ``display_amount``.
* The field lists mapped in ``product_from_standard`` and ``listing_item_from_standard``.

Inferred [U], because the seed names the endpoints and fields but not the wire details:

* Paths under ``base_url``: ``GET products/detail?channel=&product_id=&language=``,
  ``GET products/search?channel=&keyword=&page=&page_size=&sort=&price_min=&price_max=
  &category_id=&in_stock_only=``, ``GET products/search-by-image?channel=&image_url=|image_id=
  &page=&page_size=``, ``GET products/search-by-shop?channel=&shop_id=&keyword=&page=
  &page_size=&sort=`` (named by no seed: an aggregator's usual "all items of a shop" call,
  its answer the seed's ``StandardProductList``), ``POST products/upload-image`` with a
  JSON body ``{channel, image_base64, content_type}`` (base64 keeps the shared HTTP layer
  JSON-only, as 1688's own image upload does); auth ``Authorization: Bearer``.
  ``products/parse`` is not called: ``productByUrl`` reads links locally
  (``channels/urls.py``).
* Tmall items are sent as ``channel=taobao`` (the seed knows no ``tmall``); the record keeps
  the channel it was asked for.
* Shapes the seed leaves open: ``description`` is a localized text (we keep ``original``),
  ``price_tiers[]`` is ``{min_quantity, price}``, attributes (product and variant) are
  ``{original_name, original_value, translated_name, translated_value}``, a variant's
  ``distribution`` is ``{price, min_quantity}``, ``shipping.domestic_shipping_fee`` is
  ``{amount, currency}``, ``pic_region_info`` is ``{region: [x1, y1, x2, y2]}``, sort keys
  are ``relevance | price_asc | price_desc | sales | newest``.
* Errors: HTTP status first (401, 403, 404, 429 + ``Retry-After``, 5xx), body
  ``{"error": {"code", "message"}, "request_id"}`` read for the request id only.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from channels.base import FetchResult, fetch_each
from channels.decoding import integer, money, required, text
from channels.errors import (
    BadRequest,
    ChannelError,
    InvalidId,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UpstreamError,
)
from channels.http import DEFAULT_TIMEOUT_S, UpstreamClient
from channels.model import (
    Attribute,
    Category,
    Channel,
    Description,
    Image,
    ImageKind,
    ListingPage,
    LocalizedText,
    Location,
    Media,
    Option,
    OptionValue,
    Part,
    PriceTier,
    PriceTrio,
    ProductCore,
    ProductRecord,
    SelectedOption,
    SellerRecord,
    Shipping,
    VariantRecord,
    VariantSet,
    Video,
    VideoKind,
)
from channels.policy import UpstreamPolicy

#: The upstream's name for its QPS budget and bans (``channels.policy.DEFAULT_QPS``).
UPSTREAM = "standard"

API_DETAIL = "products/detail"
API_SEARCH = "products/search"
API_SEARCH_BY_IMAGE = "products/search-by-image"
API_SEARCH_BY_SHOP = "products/search-by-shop"
API_UPLOAD_IMAGE = "products/upload-image"

T = TypeVar("T")

SORT_KEYS = frozenset({"relevance", "price_asc", "price_desc", "sales", "newest"})

#: The seed's channel names on the wire; Tmall items are Taobao items there.
WIRE_CHANNEL = {
    Channel.TAOBAO: "taobao",
    Channel.TMALL: "taobao",
    Channel.ALIBABA_1688: "1688",
    Channel.WEIDIAN: "weidian",
}

_IMAGE_KINDS = {"main": ImageKind.MAIN, "gallery": ImageKind.GALLERY,
                "variant": ImageKind.VARIANT}

# HTTP status → error class; the status is the one thing the seed's aggregator and every
# HTTP API agree on, so the body's own code is carried along but not trusted for the class.
HTTP_ERRORS: dict[int, type[ChannelError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    422: BadRequest,
    429: RateLimited,
}


def _amount(obj: Mapping[str, Any], key: str) -> Decimal:
    """A required yuan amount (``channels/decoding.py``: never through float)."""
    return required(money(obj.get(key), key), key)


def _opt_amount(obj: Mapping[str, Any], key: str) -> Decimal | None:
    return money(obj.get(key), key)


def _opt_int(obj: Mapping[str, Any], key: str) -> int | None:
    return integer(obj.get(key), key)


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    return text(obj.get(key), key)


def _label(value: object) -> str | None:
    """An envelope field that only labels an answer or an error (``request_id``, an error
    ``code``): taken as it comes, never a reason to refuse the answer."""
    return None if value is None or value == "" else str(value)


def channel_from_wire(name: str) -> Channel:
    channel = Channel.from_prefix(str(name))
    if channel is None:
        raise ValueError(f"unknown channel {name!r}")
    return channel


def localized_from_standard(value: object) -> LocalizedText:
    if isinstance(value, Mapping):
        return LocalizedText(original=str(value.get("original") or ""),
                             translated=_opt_str(value, "translated"),
                             language=_opt_str(value, "language"))
    return LocalizedText(original=str(value or ""))


def price_from_standard(price: Mapping[str, Any]) -> PriceTrio:
    """Seed 003's ``ProductPrice`` in yuan; ``display_amount`` is required."""
    return PriceTrio(display=_amount(price, "display_amount"),
                     original=_opt_amount(price, "original_amount"),
                     promotion=_opt_amount(price, "promotion_amount"))


def attribute_from_standard(attr: Mapping[str, Any]) -> Attribute:
    return Attribute(
        name=LocalizedText(original=str(attr["original_name"]),
                           translated=_opt_str(attr, "translated_name")),
        value=LocalizedText(original=str(attr["original_value"]),
                            translated=_opt_str(attr, "translated_value")),
    )


def selected_option_from_standard(attr: Mapping[str, Any]) -> SelectedOption:
    return SelectedOption(name=str(attr["original_name"]), value=str(attr["original_value"]),
                          translated_name=_opt_str(attr, "translated_name"),
                          translated_value=_opt_str(attr, "translated_value"))


def variant_from_standard(variant: Mapping[str, Any]) -> VariantRecord:
    distribution = variant.get("distribution") or {}
    return VariantRecord(
        sku_id=str(variant["sku_id"]),
        upstream_sku_id=_opt_str(variant, "upstream_sku_id"),
        selected_options=tuple(selected_option_from_standard(a)
                               for a in variant.get("attributes") or ()),
        price=price_from_standard(variant["price"]),
        stock=_opt_int(variant, "stock"),
        image=_opt_str(variant, "image"),
        distribution_price=_opt_amount(distribution, "price"),
    )


def options_from_variants(variants: Sequence[VariantRecord]) -> tuple[Option, ...]:
    """Seed 003's variant selection: group ``attributes[].original_name``, in order seen.

    A value's swatch is the image of the first variant that has both the value and an image.
    """
    names: dict[str, str | None] = {}
    values: dict[str, dict[str, OptionValue]] = {}
    for variant in variants:
        for opt in variant.selected_options:
            names.setdefault(opt.name, opt.translated_name)
            seen = values.setdefault(opt.name, {})
            current = seen.get(opt.value)
            if current is None or (current.swatch_image is None and variant.image):
                seen[opt.value] = OptionValue(name=opt.value, swatch_image=variant.image,
                                              translated_name=opt.translated_value)
    return tuple(Option(name=n, values=tuple(values[n].values()), translated_name=t)
                 for n, t in names.items())


def seller_from_standard(channel: Channel, seller: Mapping[str, Any],
                         trade_score: object = None) -> SellerRecord | None:
    seller_id = _opt_str(seller, "id")
    if seller_id is None:
        return None
    return SellerRecord(channel=channel, source_id=seller_id,
                        name=str(seller.get("name") or seller_id),
                        shop_url=_opt_str(seller, "shop_url"),
                        trade_score=money(trade_score, "trade_score"))


def shipping_from_standard(shipping: Mapping[str, Any]) -> Shipping | None:
    ships_from = _opt_str(shipping, "shipping_from")
    fee = shipping.get("domestic_shipping_fee") or {}
    if ships_from is None and not fee:
        return None
    return Shipping(ships_from=Location(text=ships_from) if ships_from else None,
                    domestic_fee=_opt_amount(fee, "amount"))


def _images(images: Sequence[Mapping[str, Any]],
            variants: Sequence[VariantRecord] = ()) -> tuple[Image, ...]:
    """``images[]`` in order, each URL once, then the variant images it lacks (seed 003's
    ``variants[].image``); positions from 0 over all of them."""
    out: list[Image] = []
    seen: set[str] = set()
    for img in images:
        url = str(img["url"])
        if url not in seen:
            seen.add(url)
            out.append(Image(url=url, position=len(out),
                             kind=_IMAGE_KINDS.get(str(img.get("type")), ImageKind.GALLERY)))
    for variant in variants:
        if variant.image and variant.image not in seen:
            seen.add(variant.image)
            out.append(Image(url=variant.image, kind=ImageKind.VARIANT, position=len(out)))
    return tuple(out)


def category_from_standard(raw: str | None) -> Category | None:
    """``metadata.raw_category`` ("Catégorie upstream"): a category id, a name, or a path
    ``A > B``; a name stands for the id too, since the model gives no other."""
    if raw is None:
        return None
    if raw.isdigit():
        return Category(id=raw)
    path = tuple(p.strip() for p in re.split(r"\s*(?:>|/|›)\s*", raw) if p.strip())
    if len(path) > 1:
        return Category(id=raw, name=path[-1], path=path)
    return Category(id=raw, name=raw)


def _videos(videos: Mapping[str, Any]) -> tuple[Video, ...]:
    found = [(videos.get("main"), VideoKind.MAIN), (videos.get("detail"), VideoKind.DETAIL)]
    return tuple(Video(url=str(url), kind=kind) for url, kind in found if url)


def product_from_standard(product: Mapping[str, Any]) -> ProductRecord:
    """Map one ``StandardProductDetail`` to a record with every part it carries."""
    channel = channel_from_wire(product["channel"])
    source_id = str(product["source_product_id"])
    variants = tuple(variant_from_standard(v) for v in product.get("variants") or ())
    metadata = product.get("metadata") or {}
    seller = seller_from_standard(channel, product.get("seller") or {},
                                  product.get("trade_score"))
    images = _images(product.get("images") or (), variants)
    by_url = {image.url: image for image in images}
    variants = tuple(replace(v, image_entry=by_url.get(v.image)) if v.image else v
                     for v in variants)
    videos = _videos(product.get("videos") or {})
    price = price_from_standard(product["price"])
    unit_prices = [v.price.effective for v in variants] or [price.effective]
    stocks = [v.stock for v in variants if v.stock is not None]
    distribution = [v.distribution_price for v in variants if v.distribution_price is not None]
    raw_category = _opt_str(metadata, "raw_category")
    updated_at = _opt_str(metadata, "updated_at")
    main_image = next((i.url for i in images if i.kind is ImageKind.MAIN),
                      images[0].url if images else None)
    core = ProductCore(
        title=localized_from_standard(product.get("title")),
        source_url=str(product.get("source_url") or ""),
        price=price,
        price_min=min(unit_prices),
        price_max=max(unit_prices),
        price_tiers=tuple(PriceTier(min_quantity=required(_opt_int(t, "min_quantity"),
                                                          "min_quantity"),
                                    price=_amount(t, "price"))
                          for t in product.get("price_tiers") or ()),
        min_order_quantity=_opt_int(product, "min_order_quantity"),
        distribution_price=min(distribution) if distribution else None,
        distribution_min_quantity=_opt_int(product, "distribution_min_quantity"),
        total_stock=sum(stocks) if stocks else None,
        category=category_from_standard(raw_category),
        brand=_opt_str(metadata, "brand"),
        updated_at=datetime.fromisoformat(updated_at) if updated_at else None,
        attributes=tuple(attribute_from_standard(a) for a in product.get("attributes") or ()),
        shipping=shipping_from_standard(product.get("shipping") or {}),
        seller_id=seller.source_id if seller else None,
        seller_name=seller.name if seller else None,
        main_image=main_image,
    )
    description = product.get("description")
    record = ProductRecord(
        channel=channel,
        source_id=source_id,
        core=core,
        variants=VariantSet(options_from_variants(variants), variants) if variants else None,
        media=Media(images=images, videos=videos) if images or videos else None,
        description=(Description(html=localized_from_standard(description).original)
                     if description else None),
        seller=seller,
    )
    # The detail answers every part the aggregator has; what it lacks is loaded, and empty.
    return replace(record, empty_parts=frozenset(p for p in Part if record.part(p) is None))


def listing_item_from_standard(item: Mapping[str, Any]) -> ProductRecord:
    """A ``StandardProductListItem``: CORE, plus MEDIA (the thumbnail) and SELLER (name)."""
    channel = channel_from_wire(item["channel"])
    image = _opt_str(item, "image")
    seller_name = _opt_str(item.get("seller") or {}, "name")
    core = ProductCore(
        title=localized_from_standard(item.get("title")),
        source_url=str(item.get("source_url") or ""),
        price=price_from_standard(item["price"]),
        seller_name=seller_name,
        main_image=image,
    )
    return ProductRecord(
        channel=channel,
        source_id=str(item["source_product_id"]),
        core=core,
        media=Media(images=(Image(url=image, kind=ImageKind.MAIN, position=0),))
        if image else None,
        # A list item names its shop but not the shop's id: the SELLER part stays unloaded.
    )


def listing_page_from_standard(body: Mapping[str, Any]) -> ListingPage:
    region = (body.get("pic_region_info") or {}).get("region")
    box = None
    if region and len(region) == 4:
        x1, y1, x2, y2 = (required(integer(v, "region"), "region") for v in region)
        box = (x1, y1, x2, y2)
    return ListingPage(
        items=tuple(listing_item_from_standard(i) for i in body.get("items") or ()),
        total=_opt_int(body, "total"),
        page=required(_opt_int(body, "page"), "page"),
        page_size=required(_opt_int(body, "page_size"), "page_size"),
        region=box,
    )


class StandardAdapter:
    """One aggregator speaking seed 003, serving the ``channels`` it was configured for."""

    batch_limit = 1
    parts_per_call: frozenset[Part] = frozenset(Part)

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        channels: tuple[Channel, ...],
        language: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        concurrency: int = 8,
        policy: UpstreamPolicy | None = None,
        redis: Any = None,
    ) -> None:
        """``policy`` and ``redis`` go to the ``UpstreamClient`` (QPS budget, bans, retries;
        shared between processes through ``redis``)."""
        if not token:
            raise ValueError("StandardAdapter needs the aggregator's bearer token")
        if not channels:
            raise ValueError("StandardAdapter needs at least one channel")
        self.channels = tuple(channels)
        self.language = language
        self._base_url = base_url
        self._token = token
        self._slots = asyncio.Semaphore(concurrency)
        # The client names one channel in its messages, but the aggregator is one upstream:
        # its QPS budget, bans and breaker are ``standard``'s, whichever channels it serves
        # (never TOP's, although Taobao may be the first of them).
        self.client = UpstreamClient(channels[0], base_url.rstrip("/") + "/",
                                     transport=transport, timeout_s=timeout_s,
                                     policy=policy, redis=redis, upstream=UPSTREAM)

    def for_channels(self, channels: tuple[Channel, ...]) -> StandardAdapter:
        """The same aggregator serving only ``channels``: one client (QPS budget, bans,
        breaker, connection pool) and one set of concurrency slots with this adapter."""
        if not channels:
            raise ValueError("StandardAdapter needs at least one channel")
        twin = copy.copy(self)
        twin.channels = tuple(channels)
        return twin

    def __repr__(self) -> str:
        names = ",".join(c.value for c in self.channels)
        return f"StandardAdapter(base_url={self._base_url!r}, channels={names})"

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        """Marketplace ids are digits; the aggregator takes them as they are."""
        if not source_id.isascii() or not source_id.isdigit() or len(source_id) > 20:
            raise InvalidId(f"{channel.value} product ids are `{channel.value}_<digits>`; got "
                            f"`{channel.value}_{source_id[:40]}`", channel=channel)
        return source_id

    # -- detail ------------------------------------------------------------------------

    async def fetch(
        self, channel: Channel, source_ids: Sequence[str], parts: frozenset[Part]
    ) -> FetchResult:
        """Every part of each product (one detail call answers them all), per id."""
        self._served(channel)

        async def one(source_id: str) -> ProductRecord:
            return await self.fetch_product(channel, self.validate_source_id(channel, source_id))

        return await fetch_each(source_ids, one, self._slots)

    async def fetch_product(self, channel: Channel, source_id: str) -> ProductRecord:
        params = {"channel": WIRE_CHANNEL[channel], "product_id": source_id}
        if self.language:
            params["language"] = self.language
        body = await self._get(API_DETAIL, params, channel=channel)
        record = self._mapped(API_DETAIL, channel, lambda: product_from_standard(body["product"]))
        return replace(record, channel=channel, request_id=_label(body.get("request_id")))

    # -- listings ----------------------------------------------------------------------

    async def search(
        self, channel: Channel, *, keyword: str, page: int, page_size: int,
        sort: str | None = None, price_min: Decimal | None = None,
        price_max: Decimal | None = None, category_id: str | None = None,
        in_stock_only: bool = False,
    ) -> ListingPage:
        """One page of a keyword search; ``sort`` is one of ``SORT_KEYS``."""
        params = self._page_params(channel, page, page_size, keyword=keyword, sort=sort,
                                   category_id=category_id,
                                   price_min=None if price_min is None else str(price_min),
                                   price_max=None if price_max is None else str(price_max),
                                   in_stock_only="true" if in_stock_only else None)
        body = await self._get(API_SEARCH, params, channel=channel)
        return self._listing(API_SEARCH, channel, body)

    async def search_shop(
        self, channel: Channel, *, shop_id: str, page: int, page_size: int,
        keyword: str | None = None, sort: str | None = None,
    ) -> ListingPage:
        """One page of one shop's items, any shop (``products/search-by-shop``: the path
        and parameters are inferred, README "Routes"); ``sort`` is one of ``SORT_KEYS``."""
        params = self._page_params(channel, page, page_size, shop_id=shop_id,
                                   keyword=keyword or None, sort=sort)
        body = await self._get(API_SEARCH_BY_SHOP, params, channel=channel)
        return self._listing(API_SEARCH_BY_SHOP, channel, body)

    async def search_by_image(
        self, channel: Channel, *, image_url: str | None = None, image_id: str | None = None,
        page: int, page_size: int,
    ) -> ListingPage:
        """Products that look like an image given by URL or by an ``upload_image`` id."""
        if (image_url is None) == (image_id is None):
            raise BadRequest("search by image takes exactly one of image_url and image_id",
                             channel=channel)
        params = self._page_params(channel, page, page_size, image_url=image_url,
                                   image_id=None if image_id is None else str(image_id))
        body = await self._get(API_SEARCH_BY_IMAGE, params, channel=channel)
        return self._listing(API_SEARCH_BY_IMAGE, channel, body)

    async def upload_image(self, channel: Channel, data: bytes, content_type: str) -> str:
        """Store an image with the aggregator for ``search_by_image``; returns its id."""
        self._served(channel)
        if not data:
            raise BadRequest("the image to upload is empty", channel=channel)

        async def attempt() -> Mapping[str, Any]:
            response = await self.client.request(
                "POST", API_UPLOAD_IMAGE, api=API_UPLOAD_IMAGE, headers=self._auth(),
                json={"channel": WIRE_CHANNEL[channel], "content_type": content_type,
                      "image_base64": base64.b64encode(data).decode("ascii")},
            )
            return self._body(response, API_UPLOAD_IMAGE, channel)

        body = await self.client.call(API_UPLOAD_IMAGE, attempt, idempotent=False)
        image_id = _label(body.get("image_id"))
        if image_id is None:
            raise UpstreamError(f"the aggregator answered {API_UPLOAD_IMAGE} without an "
                                "image_id", channel=channel)
        return image_id

    # -- plumbing ----------------------------------------------------------------------

    def _page_params(self, channel: Channel, page: int, page_size: int,
                     sort: str | None = None, **optional: str | None) -> dict[str, str]:
        """A listing's query: the channel, the page, the sort, the language and the
        ``optional`` parameters that are set; a bad page or sort refused before any call."""
        self._served(channel)
        _check_page(channel, page, page_size)
        if sort is not None and sort not in SORT_KEYS:
            raise BadRequest(f"sort must be one of {sorted(SORT_KEYS)}; got {sort[:40]!r}",
                             channel=channel)
        given = {**optional, "sort": sort, "language": self.language}
        return {"channel": WIRE_CHANNEL[channel], "page": str(page),
                "page_size": str(page_size), **{k: v for k, v in given.items() if v is not None}}

    def _served(self, channel: Channel) -> None:
        if channel not in self.channels:
            raise BadRequest(f"this aggregator is not configured for {channel.name}",
                             channel=channel)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def _get(self, api: str, params: dict[str, str], *, channel: Channel
                   ) -> Mapping[str, Any]:
        async def attempt() -> Mapping[str, Any]:
            response = await self.client.request("GET", api, api=api, params=params,
                                                 headers=self._auth())
            return self._body(response, api, channel)

        return await self.client.call(api, attempt)

    def _listing(self, api: str, channel: Channel, body: Mapping[str, Any]) -> ListingPage:
        page = self._mapped(api, channel, lambda: listing_page_from_standard(body))
        items = tuple(replace(i, channel=channel, request_id=_label(body.get("request_id")))
                      for i in page.items)
        return replace(page, items=items)

    def _mapped(self, api: str, channel: Channel, build: Callable[[], T]) -> T:
        try:
            return build()
        except (KeyError, TypeError, ValueError) as exc:     # UndecodableValue included
            raise UpstreamError(f"the aggregator answered {api} with a malformed body "
                                f"({type(exc).__name__}: {exc})", channel=channel) from exc

    def _body(self, response: httpx.Response, api: str, channel: Channel) -> Mapping[str, Any]:
        """The JSON body of a 2xx answer, or the typed error its status names."""
        status = response.status_code
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            body = None
        request_id = _label(body.get("request_id")) if isinstance(body, dict) else None
        if 200 <= status < 300:
            if not isinstance(body, dict):
                raise UpstreamError(f"the aggregator answered {api} with a body that is not "
                                    "a JSON object", channel=channel, http_status=status,
                                    retryable=True)
            return body
        error = body.get("error") if isinstance(body, dict) else None
        upstream_code = _label(error.get("code")) if isinstance(error, dict) else None
        retry_after = _retry_after(response.headers.get("Retry-After"))
        cls = HTTP_ERRORS.get(status, UpstreamError)
        what = {401: "refused the token", 403: "denied access",
                404: "found no such shop" if api == API_SEARCH_BY_SHOP
                else "found no such product", 429: "is rate limiting us"}.get(
                    status, f"answered HTTP {status}")
        raise cls(f"the aggregator {what} for {api} ({channel.name})",
                  channel=channel, http_status=status, request_id=request_id,
                  upstream_code=upstream_code, retry_after=retry_after,
                  retryable=status == 429 or status >= 500)

    async def aclose(self) -> None:
        await self.client.aclose()


def _check_page(channel: Channel, page: int, page_size: int) -> None:
    if page < 1:
        raise BadRequest(f"page starts at 1; got {page}", channel=channel)
    if not 1 <= page_size <= 100:
        raise BadRequest(f"page_size must be between 1 and 100; got {page_size}",
                         channel=channel)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
