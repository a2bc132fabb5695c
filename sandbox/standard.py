"""The seed-003 "standard model" aggregator over the sandbox catalogs.

Endpoints under ``STANDARD_PATH`` (paths and request shapes inferred, see
``channels/standard.py``): ``GET products/detail``, ``GET products/search``,
``GET products/search-by-image``, ``GET products/search-by-shop``, ``POST
products/upload-image``, ``GET products/parse``, each behind ``Authorization: Bearer
STANDARD_TOKEN``. Amounts are JSON numbers in yuan.

Catalogs: Weidian (``catalog_weidian.ITEMS``), Taobao/Tmall (``catalog_top.TOP_ITEMS``,
answered as channel ``taobao``) and 1688 (``catalog_1688.OFFERS``), each turned into the
standard shape by a small converter.

Search is deterministic: a case-insensitive keyword substring of the original title, price
filters on the buyer's unit price, exact category id, in-stock-only, then a total order
(every sort key ends with the product id), so pages never overlap or skip. ``translated``
texts are the sandbox's stand-in translation ``[<language>] <original>``.

``products/search-by-shop`` takes ``shop_id``: the shop's ``seller.id`` in this aggregator's
answers, or, for a Taobao/Tmall shop, the seller's numeric id (the affiliate API's
``seller_id``), as aggregators' shop searches take either; an id no product's shop has
answers 404 ``SHOP_NOT_FOUND``. Its ``keyword`` and ``sort`` are the search's.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.catalog_1688 import OFFERS
from sandbox.catalog_top import TOP_ITEMS
from sandbox.catalog_weidian import ITEMS as WEIDIAN_ITEMS
from sandbox.catalog_weidian import WeidianItem
from sandbox.credentials import STANDARD_PATH, STANDARD_TOKEN
from sandbox.state import SandboxState
from sandbox.tbk import seller_id as top_seller_id

SHANGHAI = timezone(timedelta(hours=8))
MAX_PAGE_SIZE = 100
SORTS = ("relevance", "price_asc", "price_desc", "sales", "newest")


@dataclass(frozen=True)
class Entry:
    """One product as the aggregator indexes it: the detail, plus what search sorts on."""

    detail: dict[str, Any]
    unit_price: Decimal
    sales: int
    listed_at: datetime
    category_id: str
    in_stock: bool

    @property
    def source_id(self) -> str:
        return str(self.detail["source_product_id"])

    @property
    def title(self) -> str:
        return str(self.detail["title"]["original"])


def _num(amount: Decimal | None) -> float | None:
    # The aggregator sends JSON numbers; 2-decimal yuan survive the float round trip.
    return None if amount is None else float(amount)


def _price(display: Decimal, original: Decimal | None = None,
           promotion: Decimal | None = None) -> dict[str, Any]:
    return {"original_amount": _num(original if original is not None else display),
            "display_amount": _num(display), "promotion_amount": _num(promotion),
            "original_currency": "CNY", "display_currency": "CNY"}


def _text(original: str) -> dict[str, Any]:
    return {"original": original, "translated": None, "language": None}


def _attr(name: str, value: str) -> dict[str, Any]:
    return {"original_name": name, "original_value": value,
            "translated_name": None, "translated_value": None}


# -- Weidian ---------------------------------------------------------------------------

def _weidian_sku_attributes(title: str) -> list[dict[str, Any]]:
    """The aggregator's reading of a free-text SKU title: ``名:值;名:值`` or one 规格."""
    if ":" in title:
        pairs = (seg.partition(":") for seg in title.split(";") if seg.strip())
        return [_attr(name.strip(), value.strip()) for name, _, value in pairs]
    return [_attr("规格", title.strip())]


def weidian_entry(item: WeidianItem) -> Entry:
    images = [{"url": url, "type": "main" if i == 0 else "gallery"}
              for i, url in enumerate(item.imgs)]
    detail = {
        "id": f"weidian_{item.itemid}",
        "channel": "weidian",
        "source_product_id": item.itemid,
        "source_url": f"https://weidian.com/item.html?itemID={item.itemid}",
        "title": _text(item.item_name),
        "description": _text(item.description_html) if item.description_html else None,
        "price": _price(item.price, item.original_price),
        "price_tiers": [],
        "min_order_quantity": 1,
        "distribution_min_quantity": None,
        "images": images,
        "videos": {"main": None, "detail": None},
        "attributes": [_attr("商品编码", item.merchant_code), _attr("类目", item.category_name)],
        "variants": [
            {"sku_id": sku.id, "upstream_sku_id": None,
             "attributes": _weidian_sku_attributes(sku.title), "price": _price(sku.price),
             "stock": sku.stock, "image": None, "shipping": None, "distribution": None}
            for sku in item.skus
        ],
        "seller": {"id": item.shop.id, "name": item.shop.name,
                   "shop_url": f"https://weidian.com/?userid={item.shop.id}"},
        "shipping": {"shipping_from": f"{item.shop.province} {item.shop.city}",
                     "domestic_shipping_fee": {"amount": 0.0, "currency": "CNY"}},
        "metadata": {"raw_category": item.category_id, "brand": None,
                     "updated_at": item.listed_at.isoformat()},
        "trade_score": None,
    }
    return Entry(detail=detail, unit_price=item.price, sales=item.sales,
                 listed_at=item.listed_at, category_id=item.category_id,
                 in_stock=item.stock > 0)


# -- Taobao / Tmall (TOP items) ----------------------------------------------------------

def _top_time(value: str | None) -> datetime:
    if not value:
        return datetime(2020, 1, 1, tzinfo=SHANGHAI)
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)


def _top_unescape(text: str) -> str:
    # taobao.item.get escapes ':' and ';' inside names/values (seed 001).
    return text.replace("#cln#", ":").replace("#scln#", ";")


def _top_sku_attributes(properties_name: str) -> list[dict[str, Any]]:
    attrs = []
    for segment in properties_name.split(";"):
        parts = segment.split(":", 3)
        if len(parts) == 4:
            attrs.append(_attr(_top_unescape(parts[2]), _top_unescape(parts[3])))
    return attrs


def top_entry(item: dict[str, Any]) -> Entry:
    num_iid = str(item["num_iid"])
    display = Decimal(str(item["price"]))
    promotion = Decimal(str(item["promotion_price"])) if item.get("promotion_price") else None
    prop_images = {p.get("properties"): p.get("url") for p in item.get("prop_imgs") or ()}
    imgs = sorted(item.get("item_imgs") or (), key=lambda i: int(i.get("position", 0)))
    urls = [str(i["url"]) for i in imgs] or ([str(item["pic_url"])] if item.get("pic_url") else [])
    images = [{"url": u, "type": "main" if n == 0 else "gallery"} for n, u in enumerate(urls)]
    images += [{"url": u, "type": "variant"} for u in prop_images.values() if u]
    variants = []
    for sku in item.get("skus") or ():
        props = str(sku.get("properties") or "").split(";")
        variants.append({
            "sku_id": str(sku["sku_id"]), "upstream_sku_id": None,
            "attributes": _top_sku_attributes(str(sku.get("properties_name") or "")),
            "price": _price(Decimal(str(sku["price"]))), "stock": int(sku.get("quantity", 0)),
            "image": next((prop_images[p] for p in props if p in prop_images), None),
            "shipping": None, "distribution": None,
        })
    location = item.get("location") or {}
    stock = int(item.get("num", 0))
    nick = str(item.get("nick") or "")
    detail = {
        "id": f"taobao_{num_iid}",
        "channel": "taobao",
        "source_product_id": num_iid,
        "source_url": str(item.get("detail_url")
                          or f"https://item.taobao.com/item.htm?id={num_iid}"),
        "title": _text(str(item["title"])),
        "description": _text(str(item["desc"])) if item.get("desc") else None,
        "price": _price(display, display, promotion),
        "price_tiers": [],
        "min_order_quantity": None,
        "distribution_min_quantity": None,
        "images": images,
        "videos": {"main": None, "detail": None},
        "attributes": [],
        "variants": variants,
        "seller": {"id": nick, "name": nick, "shop_url": None},
        "shipping": {
            "shipping_from": " ".join(v for v in (location.get("state"), location.get("city"))
                                      if v) or None,
            "domestic_shipping_fee": ({"amount": float(Decimal(str(item["post_fee"]))),
                                       "currency": "CNY"} if item.get("post_fee") else None),
        },
        "metadata": {"raw_category": str(item.get("cid", "")) or None, "brand": None,
                     "updated_at": _top_time(item.get("modified")).isoformat()},
        "trade_score": None,
    }
    return Entry(detail=detail, unit_price=promotion if promotion is not None else display,
                 sales=int(item.get("sold_quantity", 0)),
                 listed_at=_top_time(item.get("list_time") or item.get("created")),
                 category_id=str(item.get("cid", "")), in_stock=stock > 0)


# -- 1688 (AOP productInfo offers) -------------------------------------------------------

IMAGE_BASE_1688 = "https://cbu01.alicdn.com/"


def _aop_time(value: str | None) -> datetime:
    # AOP dates: ``20240306170438000+0800`` (yyyyMMddHHmmssSSS + offset).
    if not value:
        return datetime(2020, 1, 1, tzinfo=SHANGHAI)
    return datetime.strptime(value[:14] + value[17:], "%Y%m%d%H%M%S%z")


def _yuan(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _absolute(path: str) -> str:
    return path if path.startswith("http") else IMAGE_BASE_1688 + path.lstrip("/")


def offer_entry(offer: dict[str, Any]) -> Entry:
    offer_id = str(offer["productID"])
    sale = offer.get("saleInfo") or {}
    tiers = [(int(t["startQuantity"]), Decimal(str(t["price"])))
             for t in sale.get("priceRanges") or ()]
    tier_price = tiers[0][1] if tiers else None
    variants: list[dict[str, Any]] = []
    sku_prices: list[Decimal] = []
    promotions: list[Decimal] = []
    for sku in offer.get("skuInfos") or ():
        price = _yuan(sku.get("price")) or tier_price or Decimal(0)
        promotion = _yuan(sku.get("promotionPrice"))
        sku_prices.append(price)
        if promotion is not None:
            promotions.append(promotion)
        image = next((a["skuImageUrl"] for a in sku.get("attributes") or ()
                      if a.get("skuImageUrl")), None)
        consign = _yuan(sku.get("consignPrice"))
        variants.append({
            "sku_id": str(sku["specId"]), "upstream_sku_id": str(sku["skuId"]),
            "attributes": [_attr(str(a.get("attributeDisplayName") or a["attributeName"]),
                                 str(a["attributeValue"])) for a in sku.get("attributes") or ()],
            # Seed 003: original_amount is the catalogue price before promotions; 1688's
            # ``retailPrice`` is a suggested retail price, not that.
            "price": _price(price, None, promotion),
            "stock": int(sku.get("amountOnSale", 0)),
            "image": _absolute(image) if image else None,
            "shipping": None,
            "distribution": {"price": _num(consign), "min_quantity": 1} if consign else None,
        })
    display = min(sku_prices, default=tier_price or Decimal(0))
    promotion = min(promotions, default=None)
    images: list[dict[str, Any]] = [
        {"url": _absolute(u), "type": "main" if n == 0 else "gallery"}
        for n, u in enumerate((offer.get("image") or {}).get("images") or ())]
    images += [{"url": v["image"], "type": "variant"} for v in variants if v["image"]]
    attributes = offer.get("attributes") or ()
    seller = str(offer.get("supplierLoginId") or "")
    ships_from = (offer.get("shippingInfo") or {}).get("sendGoodsAddressText")
    detail = {
        "id": f"1688_{offer_id}",
        "channel": "1688",
        "source_product_id": offer_id,
        "source_url": f"https://detail.1688.com/offer/{offer_id}.html",
        "title": _text(str(offer["subject"])),
        "description": _text(str(offer["description"])) if offer.get("description") else None,
        "price": _price(display, None, promotion),
        "price_tiers": [{"min_quantity": q, "price": _num(p)} for q, p in tiers],
        "min_order_quantity": sale.get("minOrderQuantity"),
        "distribution_min_quantity": 1 if sale.get("consignPrice") else None,
        "images": images,
        "videos": {"main": offer.get("mainVedio"), "detail": offer.get("detailVedio")},
        "attributes": [_attr(str(a["attributeName"]), str(a["value"])) for a in attributes],
        "variants": variants,
        "seller": {"id": seller or None, "name": seller,
                   "shop_url": f"https://{seller}.1688.com" if seller else None},
        "shipping": {"shipping_from": ships_from, "domestic_shipping_fee": None},
        "metadata": {"raw_category": str(offer.get("categoryID", "")) or None,
                     "brand": next((str(a["value"]) for a in attributes
                                    if a.get("attributeName") == "品牌" and a.get("value")),
                                   None),
                     "updated_at": _aop_time(offer.get("lastUpdateTime")).isoformat()},
        "trade_score": str(offer["qualityLevel"]) if offer.get("qualityLevel") else None,
    }
    stock = int(sale.get("amountOnSale", 0))
    return Entry(detail=detail, unit_price=promotion if promotion is not None else display,
                 sales=int(offer.get("bookedCount") or 0),
                 listed_at=_aop_time(offer.get("createTime")),
                 category_id=str(offer.get("categoryID", "")), in_stock=stock > 0)


@functools.cache
def catalog() -> dict[str, dict[str, Entry]]:
    """Every served product by wire channel and source id, built once on first use."""
    return {
        "weidian": {i.itemid: weidian_entry(i) for i in WEIDIAN_ITEMS.values()},
        "taobao": {str(k): top_entry(v) for k, v in TOP_ITEMS.items()},
        "1688": {str(k): offer_entry(v) for k, v in OFFERS.items()},
    }


# -- search ------------------------------------------------------------------------------

def of_shop(entry: Entry, shop_id: str) -> bool:
    """Whether ``shop_id`` names the entry's shop (its ``seller.id``, or for a TOP item the
    seller's numeric id)."""
    shop = str(entry.detail["seller"]["id"] or "")
    return shop == shop_id or (entry.detail["channel"] == "taobao"
                               and str(top_seller_id(shop)) == shop_id)


def search_entries(channel: str, *, keyword: str, sort: str = "relevance",
                   price_min: Decimal | None = None, price_max: Decimal | None = None,
                   category_id: str | None = None, in_stock_only: bool = False,
                   shop_id: str | None = None) -> list[Entry]:
    """Every match in one total order (ties broken by id), for slicing into pages."""
    needle = keyword.strip().casefold()
    matches = [
        e for e in catalog().get(channel, {}).values()
        if needle in e.title.casefold()
        and (shop_id is None or of_shop(e, shop_id))
        and (price_min is None or e.unit_price >= price_min)
        and (price_max is None or e.unit_price <= price_max)
        and (category_id is None or e.category_id == category_id)
        and (not in_stock_only or e.in_stock)
    ]
    keys: dict[str, Callable[[Entry], tuple[Any, ...]]] = {
        "relevance": lambda e: (e.title.casefold().find(needle), -e.sales, e.source_id),
        "price_asc": lambda e: (e.unit_price, e.source_id),
        "price_desc": lambda e: (-e.unit_price, e.source_id),
        "sales": lambda e: (-e.sales, e.source_id),
        "newest": lambda e: (-e.listed_at.timestamp(), e.source_id),
    }
    return sorted(matches, key=keys[sort])


def similar_entries(channel: str, image_key: str) -> tuple[list[Entry], list[int]]:
    """Products "like" an image: the product showing it first, then its category.

    An image no product shows picks a category by its hash, so the answer is still stable.
    """
    entries = list(catalog().get(channel, {}).values())
    if not entries:
        return [], [0, 0, 0, 0]
    digest = int(hashlib.sha256(image_key.encode()).hexdigest(), 16)
    owner = next((e for e in entries if any(i["url"] == image_key for i in e.detail["images"])),
                 None)
    categories = sorted({e.category_id for e in entries})
    category = owner.category_id if owner else categories[digest % len(categories)]
    same = sorted((e for e in entries if e.category_id == category),
                  key=lambda e: (e is not owner, -e.sales, e.source_id))
    x, y = digest % 200, (digest >> 8) % 200
    return same, [x, y, x + 400 + digest % 200, y + 400 + (digest >> 16) % 200]


def _list_item(entry: Entry, language: str | None) -> dict[str, Any]:
    d = entry.detail
    main = next((i["url"] for i in d["images"] if i["type"] == "main"), None)
    return {"id": d["id"], "channel": d["channel"], "source_product_id": d["source_product_id"],
            "source_url": d["source_url"], "title": _translated(d["title"], language),
            "price": d["price"], "image": main, "seller": {"name": d["seller"]["name"]}}


def _translated(text: dict[str, Any] | None, language: str | None) -> dict[str, Any] | None:
    if text is None or not language:
        return text
    return {**text, "translated": f"[{language}] {text['original']}", "language": language}


def _localized_detail(entry: Entry, language: str | None) -> dict[str, Any]:
    d = dict(entry.detail)
    d["title"] = _translated(d["title"], language)
    return d


_URL_PATTERNS = (
    (re.compile(r"weidian\.com/item\.html\?(?:.*&)?itemI[Dd]=(\d+)"), "weidian"),
    (re.compile(r"(?:taobao|tmall)\.com/item\.htm\?(?:.*&)?id=(\d+)"), "taobao"),
    (re.compile(r"1688\.com/offer/(\d+)\.html"), "1688"),
)


def parse_product_url(url: str) -> tuple[str, str] | None:
    for pattern, channel in _URL_PATTERNS:
        match = pattern.search(url)
        if match:
            return channel, match.group(1)
    return None


# -- routes ------------------------------------------------------------------------------

class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _page_args(query: Any) -> tuple[int, int]:
    try:
        page, page_size = int(query.get("page", "1")), int(query.get("page_size", "20"))
    except ValueError:
        raise _Refusal(400, "INVALID_PARAMETER", "page and page_size are integers") from None
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise _Refusal(400, "INVALID_PARAMETER",
                       f"page >= 1 and 1 <= page_size <= {MAX_PAGE_SIZE}")
    return page, page_size


def _decimal_arg(query: Any, name: str) -> Decimal | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise _Refusal(400, "INVALID_PARAMETER", f"{name} is a decimal amount") from None


def _sort_arg(query: Any) -> str:
    sort = str(query.get("sort") or "relevance")
    if sort not in SORTS:
        raise _Refusal(400, "INVALID_PARAMETER", f"sort is one of {', '.join(SORTS)}")
    return sort


def _channel_arg(query: Any) -> str:
    channel = str(query.get("channel", ""))
    if channel not in ("1688", "taobao", "weidian"):
        raise _Refusal(400, "INVALID_CHANNEL", "channel is one of 1688, taobao, weidian")
    return channel


def _list_body(channel: str, keyword: str, page: int, page_size: int, matches: list[Entry],
               language: str | None) -> dict[str, Any]:
    start = (page - 1) * page_size
    return {"channel": channel, "keyword": keyword, "page": page, "page_size": page_size,
            "total": len(matches),
            "items": [_list_item(e, language) for e in matches[start:start + page_size]]}


def routes(state: SandboxState) -> list[BaseRoute]:
    request_ids = itertools.count(1)
    uploads: dict[str, str] = {}  # image_id → sha256 of the bytes

    def endpoint(api: str, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            state.record(f"standard.{api}")
            await state.delay()
            request_id = f"req_{next(request_ids):08d}"
            fault = await state.injected_fault()
            if fault == "garbage":
                return PlainTextResponse("<html><body>502 Bad Gateway</body></html>", 200)
            if fault == "failure":
                return _error(503, "SERVICE_UNAVAILABLE", "upstream busy", request_id)
            if request.headers.get("authorization") != f"Bearer {STANDARD_TOKEN}":
                return _error(401, "UNAUTHORIZED", "missing or invalid bearer token",
                              request_id)
            try:
                body = await handler(request)
            except _Refusal as refusal:
                return _error(refusal.status, refusal.code, refusal.message, request_id)
            return JSONResponse({**body, "request_id": request_id})

        return serve

    def detail_of(channel: str, product_id: str, language: str | None) -> dict[str, Any]:
        entry = catalog().get(channel, {}).get(product_id)
        if entry is None:
            raise _Refusal(404, "PRODUCT_NOT_FOUND", f"no {channel} product {product_id[:30]}")
        return {"product": _localized_detail(entry, language)}

    async def detail(request: Request) -> dict[str, Any]:
        q = request.query_params
        return detail_of(_channel_arg(q), str(q.get("product_id", "")).strip(),
                         q.get("language"))

    async def parse(request: Request) -> dict[str, Any]:
        parsed = parse_product_url(str(request.query_params.get("url", "")))
        if parsed is None:
            raise _Refusal(400, "UNSUPPORTED_URL", "not a product URL of a served marketplace")
        return detail_of(*parsed, request.query_params.get("language"))

    async def search(request: Request) -> dict[str, Any]:
        q = request.query_params
        channel = _channel_arg(q)
        page, page_size = _page_args(q)
        keyword = str(q.get("keyword", ""))
        matches = search_entries(
            channel, keyword=keyword, sort=_sort_arg(q), price_min=_decimal_arg(q, "price_min"),
            price_max=_decimal_arg(q, "price_max"), category_id=q.get("category_id") or None,
            in_stock_only=q.get("in_stock_only") in ("true", "1"))
        return _list_body(channel, keyword, page, page_size, matches, q.get("language"))

    async def search_by_shop(request: Request) -> dict[str, Any]:
        q = request.query_params
        channel = _channel_arg(q)
        page, page_size = _page_args(q)
        shop_id = str(q.get("shop_id", "")).strip()
        if not shop_id:
            raise _Refusal(400, "INVALID_PARAMETER", "shop_id is required")
        if not any(of_shop(e, shop_id) for e in catalog().get(channel, {}).values()):
            raise _Refusal(404, "SHOP_NOT_FOUND", f"no {channel} shop {shop_id[:30]}")
        keyword = str(q.get("keyword", ""))
        matches = search_entries(channel, keyword=keyword, sort=_sort_arg(q), shop_id=shop_id)
        body = _list_body(channel, keyword, page, page_size, matches, q.get("language"))
        return {**body, "shop_id": shop_id}

    async def search_by_image(request: Request) -> dict[str, Any]:
        q = request.query_params
        channel = _channel_arg(q)
        page, page_size = _page_args(q)
        if q.get("image_id"):
            key = uploads.get(str(q["image_id"]))
            if key is None:
                raise _Refusal(404, "IMAGE_NOT_FOUND", "unknown image_id")
        elif q.get("image_url"):
            key = str(q["image_url"])
        else:
            raise _Refusal(400, "INVALID_PARAMETER", "image_url or image_id is required")
        matches, region = similar_entries(channel, key)
        body = _list_body(channel, "", page, page_size, matches, q.get("language"))
        return {**body, "pic_region_info": {"region": region}}

    async def upload_image(request: Request) -> dict[str, Any]:
        try:
            payload = json.loads(await request.body())
            channel = _channel_arg(payload)
            data = base64.b64decode(str(payload["image_base64"]), validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise _Refusal(400, "INVALID_PARAMETER",
                           "body is JSON {channel, image_base64, content_type}") from None
        if not data:
            raise _Refusal(400, "INVALID_PARAMETER", "the image is empty")
        digest = hashlib.sha256(data).hexdigest()
        image_id = f"img_{digest[:24]}"
        uploads[image_id] = digest
        return {"channel": channel, "image_id": image_id}

    base = STANDARD_PATH.rstrip("/")
    return [
        Route(f"{base}/products/detail", endpoint("products/detail", detail)),
        Route(f"{base}/products/parse", endpoint("products/parse", parse)),
        Route(f"{base}/products/search", endpoint("products/search", search)),
        Route(f"{base}/products/search-by-image",
              endpoint("products/search-by-image", search_by_image)),
        Route(f"{base}/products/search-by-shop",
              endpoint("products/search-by-shop", search_by_shop)),
        Route(f"{base}/products/upload-image", endpoint("products/upload-image", upload_image),
              methods=["POST"]),
    ]


def _error(status: int, code: str, message: str, request_id: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}, "request_id": request_id},
                        status_code=status)
