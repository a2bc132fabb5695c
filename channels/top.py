"""Taobao and Tmall over the Taobao Open Platform (TOP) ``router/rest`` gateway.

Reads top to bottom: signing and the timestamp (pure), the envelope and the table of TOP
error codes → error classes, pure ``…_from_top`` mapping functions from TOP JSON to the
normalized model, then ``TopAdapter``.

Wire facts are cited from ``docs/protocols.md`` §1 (the TOP docs, the official SDKs):

* every call is a ``POST`` to ``/router/rest``; system params (``method``, ``app_key``,
  ``session``, ``timestamp``, ``v``, ``format``, ``sign_method``, ``sign``) go in the query
  string, business params in the form body, as the official SDKs do (§1.2);
* ``timestamp`` is ``yyyy-MM-dd HH:mm:ss`` in Asia/Shanghai whatever the host zone (§1.3);
* the signature covers every non-empty param but ``sign``, sorted by name (§1.4);
* answers are HTTP 200 for success and API errors alike; an error is ``error_response`` with a
  numeric ``code`` and an optional ``sub_code`` — classify on those, never on ``msg`` (§1.6);
* without ``simplify`` the answer sits under ``<method minus "taobao.", "." → "_">_response``
  and every list is wrapped (``{"skus": {"sku": [...]}}``); with it, the root is the answer and
  lists are plain (§1.5).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import httpx

from channels.base import FetchResult, numeric_source_id
from channels.decoding import (
    SHANGHAI,
    SHANGHAI_TIME_FORMAT,
    UndecodableValue,
    integer,
    money,
    shanghai_time,
    text,
)
from channels.errors import (
    BadRequest,
    ChannelError,
    NotFound,
    PageDepthExceeded,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UpstreamError,
)
from channels.http import DEFAULT_TIMEOUT_S, UpstreamClient
from channels.model import (
    Attribute,
    CatalogProductRecord,
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
    PriceTrio,
    ProductCondition,
    ProductCore,
    ProductRecord,
    ProductStatus,
    SelectedOption,
    SellerRecord,
    Shipping,
    VariantRecord,
    VariantSet,
    Video,
)
from channels.policy import UpstreamPolicy

JsonObject = dict[str, Any]

DEFAULT_GATEWAY_URL = "https://gw.api.taobao.com/router/rest"
#: One item per call (apiId 24625); the batch method carries up to ``TOP_BATCH_LIMIT`` ids.
DEFAULT_ITEM_METHOD = "taobao.item.seller.get"
DEFAULT_BATCH_METHOD = "taobao.items.seller.list.get"
SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
#: ``num_iids`` of the batch methods carries at most 20 ids (apiId 24626, 40575, 41665).
TOP_BATCH_LIMIT = 20
CATALOG_METHOD = "taobao.product.get.tmall"
PARTNER_ID = "productgraph"


# --------------------------------------------------------------------------- signing

def top_sign(params: Mapping[str, str], secret: str, sign_method: str = "md5") -> str:
    """The TOP ``sign`` of ``params`` (§1.4): uppercase hex.

    Every param but ``sign``, empty values and file (``bytes``) values, sorted by name and
    concatenated ``name1value1name2value2…``; ``md5`` wraps the text in the secret, ``hmac``
    is HMAC-MD5 and ``hmac-sha256`` HMAC-SHA256 keyed by the secret.
    """
    items = sorted(
        (key, value) for key, value in params.items()
        if key != "sign" and value not in (None, "") and not isinstance(value, bytes)
    )
    text = "".join(key + value for key, value in items).encode()
    key = secret.encode()
    if sign_method == "hmac":
        return hmac.new(key, text, hashlib.md5).hexdigest().upper()
    if sign_method == "hmac-sha256":
        return hmac.new(key, text, hashlib.sha256).hexdigest().upper()
    if sign_method not in ("md5", ""):
        raise ValueError(f"unknown TOP sign_method {sign_method!r}; use one of {SIGN_METHODS}")
    return hashlib.md5(key + text + key).hexdigest().upper()


def top_timestamp(now: datetime | None = None) -> str:
    """``now`` as TOP wants it: ``yyyy-MM-dd HH:mm:ss`` in Asia/Shanghai (GMT+8).

    The gateway allows ±10 minutes; the official python3 SDK formats local time and is
    8 hours off on a UTC host (§1.3), so the zone is always explicit here. A naive ``now``
    is taken as UTC.
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(SHANGHAI).strftime(SHANGHAI_TIME_FORMAT)


# --------------------------------------------------------------------------- envelope

def response_key(method: str) -> str:
    """The root key of a non-simplified answer: ``taobao.item.seller.get`` →
    ``item_seller_get_response`` (only a leading ``taobao.`` is dropped, §1.5)."""
    name = method.removeprefix("taobao.") if method.startswith("taobao.") else method
    return name.replace(".", "_") + "_response"


def top_list(value: Any, item_name: str) -> list[JsonObject]:
    """A TOP list in either shape: ``{"sku": [...]}`` (default) or ``[...]`` (simplify)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict):
        inner = value.get(item_name)
        if inner is None:
            # The Java SDK falls back to the list name minus its last char; any one list
            # member will do when the singular name differs from what we guessed.
            inner = next((v for v in value.values() if isinstance(v, list | dict)), None)
        if isinstance(inner, dict):
            return [inner]
        if isinstance(inner, list):
            return [v for v in inner if isinstance(v, dict)]
    return []


def parse_top_response(
    payload: Any, method: str, *, channel: Channel, simplify: bool
) -> tuple[JsonObject, str | None]:
    """The answer object of ``method`` and its ``request_id``; raises for ``error_response``."""
    if not isinstance(payload, dict):
        raise UpstreamError(f"{channel.value} answered {method} with a non-object body",
                            channel=channel, retryable=True)
    error = payload.get("error_response")
    if isinstance(error, dict):
        raise error_from_top(error, method=method, channel=channel)
    body: Any = payload
    key = response_key(method)
    if key in payload:
        body = payload[key]
    elif not simplify:
        # The official Java parser takes the first object member of the root.
        body = next((v for v in payload.values() if isinstance(v, dict)), None)
    if not isinstance(body, dict):
        raise UpstreamError(f"{channel.value} answered {method} without a `{key}` object",
                            channel=channel, retryable=False)
    request_id = body.get("request_id") or payload.get("request_id")
    return body, str(request_id) if request_id else None


# --------------------------------------------------------------------------- errors

#: Codes of a missing/invalid app key, signature, session or timestamp (§1.6).
AUTH_CODES = frozenset({24, 25, 26, 27, 28, 29, 30, 31, 44})
#: Insufficient isv / user / partner / session permissions, security level.
PERMISSION_CODES = frozenset({11, 12, 13, 42, 53})
#: The request itself is wrong (missing/invalid method, format, version, argument):
#: a bug or a misconfiguration on our side, never worth a retry.
REQUEST_BUG_CODES = frozenset({21, 22, 23, 32, 33, 34, 40, 41, 43, 47})
#: The app's daily quota (code 7): its ban lasts hours, not worth waiting for.
APP_QUOTA_SUB_CODE = "accesscontrol.limited-by-app-access-count"

_BAN_SECONDS = re.compile(r"This ban will last for (\d+) more seconds")
_NOT_FOUND_SUB_CODE = re.compile(r"^isv\.[\w.-]*(not-exist|not-found|is-delete|deleted)")


def ban_seconds(sub_msg: str | None) -> float | None:
    """N of ``This ban will last for N more seconds`` (code 7's ``sub_msg``)."""
    match = _BAN_SECONDS.search(sub_msg or "")
    return float(match.group(1)) if match else None


def error_from_top(error: Mapping[str, Any], *, method: str, channel: Channel) -> ChannelError:
    """The typed error for one ``error_response``, chosen by ``code`` and ``sub_code``."""
    raw_code = error.get("code")
    try:
        code: int | None = int(raw_code) if raw_code is not None else None
    except (TypeError, ValueError):
        code = None
    sub_code = str(error["sub_code"]) if error.get("sub_code") else None
    request_id = str(error["request_id"]) if error.get("request_id") else None
    sub = sub_code or ""
    what = f"{error.get('msg') or 'error'} (code {raw_code}" + (f", {sub_code})" if sub_code
                                                                 else ")")
    common: dict[str, Any] = {
        "channel": channel, "request_id": request_id, "sub_code": sub_code,
        "upstream_code": None if raw_code is None else str(raw_code), "http_status": 200,
    }

    if code == 7 or sub.startswith("accesscontrol."):
        wait = ban_seconds(error.get("sub_msg"))
        return RateLimited(
            f"{channel.value} rate-limited {method}: {what}"
            + (f"; the ban lasts {wait:.0f} more seconds" if wait is not None else ""),
            retry_after=wait, retryable=sub != APP_QUOTA_SUB_CODE, **common)
    if code in AUTH_CODES:
        return Unauthenticated(
            f"{channel.value} refused the credentials for {method}: {what}", **common)
    if code in PERMISSION_CODES or sub.startswith("isv.permission"):
        return PermissionDenied(
            f"{channel.value} denied {method} to this app or session: {what}", **common)
    if code in REQUEST_BUG_CODES:
        return UpstreamError(
            f"{channel.value} rejected productgraph's {method} call: {what}",
            retryable=False, **common)
    if _NOT_FOUND_SUB_CODE.match(sub):
        return NotFound(f"{channel.value} has no such item ({method}: {what})", **common)
    if sub.startswith("isp."):
        return UpstreamError(f"{channel.value} failed {method}: {what}", retryable=True,
                             **common)
    if sub.startswith(("isv.invalid-parameter", "isv.missing-parameter")):
        return BadRequest(f"{channel.value} rejected the arguments of {method}: {what}",
                          **common)
    return UpstreamError(f"{channel.value} failed {method}: {what}",
                         retryable=code == 10, **common)


# --------------------------------------------------------------------------- mapping

class PropValue(NamedTuple):
    """One ``pid:vid:pid_name:vid_name`` entry; ids stay strings (custom ones are negative)."""

    pid: str
    vid: str
    name: str
    value: str

    @property
    def key(self) -> str:
        return f"{self.pid}:{self.vid}"


def unescape_prop(text: str) -> str:
    """TOP escapes ``:`` as ``#cln#`` and ``;`` as ``#scln#`` inside property names (§1.8)."""
    return text.replace("#scln#", ";").replace("#cln#", ":")


def parse_props_name(text: str | None) -> list[PropValue]:
    """``props_name`` / ``properties_name``: ``pid:vid:pid_name:vid_name;…``.

    Each entry splits into exactly four parts (names cannot hold a raw ``:``); entries that
    are not in that shape are skipped.
    """
    out: list[PropValue] = []
    for entry in (text or "").split(";"):
        parts = entry.split(":", 3)
        if len(parts) != 4 or not _is_int(parts[0]) or not _is_int(parts[1]):
            continue
        pid, vid, name, value = parts
        out.append(PropValue(pid, vid, unescape_prop(name), unescape_prop(value)))
    return out


def parse_properties(text: str | None) -> list[tuple[str, str]]:
    """A SKU's ``properties`` (``p1:v1;p2:v2``) as ``(pid, vid)`` pairs."""
    out: list[tuple[str, str]] = []
    for entry in (text or "").split(";"):
        parts = entry.split(":")
        if len(parts) >= 2 and _is_int(parts[0]) and _is_int(parts[1]):
            out.append((parts[0], parts[1]))
    return out


def parse_property_alias(text: str | None) -> dict[str, str]:
    """``property_alias`` (``pid:vid:alias;…``) as ``{"pid:vid": alias}``."""
    out: dict[str, str] = {}
    for entry in (text or "").split(";"):
        parts = entry.split(":", 2)
        if len(parts) == 3 and _is_int(parts[0]) and _is_int(parts[1]) and parts[2]:
            out[f"{parts[0]}:{parts[1]}"] = unescape_prop(parts[2])
    return out


def parse_name_values(text: str | None) -> list[tuple[str, str]]:
    """A Product ``props_str`` / ``binds_str`` / ``sale_props_str``: ``name:value;…``
    (or the four-part ``pid:vid:name:value`` form), escapes undone."""
    out: list[tuple[str, str]] = []
    for entry in (text or "").split(";"):
        parts = entry.split(":")
        if len(parts) == 4 and _is_int(parts[0]) and _is_int(parts[1]):
            out.append((unescape_prop(parts[2]), unescape_prop(parts[3])))
        elif len(parts) >= 2:
            name, value = entry.split(":", 1)
            out.append((unescape_prop(name), unescape_prop(value)))
    return out


def source_url(channel: Channel, num_iid: str) -> str:
    """The canonical page of an item."""
    if channel is Channel.TMALL:
        return f"https://detail.tmall.com/item.htm?id={num_iid}"
    return f"https://item.taobao.com/item.htm?id={num_iid}"


def location_from_top(value: Any) -> Location | None:
    """``location`` is ``{state, city}`` in TOP; some payloads give one string."""
    if isinstance(value, dict):
        state, city = _text(value, "state"), _text(value, "city")
        if state or city:
            return Location(province=state, city=city)
        return None
    raw = text(value, "location")
    if raw is None:
        return None
    pieces = [p.strip() for p in re.split(r"[,，]", raw) if p.strip()]
    if len(pieces) == 2:
        return Location(province=pieces[0], city=pieces[1], text=raw)
    return Location(text=raw)


def images_from_top(item: Mapping[str, Any]) -> tuple[Image, ...]:
    """``item_imgs`` by position (the main image has id 0 / position 0), then ``prop_imgs``
    as VARIANT images; ``pic_url`` stands in when there is no ``item_imgs``."""
    item_imgs = sorted(
        (img for img in top_list(item.get("item_imgs"), "item_img") if _text(img, "url")),
        key=lambda img: (_int(img, "position") or 0, _int(img, "id") or 0),
    )
    urls = [str(img["url"]) for img in item_imgs]
    main_index = next(
        (i for i, img in enumerate(item_imgs)
         if _int(img, "id") == 0 or _int(img, "position") == 0), 0)
    if main_index:
        urls.insert(0, urls.pop(main_index))
    pic_url = _text(item, "pic_url")
    if not urls and pic_url:
        urls = [pic_url]
    images = [Image(url=url, kind=ImageKind.MAIN if i == 0 else ImageKind.GALLERY, position=i)
              for i, url in enumerate(urls)]
    prop_imgs = sorted(top_list(item.get("prop_imgs"), "prop_img"),
                       key=lambda img: _int(img, "position") or 0)
    images += [Image(url=str(img["url"]), kind=ImageKind.VARIANT, position=i)
               for i, img in enumerate(p for p in prop_imgs if _text(p, "url"))]
    return tuple(images)


def videos_from_top(item: Mapping[str, Any]) -> tuple[Video, ...]:
    return tuple(Video(url=str(v["url"])) for v in top_list(item.get("videos"), "video")
                 if _text(v, "url"))


def _skus(item: Mapping[str, Any]) -> list[JsonObject]:
    # ``sku_list`` is the name seed 000's payload uses for ``skus``.
    return top_list(item.get("skus") if "skus" in item else item.get("sku_list"), "sku")


def options_and_variants_from_top(item: Mapping[str, Any]) -> VariantSet | None:
    """Options (sale props, in first-seen order, with swatches) and one variant per SKU.

    Names come from the SKU's ``properties_name``, else the item's ``props_name``; the
    seller's ``property_alias`` overrides a value's name; ``prop_imgs`` give swatches and
    the image of every SKU carrying that value. ``None`` when the item has no SKUs.
    """
    skus = _skus(item)
    if not skus:
        return None
    aliases = parse_property_alias(_text(item, "property_alias"))
    item_props = parse_props_name(_text(item, "props_name"))
    names: dict[str, PropValue] = {p.key: p for p in item_props}
    prop_names: dict[str, str] = {p.pid: p.name for p in names.values()}
    swatches = {str(img.get("properties")): str(img["url"])
                for img in top_list(item.get("prop_imgs"), "prop_img")
                if img.get("properties") and _text(img, "url")}

    option_values: dict[str, dict[str, OptionValue]] = {}   # pid → vid key → value
    option_names: dict[str, str] = {}
    variants: list[VariantRecord] = []
    for sku in skus:
        own = parse_props_name(_text(sku, "properties_name"))
        pairs = _sku_pairs(sku, own)
        own_names = {p.key: p for p in own}
        selected: list[SelectedOption] = []
        image: str | None = None
        for pid, vid in pairs:
            key = f"{pid}:{vid}"
            known = own_names.get(key) or names.get(key)
            option_name = option_names.setdefault(
                pid, known.name if known else prop_names.get(pid, pid))
            value_name = aliases.get(key) or (known.value if known else vid)
            values = option_values.setdefault(pid, {})
            if key not in values:
                values[key] = OptionValue(name=value_name, swatch_image=swatches.get(key))
            selected.append(SelectedOption(name=option_name, value=value_name))
            image = image or swatches.get(key)
        if not pairs:
            selected = _unstructured_options(_text(sku, "properties_name"))
        price = _money(sku, "price")
        variants.append(VariantRecord(
            sku_id=str(sku.get("sku_id", "")),
            selected_options=tuple(selected),
            price=PriceTrio(display=price if price is not None else Decimal("0")),
            stock=_int(sku, "quantity"),
            image=image,
            outer_id=_text(sku, "outer_id"),
            barcode=_text(sku, "barcode"),
        ))
    options = tuple(Option(name=option_names[pid], values=tuple(values.values()))
                    for pid, values in option_values.items())
    if not options:
        options = _options_of(variants)
    return VariantSet(options=options, variants=tuple(variants))


def _unstructured_options(text: str | None) -> list[SelectedOption]:
    """A ``properties_name`` without ``pid:vid`` (``"White / L"``): one option per part."""
    parts = [p.strip() for p in (text or "").split("/") if p.strip()]
    return [SelectedOption(name=f"Option {i}", value=p) for i, p in enumerate(parts, 1)]


def _options_of(variants: Sequence[VariantRecord]) -> tuple[Option, ...]:
    order: dict[str, dict[str, OptionValue]] = {}
    for variant in variants:
        for sel in variant.selected_options:
            order.setdefault(sel.name, {}).setdefault(sel.value, OptionValue(name=sel.value))
    return tuple(Option(name=n, values=tuple(v.values())) for n, v in order.items())


def _sku_pairs(sku: Mapping[str, Any], named: list[PropValue]) -> list[tuple[str, str]]:
    """A SKU's ``(pid, vid)`` pairs: from ``properties_name`` when it parses (it carries the
    names too; seed 002's sample has a ``properties`` that does not match it), else from
    ``properties``."""
    if named:
        return [(p.pid, p.vid) for p in named]
    return parse_properties(_text(sku, "properties"))


def _sale_pids(item: Mapping[str, Any]) -> set[str]:
    pids: set[str] = set()
    for sku in _skus(item):
        named = parse_props_name(_text(sku, "properties_name"))
        pids |= {pid for pid, _ in _sku_pairs(sku, named)}
    return pids


#: The brand property (``品牌``) has the same pid in every category.
BRAND_PID = "20000"


def attributes_from_top(item: Mapping[str, Any]) -> tuple[Attribute, ...]:
    """The item's non-sale properties from ``props_name``, for display only."""
    sale = _sale_pids(item)
    return tuple(
        Attribute(name=LocalizedText(p.name), value=LocalizedText(p.value))
        for p in parse_props_name(_text(item, "props_name")) if p.pid not in sale)


def _brand(item: Mapping[str, Any]) -> str | None:
    for p in parse_props_name(_text(item, "props_name")):
        if p.pid == BRAND_PID or p.name.lower() in ("品牌", "brand"):
            return p.value
    return None


_STATUS = {"onsale": ProductStatus.ON_SALE, "instock": ProductStatus.IN_STOCK_ROOM}
_CONDITION = {"new": ProductCondition.NEW, "unused": ProductCondition.UNUSED,
              "second": ProductCondition.SECOND_HAND}


def category_from_top(item: Mapping[str, Any]) -> Category | None:
    cid = item.get("cid")
    if cid in (None, ""):
        return None
    name = _text(item, "category_name") or _text(item, "cat_name")
    path = tuple(p.strip() for p in name.split(">")) if name and ">" in name else None
    return Category(id=str(cid), name=path[-1] if path else name, path=path)


def core_from_top(item: Mapping[str, Any], channel: Channel) -> ProductCore:
    num_iid = str(item.get("num_iid", ""))
    price = _money(item, "price")
    variant_prices = [p for p in (_money(s, "price") for s in _skus(item)) if p is not None]
    prices = variant_prices or ([price] if price is not None else [])
    location = location_from_top(item.get("location"))
    fees = {name: _money(item, name) for name in ("post_fee", "express_fee", "ems_fee")}
    postage_id = _text(item, "postage_id")
    shipping = None
    if location or postage_id or any(v is not None for v in fees.values()):
        shipping = Shipping(ships_from=location, domestic_fee=fees["post_fee"],
                            express_fee=fees["express_fee"], ems_fee=fees["ems_fee"],
                            freight_template_id=postage_id)
    nick = _text(item, "nick")
    seller_id = _text(item, "seller_id") or _text(item, "user_id") or nick
    sales_key = "sold_quantity" if "sold_quantity" in item else "sales"
    display = price if price is not None else (min(prices) if prices else Decimal("0"))
    return ProductCore(
        title=LocalizedText(original=str(item.get("title") or "")),
        source_url=_text(item, "detail_url") or source_url(channel, num_iid),
        price=PriceTrio(display=display, original=price,
                        promotion=_money(item, "promotion_price")),
        price_min=min(prices) if prices else None,
        price_max=max(prices) if prices else None,
        total_stock=_int(item, "num"),
        sales_count=_int(item, sales_key),
        category=category_from_top(item),
        brand=_brand(item),
        condition=_CONDITION.get(str(item.get("stuff_status") or "")),
        status=_STATUS.get(str(item.get("approve_status") or "")),
        listed_at=_time(item, "list_time"),
        updated_at=_time(item, "modified") or _time(item, "modified_time"),
        attributes=attributes_from_top(item),
        shipping=shipping,
        seller_id=seller_id,
        seller_name=nick,
        catalog_product_id=_text(item, "product_id"),
        main_image=_text(item, "pic_url"),
    )


def seller_from_top(item: Mapping[str, Any], channel: Channel) -> SellerRecord | None:
    """The shop; TOP's Item carries only the seller's nick, which then is its id."""
    nick = _text(item, "nick")
    if nick is None:
        return None
    source = _text(item, "seller_id") or _text(item, "user_id") or nick
    return SellerRecord(channel=channel, source_id=source, name=nick,
                        location=location_from_top(item.get("location")))


def item_from_top(
    item: Mapping[str, Any], channel: Channel, parts: frozenset[Part],
    *, request_id: str | None = None,
) -> ProductRecord:
    """One TOP Item as a record carrying exactly ``parts`` (empty ones in ``empty_parts``).

    CATALOG is not in an Item: the adapter fetches it (``taobao.product.get.tmall``).
    """
    record = ProductRecord(channel=channel, source_id=str(item.get("num_iid", "")),
                           request_id=request_id)
    values: dict[str, Any] = {}
    empty: set[Part] = set()
    if Part.CORE in parts:
        values["core"] = core_from_top(item, channel)
    if Part.VARIANTS in parts:
        values["variants"] = options_and_variants_from_top(item)
    if Part.MEDIA in parts:
        images, videos = images_from_top(item), videos_from_top(item)
        values["media"] = Media(images=images, videos=videos) if images or videos else None
    if Part.DESCRIPTION in parts:
        html = _text(item, "desc")
        values["description"] = Description(html=html) if html else None
    if Part.SELLER in parts:
        values["seller"] = seller_from_top(item, channel)
    for name, value in values.items():
        if value is None:
            empty.add(Part(name))
    filled = {name: value for name, value in values.items() if value is not None}
    return replace(record, **filled, empty_parts=frozenset(empty))


def catalog_product_from_top(product: Mapping[str, Any]) -> CatalogProductRecord:
    """A Tmall catalog product (seed 001, ``taobao.product.get.tmall``)."""
    def attributes(field: str) -> tuple[Attribute, ...]:
        return tuple(Attribute(name=LocalizedText(n), value=LocalizedText(v))
                     for n, v in parse_name_values(_text(product, field)))

    cid = product.get("cid")
    images: list[Image] = []
    pic_url = _text(product, "pic_url")
    if pic_url:
        images.append(Image(url=pic_url, kind=ImageKind.MAIN, position=0))
    gallery = sorted(top_list(product.get("product_imgs"), "product_img"),
                     key=lambda img: _int(img, "position") or 0)
    images += [Image(url=str(img["url"]), kind=ImageKind.GALLERY, position=len(images) + i)
               for i, img in enumerate(g for g in gallery if _text(g, "url"))]
    prop_imgs = sorted(top_list(product.get("product_prop_imgs"), "product_prop_img"),
                       key=lambda img: _int(img, "position") or 0)
    return CatalogProductRecord(
        product_id=str(product.get("product_id", "")),
        name=str(product.get("name") or ""),
        category=Category(id=str(cid), name=_text(product, "cat_name"))
        if cid not in (None, "") else None,
        key_properties=attributes("props_str"),
        binding_properties=attributes("binds_str"),
        sale_properties=attributes("sale_props_str"),
        market_price=_money(product, "price"),
        images=tuple(images),
        property_images=tuple(
            Image(url=str(img["url"]), kind=ImageKind.VARIANT, position=i)
            for i, img in enumerate(p for p in prop_imgs if _text(p, "url"))),
        status=_text(product, "status"),
        sell_point=_text(product, "sell_pt"),
        outer_id=_text(product, "outer_id"),
        description=_text(product, "desc"),
        created_at=_time(product, "created"),
        updated_at=_time(product, "modified"),
    )


def _text(obj: Mapping[str, Any], key: str) -> str | None:
    return text(obj.get(key), key)


def _int(obj: Mapping[str, Any], key: str) -> int | None:
    return integer(obj.get(key), key)


def _money(obj: Mapping[str, Any], key: str) -> Decimal | None:
    return money(obj.get(key), key)


def _time(obj: Mapping[str, Any], key: str) -> datetime | None:
    return shanghai_time(obj.get(key), key)


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


# --------------------------------------------------------------------------- listings

#: ``taobao.items.onsale.get`` (apiId 18): at most 200 items a page, and never deeper than
#: ``page_no * page_size`` = 20000 (code 41 ``isv.invalid-parameter`` past it).
ONSALE_METHOD = "taobao.items.onsale.get"
ONSALE_MAX_PAGE_SIZE = 200
ONSALE_MAX_DEPTH = 20_000
#: The Item fields the listing returns that the model uses (its own allow-list, apiId 18).
ONSALE_FIELDS = (
    "num_iid", "title", "nick", "cid", "num", "price", "approve_status", "list_time",
    "modified", "sold_quantity", "outer_id", "postage_id", "pic_url",
)
ONSALE_ORDER_KEYS = frozenset({"list_time", "delist_time", "num", "modified", "sold_quantity"})


def onsale_page_from_top(body: Mapping[str, Any], channel: Channel, *, page_no: int,
                         page_size: int, request_id: str | None = None) -> ListingPage:
    """``items_onsale_get_response``: page ``page_no``, each Item as a CORE + SELLER summary.

    The listing has no SKUs, so the price range is the item price alone until VARIANTS
    load; ``outer_id`` is the seller's own item code.
    """
    items = []
    for item in top_list(body.get("items"), "item"):
        record = item_from_top(item, channel, frozenset({Part.CORE, Part.SELLER}),
                               request_id=request_id)
        if record.core is not None:
            record = replace(record, core=replace(record.core, price_min=None, price_max=None,
                                                  outer_id=_text(item, "outer_id")))
        items.append(record)
    return ListingPage(items=tuple(items), total=_int(body, "total_results") or 0,
                       page=page_no, page_size=page_size)


def top_time(value: datetime) -> str:
    """An aware datetime as TOP's ``yyyy-MM-dd HH:mm:ss`` in Asia/Shanghai."""
    if value.tzinfo is None:
        raise ValueError("TOP times need a time zone")
    return value.astimezone(SHANGHAI).strftime(SHANGHAI_TIME_FORMAT)


# --------------------------------------------------------------------------- fields

_CORE_FIELDS = (
    "num_iid", "title", "price", "promotion_price", "num", "sold_quantity", "cid",
    "props_name", "property_alias", "approve_status", "stuff_status", "list_time",
    "modified", "detail_url", "location", "nick", "post_fee", "express_fee", "ems_fee",
    "postage_id", "product_id", "pic_url",
)
_PART_FIELDS: dict[Part, tuple[str, ...]] = {
    Part.CORE: _CORE_FIELDS,
    # ``sku`` not ``skus``: "返回所有sku信息的字段名称是sku而不是skus" (apiId 24626).
    Part.VARIANTS: ("sku", "props_name", "property_alias", "prop_img"),
    Part.MEDIA: ("item_img", "prop_img", "video", "pic_url"),
    Part.DESCRIPTION: ("desc",),
    Part.SELLER: ("nick", "location"),
    Part.CATALOG: ("product_id",),
}

CATALOG_FIELDS = (
    "product_id", "outer_id", "cid", "cat_name", "props", "props_str", "name", "binds",
    "binds_str", "sale_props", "sale_props_str", "price", "desc", "pic_url", "created",
    "modified", "status", "property_alias", "sell_pt", "product_imgs", "product_prop_imgs",
)


def fields_for_parts(parts: frozenset[Part]) -> list[str]:
    """The TOP ``fields`` for ``parts``: a CORE-only query never asks for SKUs, images or
    the description. ``num_iid`` is always there (results are matched on it)."""
    fields: dict[str, None] = {"num_iid": None}
    for part in Part:
        if part in parts:
            fields.update(dict.fromkeys(_PART_FIELDS[part]))
    return list(fields)


# --------------------------------------------------------------------------- adapter

#: One fetched item: its record and the catalog ``product_id`` it links to.
_Fetched = tuple[ProductRecord, str | None]


def _undecodable(channel: Channel, method: str, what: str, request_id: str | None,
                 exc: UndecodableValue) -> UpstreamError:
    """A field of one answer that the decoding policy refuses (``channels/decoding.py``)."""
    return UpstreamError(f"{channel.value} answered {method} for {what} with an undecodable "
                         f"field: {exc}", channel=channel, request_id=request_id,
                         http_status=200, retryable=False)


def _not_found(channel: Channel, source_id: str, request_id: str | None,
               cause: ChannelError | None = None) -> NotFound:
    return NotFound(f"no {channel.value} product {source_id}", channel=channel,
                    request_id=request_id,
                    sub_code=cause.sub_code if cause else None,
                    upstream_code=cause.upstream_code if cause else None)


class TopAdapter:
    """Taobao and Tmall items (and Tmall catalog products) through the TOP gateway.

    With a batch method (``taobao.items.seller.list.get[.tmall]``, or
    ``taobao.items.inside.list.get`` for group-internal app keys) one call carries up to 20
    ids and ids missing from its answer are ``NotFound``; without one, each id costs one
    ``item_method`` call, at most ``concurrency`` at a time.
    """

    channels: tuple[Channel, ...] = (Channel.TAOBAO, Channel.TMALL)
    parts_per_call = frozenset(Part) - {Part.CATALOG}
    #: ``ShopListing``: the largest ``page_size`` of ``list_onsale``.
    max_page_size = ONSALE_MAX_PAGE_SIZE

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        session: str | None = None,
        sign_method: str = "md5",
        gateway_url: str = DEFAULT_GATEWAY_URL,
        item_method: str = DEFAULT_ITEM_METHOD,
        batch_method: str | None = DEFAULT_BATCH_METHOD,
        simplify: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        concurrency: int = 8,
        policy: UpstreamPolicy | None = None,
        redis: Any = None,
    ) -> None:
        """``policy`` and ``redis`` go to the ``UpstreamClient`` (QPS budget, bans, retries;
        shared between processes through ``redis``)."""
        if sign_method not in SIGN_METHODS:
            raise ValueError(f"sign_method must be one of {SIGN_METHODS}, got {sign_method!r}")
        self._app_key = app_key
        self._secret = app_secret
        self._session = session
        self._sign_method = sign_method
        self._gateway_url = gateway_url
        self.item_method = item_method
        self.batch_method = batch_method
        self.simplify = simplify
        self.batch_limit = TOP_BATCH_LIMIT if batch_method else 1
        self._limit = asyncio.Semaphore(max(1, concurrency))
        # One client for both channels: Taobao and Tmall share one TOP app, its QPS budget
        # and its bans.
        self._client = UpstreamClient(Channel.TAOBAO, gateway_url, transport=transport,
                                      timeout_s=timeout_s, policy=policy, redis=redis)

    def __repr__(self) -> str:
        return (f"TopAdapter(app_key={self._app_key!r}, gateway_url={self._gateway_url!r}, "
                f"sign_method={self._sign_method!r})")

    @property
    def client(self) -> UpstreamClient:
        return self._client

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        return numeric_source_id(channel, source_id)

    # -- one signed call

    def build_request(
        self, method: str, business: Mapping[str, str], *, now: datetime | None = None
    ) -> tuple[dict[str, str], dict[str, str]]:
        """``(query, form)`` of one call: system params and ``sign`` in the query string,
        business params in the form body; empty values are never sent (§1.4)."""
        system = {
            "method": method, "app_key": self._app_key, "session": self._session or "",
            "timestamp": top_timestamp(now), "format": "json", "v": "2.0",
            "sign_method": self._sign_method, "partner_id": PARTNER_ID,
            "simplify": "true" if self.simplify else "",
        }
        query = {k: v for k, v in system.items() if v}
        form = {k: v for k, v in business.items() if v not in (None, "")}
        query["sign"] = top_sign({**query, **form}, self._secret, self._sign_method)
        return query, form

    async def call(self, method: str, business: Mapping[str, str], *,
                   channel: Channel) -> tuple[JsonObject, str | None]:
        """One logical TOP call (through ``UpstreamClient.call``): the answer object and its
        ``request_id``, or a typed error."""
        async def attempt() -> tuple[JsonObject, str | None]:
            query, form = self.build_request(method, business)
            response = await self._client.request(
                "POST", self._gateway_url, api=method, params=query, data=form)
            return self._parse(response, method, channel)

        try:
            # The concurrency slot comes before the QPS slot (taken inside ``call``): a call
            # granted a QPS slot must go out at once, not queue behind the semaphore and
            # reach the gateway in a bunch with later grants.
            async with self._limit:
                return await self._client.call(method, attempt)
        except ChannelError as exc:
            exc.channel = channel
            self._redact(exc)
            raise

    def _parse(self, response: httpx.Response, method: str,
               channel: Channel) -> tuple[JsonObject, str | None]:
        if response.status_code != 200:
            raise UpstreamError(
                f"{channel.value} answered {method} with HTTP {response.status_code}",
                channel=channel, http_status=response.status_code,
                retryable=response.status_code >= 500 or response.status_code == 429)
        try:
            payload = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise UpstreamError(f"{channel.value} answered {method} with a non-JSON body",
                                channel=channel, http_status=200, retryable=True) from None
        return parse_top_response(payload, method, channel=channel, simplify=self.simplify)

    def _redact(self, exc: ChannelError) -> None:
        """The error with the secret and session cut out of its message, should an
        upstream ever echo them."""
        message = exc.message
        for secret in (self._secret, self._session):
            if secret and secret in message:
                message = message.replace(secret, "***")
        if message != exc.message:
            exc.message = message
            exc.args = (message,)

    # -- items

    async def fetch(
        self, channel: Channel, source_ids: Sequence[str], parts: frozenset[Part]
    ) -> FetchResult:
        """Fetch ``parts`` of every id: a record or a typed error per id, in id order."""
        ids = list(dict.fromkeys(source_ids))
        fields = ",".join(fields_for_parts(parts))
        results: dict[str, _Fetched | ChannelError] = {}
        if self.batch_method:
            chunks = [ids[i:i + TOP_BATCH_LIMIT] for i in range(0, len(ids), TOP_BATCH_LIMIT)]
            for chunk_result in await asyncio.gather(
                    *(self._fetch_batch(channel, chunk, parts, fields) for chunk in chunks)):
                results.update(chunk_result)
        else:
            singles = await asyncio.gather(
                *(self._fetch_one(channel, sid, parts, fields) for sid in ids))
            results.update(zip(ids, singles, strict=True))
        if Part.CATALOG in parts:
            records = await self._with_catalog(results)
        else:
            records = {sid: r if isinstance(r, ChannelError) else r[0]
                       for sid, r in results.items()}
        return {sid: records[sid] for sid in source_ids}

    async def _fetch_batch(
        self, channel: Channel, ids: Sequence[str], parts: frozenset[Part], fields: str
    ) -> dict[str, _Fetched | ChannelError]:
        assert self.batch_method is not None
        try:
            body, request_id = await self.call(
                self.batch_method, {"fields": fields, "num_iids": ",".join(ids)},
                channel=channel)
        except ChannelError as exc:
            return dict.fromkeys(ids, exc)
        found: dict[str, _Fetched | ChannelError] = {}
        for item in top_list(body.get("items"), "item"):
            source_id = str(item.get("num_iid", ""))
            try:
                record = item_from_top(item, channel, parts, request_id=request_id)
                found[source_id] = (record, text(item.get("product_id"), "product_id"))
            except UndecodableValue as exc:
                found[source_id] = _undecodable(channel, self.batch_method,
                                                f"item {source_id}", request_id, exc)
        # The batch methods drop unknown ids silently (apiId 24626).
        return {sid: found.get(sid) or _not_found(channel, sid, request_id) for sid in ids}

    async def _fetch_one(
        self, channel: Channel, source_id: str, parts: frozenset[Part], fields: str
    ) -> _Fetched | ChannelError:
        try:
            body, request_id = await self.call(
                self.item_method, {"fields": fields, "num_iid": source_id}, channel=channel)
        except NotFound as exc:
            return _not_found(channel, source_id, exc.request_id, cause=exc)
        except ChannelError as exc:
            return exc
        item = body.get("item")
        if not isinstance(item, dict) or not item:
            return _not_found(channel, source_id, request_id)
        try:
            record = item_from_top(item, channel, parts, request_id=request_id)
            return record, text(item.get("product_id"), "product_id")
        except UndecodableValue as exc:
            return _undecodable(channel, self.item_method, f"item {source_id}", request_id,
                                exc)

    # -- catalog (Tmall SPU)

    async def _with_catalog(
        self, results: Mapping[str, _Fetched | ChannelError]
    ) -> dict[str, ProductRecord | Exception]:
        """Every record with its catalog product (CATALOG empty when it has none)."""
        product_ids = list(dict.fromkeys(
            r[1] for r in results.values() if not isinstance(r, ChannelError) and r[1]))
        fetched = await asyncio.gather(*(self._catalog_or_error(p) for p in product_ids))
        by_id = dict(zip(product_ids, fetched, strict=True))
        out: dict[str, ProductRecord | Exception] = {}
        for sid, result in results.items():
            if isinstance(result, ChannelError):
                out[sid] = result
                continue
            record, product_id = result
            catalog = by_id.get(product_id) if product_id else None
            if isinstance(catalog, CatalogProductRecord):
                out[sid] = replace(record, catalog=catalog)
            elif catalog is None or isinstance(catalog, NotFound):
                out[sid] = replace(record, empty_parts=record.empty_parts | {Part.CATALOG})
            else:
                out[sid] = catalog
        return out

    async def _catalog_or_error(self, product_id: str) -> CatalogProductRecord | ChannelError:
        try:
            return await self.fetch_catalog_product(product_id=product_id)
        except ChannelError as exc:
            return exc

    async def fetch_catalog_product(
        self, *, product_id: str | None = None, category_id: str | None = None,
        props: str | None = None,
    ) -> CatalogProductRecord:
        """A Tmall catalog product by ``product_id``, or by ``category_id`` + ``props``
        (``pid:vid;pid:vid`` key properties), as seed 001 allows."""
        if not product_id and not (category_id and props):
            raise BadRequest("a catalog product is looked up by productId, or by categoryId "
                             "and props together", channel=Channel.TMALL)
        business = {"fields": ",".join(CATALOG_FIELDS), "product_id": product_id or "",
                    "cid": "" if product_id else category_id or "",
                    "props": "" if product_id else props or ""}
        try:
            body, request_id = await self.call(CATALOG_METHOD, business, channel=Channel.TMALL)
        except NotFound as exc:
            raise NotFound(f"no tmall catalog product {product_id or props}",
                           channel=Channel.TMALL, request_id=exc.request_id,
                           sub_code=exc.sub_code, upstream_code=exc.upstream_code) from None
        product = body.get("product")
        if not isinstance(product, dict) or not product:
            raise NotFound(f"no tmall catalog product {product_id or props}",
                           channel=Channel.TMALL, request_id=request_id)
        try:
            return catalog_product_from_top(product)
        except UndecodableValue as exc:
            raise _undecodable(Channel.TMALL, CATALOG_METHOD,
                               f"catalog product {product_id or props}", request_id,
                               exc) from exc

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- the seller's own listing

    async def list_onsale(
        self, channel: Channel, *, page_no: int, page_size: int, query: str | None = None,
        start_modified: datetime | None = None, end_modified: datetime | None = None,
        order_by: str = "modified:asc",
    ) -> ListingPage:
        """One page of the session's shop items on sale (``taobao.items.onsale.get``).

        ``start_modified`` / ``end_modified`` bound ``modified`` inclusively, to the second.
        Paging past ``page_no * page_size`` = 20000 is ``PageDepthExceeded``: narrow the
        modification window instead.
        """
        key, _, direction = order_by.partition(":")
        if key not in ONSALE_ORDER_KEYS or direction not in ("asc", "desc"):
            raise BadRequest(f"order_by must be <{'|'.join(sorted(ONSALE_ORDER_KEYS))}>:"
                             f"<asc|desc>; got {order_by[:40]!r}", channel=channel)
        if page_no < 1 or not 1 <= page_size <= ONSALE_MAX_PAGE_SIZE:
            raise BadRequest(f"page_no starts at 1 and page_size is 1-{ONSALE_MAX_PAGE_SIZE}; "
                             f"got {page_no}, {page_size}", channel=channel)
        business = {
            "fields": ",".join(ONSALE_FIELDS), "page_no": str(page_no),
            "page_size": str(page_size), "order_by": order_by, "q": query or "",
            "start_modified": top_time(start_modified) if start_modified else "",
            "end_modified": top_time(end_modified) if end_modified else "",
        }
        try:
            body, request_id = await self.call(ONSALE_METHOD, business, channel=channel)
        except ChannelError as exc:
            # apiId 18 refuses page_no*page_size > 20000 as code 41 naming page_no.
            if exc.upstream_code == "41" and page_no * page_size > ONSALE_MAX_DEPTH:
                raise PageDepthExceeded(
                    f"{channel.value} lists at most {ONSALE_MAX_DEPTH} items of one query "
                    f"(page {page_no} of {page_size} is past it); narrow the modification "
                    "window (modifiedSince/modifiedUntil) and page through each window",
                    channel=channel, request_id=exc.request_id, sub_code=exc.sub_code,
                    upstream_code=exc.upstream_code) from exc
            raise
        try:
            return onsale_page_from_top(body, channel, page_no=page_no, page_size=page_size,
                                        request_id=request_id)
        except UndecodableValue as exc:
            # A listing page has no slot for one bad item, so the page fails.
            raise _undecodable(channel, ONSALE_METHOD, f"page {page_no}", request_id,
                               exc) from exc
