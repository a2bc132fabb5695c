"""1688: the official open platform (AOP, ``alibaba.product.get``) and the seed-004 aggregator.

Both transports answer with the same ProductInfo (AOP camelCase; the aggregator spells it
snake_case and wraps it in ``{code, msg, msec, time, data}``), so this module has one
mapping, ``product_from_1688``, and two thin adapters around it. Read top to bottom:

1. signing (``aop_sign``) and the request builder (``product_get_form``);
2. the error tables: AOP gateway ``error_code`` → class, business failures, aggregator codes;
3. pure mapping: dates, images, prices by ``quoteType``, variants, processing → model;
4. the adapters: ``Alibaba1688OpenAdapter`` and ``Alibaba1688AggregatorAdapter``.

Sources: docs/protocols.md §2 (URL, ``_aop_signature``, dates, ProductInfo,
quoteType, gateway errors) and seed 004 (the aggregator).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx

from channels.base import FetchResult, fetch_each, numeric_source_id
from channels.decoding import SHANGHAI, UndecodableValue, integer, money, text
from channels.errors import (
    ChannelError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UpstreamError,
    UpstreamTimeout,
)
from channels.http import DEFAULT_TIMEOUT_S, UpstreamClient
from channels.model import (
    Attribute,
    Category,
    Channel,
    Customization,
    CustomizationOption,
    Description,
    Image,
    ImageKind,
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
    ProductStatus,
    ProductType,
    SelectedOption,
    SellerRecord,
    Shipping,
    VariantRecord,
    VariantSet,
    Video,
    VideoKind,
)
from channels.policy import UpstreamPolicy

CHANNEL = Channel.ALIBABA_1688
DEFAULT_GATEWAY_URL = "https://gw.open.1688.com/openapi"
PRODUCT_GET_API = "com.alibaba.product/alibaba.product.get"
AGGREGATOR_API = "1688get-commodity"
# ProductInfo image paths are relative: "主图列表，使用相对路径，需要增加域名" (§2.6).
IMAGE_BASE = "https://cbu01.alicdn.com/"
# One detail call answers every part; 1688 has no Tmall-style catalog product.
PARTS_PER_CALL = frozenset(Part) - {Part.CATALOG}


# --- 1. signing -----------------------------------------------------------------------


def aop_sign(url_path: str, params: Mapping[str, str], secret: str) -> str:
    """``_aop_signature``: HMAC-SHA1 over ``url_path`` + the sorted ``key+value`` strings.

    The official variant (§2.3, Java ``CommonUtil``, official Python SDK) sorts the
    concatenated ``key+value`` strings, not the keys; the two differ when one key prefixes
    another (vector A5). Uppercase hex, 40 characters.
    """
    parts = sorted(key + value for key, value in params.items() if key != "_aop_signature")
    message = (url_path + "".join(parts)).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha1).hexdigest().upper()


def product_get_path(app_key: str) -> str:
    """The signed URL path of ``alibaba.product.get``, from the protocol segment on."""
    return f"param2/1/{PRODUCT_GET_API}/{app_key}"


def product_get_form(
    *, app_key: str, app_secret: str, access_token: str, product_id: str,
    timestamp_ms: int | None = None,
) -> tuple[str, dict[str, str]]:
    """The URL path and the signed POST form of one ``alibaba.product.get`` call."""
    path = product_get_path(app_key)
    form = {
        "productID": product_id,
        "webSite": "1688",
        "access_token": access_token,
        "_aop_timestamp": str(timestamp_ms if timestamp_ms is not None
                              else int(time.time() * 1000)),
    }
    form["_aop_signature"] = aop_sign(path, form, app_secret)
    return path, form


# --- 2. errors ------------------------------------------------------------------------

# AOP gateway failures: HTTP 400 (401 for tokens) with {"error_code", "error_message",
# "request_id"} (§2.4). error_code → (class, retryable, what it means for our user).
AOP_GATEWAY_ERRORS: dict[str, tuple[type[ChannelError], bool, str]] = {
    "gw.SignatureInvalid": (Unauthenticated, False,
                            "rejected the request signature; check the 1688 app secret"),
    "gw.SignatureMissing": (Unauthenticated, False, "requires a request signature"),
    "gw.AppKeyNotFound": (Unauthenticated, False, "does not know the configured app key"),
    "gw.AppKeyMissing": (Unauthenticated, False, "received no app key"),
    "401": (Unauthenticated, False,
            "needs a valid user authorization; the access token is missing, invalid "
            "or expired"),
    "gw.APIACLDecline": (PermissionDenied, False,
                         "does not allow this app to call alibaba.product.get"),
    "gw.QosAppFrequencyLimit": (RateLimited, True, "is rate limiting this app"),
    # The paid API quota ("SLA bill has no usage left") is used up. RATE_LIMITED tells the
    # client to come back later, which is the truth; but retrying now cannot succeed until
    # the bill is topped up or the period rolls over, so it is not retryable.
    "gw.NoUsageLeftError": (RateLimited, False, "has no API usage left for this app"),
    "gw.ParamMissing": (UpstreamError, False, "reports a missing request parameter"),
    "gw.APIUnsupported": (UpstreamError, False, "does not support alibaba.product.get"),
}

# The aggregator's envelope codes (seed 004 响应代码). code → (class, retryable, meaning).
AGGREGATOR_ERRORS: dict[int, tuple[type[ChannelError], bool, str]] = {
    100: (UpstreamError, False, "rejected the request parameters"),          # 请求参数错误
    101: (UpstreamTimeout, True, "timed out upstream"),                       # 请求超时，请重试
    # 旺旺账号不存在: the offer's seller account does not exist: the only "does not exist"
    # code the aggregator has, and what it answers for an offer it cannot resolve.
    103: (NotFound, False, "does not know this offer or its seller account"),
    200: (UpstreamError, True, "had a system error"),                         # 系统错误
    203: (UpstreamError, False, "does not support this interface"),           # 暂不支持当前接口
    204: (PermissionDenied, False, "has not opened this interface for the token"),
    302: (Unauthenticated, False,
          "says the shop is not authorized for this token"),                  # 未授权店铺
}
AGGREGATOR_SUCCESS = 0
# Code 204 carries two meanings that only its message tells apart (seed 004 lists both
# rows): 无该接口权限 (no permission) and API 调用次数不足 (call quota used up).
_QUOTA_MARKERS = ("次数不足", "调用次数")

# alibaba.product.get business failures come back as HTTP 200 with success=false and
# either {"errorCode", "errorMsg"} or {"message"} (§2.4); not-found has no documented
# code, so the known message markers decide (longest first).
_NOT_FOUND_MARKERS = ("不存在", "no such product", "not exist", "not found", "已删除")
_FORBIDDEN_MARKERS = ("没有该商品的查询权限", "无权限", "no permission")


def _clean_text(text: object, secrets: Iterable[str] = ()) -> str:
    """An upstream message fit for our error: short, and with no secret in it."""
    cleaned = str(text)[:200]
    for secret in secrets:
        if secret:
            cleaned = cleaned.replace(secret, "***")
    return cleaned


def aop_gateway_error(
    status: int, body: Mapping[str, Any] | None, *, offer_id: str,
    secrets: Iterable[str] = (),
) -> ChannelError:
    """The typed error for a non-2xx AOP answer (``status`` and its JSON body, if any)."""
    body = body or {}
    code = str(body.get("error_code") or "") or (str(status) if status == 401 else "")
    request_id = str(body["request_id"]) if body.get("request_id") else None
    upstream_message = _clean_text(body.get("error_message") or "", secrets)
    known = AOP_GATEWAY_ERRORS.get(code)
    if known is None and status == 401:
        known = AOP_GATEWAY_ERRORS["401"]
    if known is not None:
        cls, retryable, meaning = known
        message = f"1688 {meaning} (offer {offer_id}, {code})"
    elif status == 429:
        cls, retryable = RateLimited, True
        message = f"1688 is rate limiting this app (offer {offer_id}, HTTP 429)"
    elif status >= 500:
        cls, retryable = UpstreamError, True
        message = f"1688 failed with HTTP {status} (offer {offer_id})"
    else:
        cls, retryable = UpstreamError, False
        message = f"1688 refused the call with HTTP {status} {code} (offer {offer_id})"
    if upstream_message:
        message += f": {upstream_message}"
    return cls(message, channel=CHANNEL, request_id=request_id,
               upstream_code=code or str(status), http_status=status, retryable=retryable)


def aop_business_error(body: Mapping[str, Any], *, offer_id: str) -> ChannelError:
    """The typed error for an HTTP-200 ``success: false`` answer of alibaba.product.get."""
    code = str(body.get("errorCode") or body.get("code") or "") or None
    text = str(body.get("errorMsg") or body.get("message") or body.get("errorMessage") or "")
    lowered = text.lower()
    cls: type[ChannelError]
    if any(marker in lowered for marker in _NOT_FOUND_MARKERS):
        cls, summary = NotFound, f"1688 offer {offer_id} was not found"
    elif any(marker in lowered for marker in _FORBIDDEN_MARKERS):
        cls, summary = PermissionDenied, f"1688 does not let this app read offer {offer_id}"
    else:
        cls, summary = UpstreamError, f"1688 could not return offer {offer_id}"
    message = f"{summary}: {_clean_text(text)}" if text else summary
    return cls(message, channel=CHANNEL, upstream_code=code, retryable=False)


def aggregator_error(
    code: int, msg: str, *, offer_id: str, secrets: Iterable[str] = ()
) -> ChannelError:
    """The typed error for a non-zero aggregator envelope ``code`` (seed 004)."""
    cls: type[ChannelError]
    known = AGGREGATOR_ERRORS.get(code)
    if known is None:
        cls, retryable, meaning = UpstreamError, False, f"answered the unknown code {code}"
    else:
        cls, retryable, meaning = known
    if code == 204 and any(marker in msg for marker in _QUOTA_MARKERS):
        cls, retryable, meaning = RateLimited, False, "has no calls left for this token"
    text = _clean_text(msg, secrets)
    message = f"the 1688 aggregator {meaning} (offer {offer_id}, code {code})"
    if text:
        message += f": {text}"
    return cls(message, channel=CHANNEL, upstream_code=str(code), retryable=retryable)


def _not_json(offer_id: str, status: int) -> UpstreamError:
    # A gateway HTML error page or a cut-off body: a transient fault worth one more try.
    return UpstreamError(
        f"1688 answered offer {offer_id} with a body that is not JSON (HTTP {status})",
        channel=CHANNEL, http_status=status, retryable=True,
    )


def _undecodable(offer_id: str, status: int, exc: UndecodableValue) -> UpstreamError:
    # A field the decoding policy refuses (channels/decoding.py): the answer will not
    # change on a retry.
    return UpstreamError(f"1688 answered offer {offer_id} with an undecodable field: {exc}",
                         channel=CHANNEL, http_status=status, retryable=False)


def parse_json(content: bytes) -> Any:
    """Upstream JSON with every non-integer number as ``Decimal`` (never through float)."""
    return json.loads(content, parse_float=Decimal)


# --- 3. mapping -----------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{14})(\d{3})?([+-])(\d{2})(\d{2})$")


def parse_1688_datetime(value: object, field: str = "date") -> datetime | None:
    """``20181216141253000+0800`` or ``20121222222222+0800`` (§2.5) → an aware datetime.

    Absent or blank is ``None``; anything else that is not in that form is
    ``UndecodableValue`` (the policy of ``channels/decoding.py``). A ``+0800`` time is in
    ``SHANGHAI``, any other offset in a fixed zone of that offset.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    match = _DATE_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise UndecodableValue(field, value, "a 1688 time (yyyyMMddHHmmss[SSS]+hhmm)")
    stamp, millis, sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes)) * (1 if sign == "+" else -1)
    try:
        parsed = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone(offset))
    except ValueError:
        raise UndecodableValue(field, value, "a 1688 time (yyyyMMddHHmmss[SSS]+hhmm)") from None
    parsed += timedelta(milliseconds=int(millis or 0))
    # astimezone keeps the instant: the wall time printed stays the upstream's whenever
    # Shanghai's offset was +08:00 then (every date since 1991).
    return parsed.astimezone(SHANGHAI) if offset == timedelta(hours=8) else parsed


def image_url(path: object) -> str | None:
    """An absolute image URL: relative ProductInfo paths go under ``IMAGE_BASE``."""
    if not isinstance(path, str) or not path.strip():
        return None
    path = path.strip()
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("//"):
        return "https:" + path
    return IMAGE_BASE + path.lstrip("/")


def _money(obj: Mapping[str, Any], key: str) -> Decimal | None:
    return money(obj.get(key), key)


def _int(obj: Mapping[str, Any], key: str) -> int | None:
    return integer(obj.get(key), key)


def _text(obj: Mapping[str, Any], key: str) -> str | None:
    return text(obj.get(key), key)


def _reference_price(value: object) -> Decimal | None:
    """``referencePrice`` is a price or a range ("21.00~23.00"); the top is the list price."""
    if not isinstance(value, str):
        return money(value, "referencePrice")
    amounts = [money(part, "referencePrice") for part in re.split(r"[~\-－—]", value)]
    found = [amount for amount in amounts if amount is not None]
    return max(found) if found else None


def price_tiers_from_ranges(ranges: object) -> tuple[PriceTier, ...]:
    """``priceRanges`` / ``priceRange`` → tiers ordered by start quantity."""
    tiers = []
    for entry in ranges if isinstance(ranges, list) else []:
        start, price = _int(entry, "startQuantity"), _money(entry, "price")
        if start is not None and price is not None:
            tiers.append(PriceTier(min_quantity=max(start, 1), price=price))
    return tuple(sorted(tiers, key=lambda tier: tier.min_quantity))


def _product_status(value: object) -> ProductStatus | None:
    status = str(value or "").strip().lower()
    if status in ("published", "approved", "modified"):
        return ProductStatus.ON_SALE
    if status in ("expired", "auto expired", "member expired"):
        return ProductStatus.DELISTED
    if status in ("deleted", "member deleted"):
        return ProductStatus.DELETED
    if status in ("auditing", "new", "tbd", "untread"):
        # TBD ("to be delete") and untread (audit refused) are not buyable yet or any more;
        # both wait on a review, not on the buyer.
        return ProductStatus.UNDER_REVIEW
    return None


def _product_type(value: object) -> ProductType | None:
    kind = str(value or "wholesale").strip().lower()  # "1688 网站缺省为 wholesale"
    return {"wholesale": ProductType.WHOLESALE, "sourcing": ProductType.SOURCING}.get(kind)


def _location(value: object) -> Location | None:
    """``sendGoodsAddressText`` ("浙江省 杭州市", "广东深圳") → province and city."""
    raw = text(value, "sendGoodsAddressText")
    if raw is None:
        return None
    words = raw.split()
    if len(words) >= 2:
        return Location(province=words[0], city=words[1], text=raw)
    match = re.match(r"^(.+?(?:省|自治区|特别行政区))(.+?(?:市|州|盟|地区))?", raw)
    if match:
        return Location(province=match.group(1), city=match.group(2), text=raw)
    municipality = re.match(r"^(北京|上海|天津|重庆)市?", raw)
    if municipality:
        name = municipality.group(1) + "市"
        return Location(province=name, city=name, text=raw)
    return Location(text=raw)


def _customization(processing: object) -> Customization | None:
    """Seed 004 ``processing`` (OEM/customization) → options with reference prices."""
    if not isinstance(processing, Mapping):
        return None
    trade = processing.get("tradeAttributes") or {}
    refer_prices: dict[str, Mapping[str, Any]] = {}
    for entry in trade.get("referPriceList") or []:
        if entry.get("key") is not None and isinstance(entry.get("referPrice"), Mapping):
            refer_prices[str(entry["key"])] = entry["referPrice"]
    options = []
    for attribute in processing.get("attributeList") or []:
        name, code = _text(attribute, "name"), _text(attribute, "value")
        label = _text(attribute, "valueName")
        if name is None or (code is None and label is None):
            continue
        if attribute.get("key") == "production_capacity":
            value = f"{code or ''}{label or ''}"  # value "10" + value_name "双" → 10双
        else:
            value = label or code or ""
        refer = refer_prices.get(code or "", {})
        options.append(CustomizationOption(
            name=name, value=value,
            reference_price_min=_money(refer, "price"),
            reference_price_max=_money(refer, "maxPrice"),
            min_quantity=_int(refer, "amount"),
        ))
    sample_key = "sampleDate" if "sampleDate" in trade else "sampleTime"
    if not options and trade.get("samplePrice") is None:
        return None
    return Customization(options=tuple(options), sample_price=_money(trade, "samplePrice"),
                         sample_days=_int(trade, sample_key))


def _variants(
    sku_infos: Sequence[Mapping[str, Any]], quote_type: int | None,
    product_tiers: tuple[PriceTier, ...],
) -> tuple[VariantSet, list[str]]:
    """SKUs → the option matrix and variants; also the variant images, in order."""
    option_values: dict[str, dict[str, OptionValue]] = {}
    variants = []
    images: list[str] = []
    first_tier = product_tiers[0].price if product_tiers else None
    for sku in sku_infos:
        selected = []
        sku_image = None
        for attribute in sku.get("attributes") or []:
            name = (_text(attribute, "attributeDisplayName") or _text(attribute, "attributeName")
                    or str(attribute.get("attributeID", "")))
            value = (_text(attribute, "attributeValue") or _text(attribute, "customValueName")
                     or "")
            swatch = image_url(attribute.get("skuImageUrl"))
            sku_image = sku_image or swatch
            selected.append(SelectedOption(name=name, value=value))
            values = option_values.setdefault(name, {})
            known = values.get(value)
            if known is None or (known.swatch_image is None and swatch is not None):
                values[value] = OptionValue(name=value, swatch_image=swatch)
        if sku_image and sku_image not in images:
            images.append(sku_image)
        own_tiers = price_tiers_from_ranges(sku.get("priceRange"))
        sku_price = _money(sku, "price")
        tiers: tuple[PriceTier, ...] = ()
        if quote_type == 2:
            # 有SKU按数量报价: every SKU is priced by the offer's shared quantity tiers.
            price, tiers = first_tier or sku_price, product_tiers
        elif quote_type == 3 and own_tiers:
            # SKU_PRICE_RANGE: each SKU has its own quantity tiers.
            price, tiers = own_tiers[0].price, own_tiers
        else:
            # 1 (有SKU按规格报价) prices each SKU itself; anything else falls back likewise.
            price = sku_price if sku_price is not None else first_tier
        spec_id = _text(sku, "specId") or _text(sku, "skuId") or ""
        variants.append(VariantRecord(
            sku_id=spec_id,
            upstream_sku_id=_text(sku, "skuId"),
            selected_options=tuple(selected),
            price=PriceTrio(display=price if price is not None else Decimal(0),
                            original=_money(sku, "retailPrice"),
                            promotion=_money(sku, "promotionPrice")),
            stock=_int(sku, "amountOnSale"),
            price_tiers=tiers,
            distribution_price=_money(sku, "consignPrice"),
            image=sku_image,
            outer_id=_text(sku, "cargoNumber"),
        ))
    options = tuple(
        Option(name=name, values=tuple(values.values()))
        for name, values in option_values.items()
    )
    return VariantSet(options=options, variants=tuple(variants)), images


def product_from_1688(info: Mapping[str, Any], *, source_id: str) -> ProductRecord:
    """AOP ``productInfo`` (camelCase; parse with ``parse_float=Decimal``) → a full record.

    quoteType (§2.6): 0 = no SKUs, price by the quantity tiers; 1 = each SKU has its own
    price (product tiers may still exist); 2 = SKUs priced by the shared quantity tiers.
    The display price is the first tier's (what an order of the MOQ pays per unit), or the
    lowest SKU price for quoteType 1.
    """
    sale = info.get("saleInfo") or {}
    quote_type = _int(sale, "quoteType")
    tiers = price_tiers_from_ranges(sale.get("priceRanges"))
    sku_infos = [sku for sku in info.get("skuInfos") or [] if isinstance(sku, Mapping)]
    variant_set, variant_images = _variants(sku_infos, quote_type, tiers)
    variants = variant_set.variants

    sku_prices = [p for sku in sku_infos if (p := _money(sku, "price")) is not None]
    display: Decimal | None
    if quote_type == 1 and sku_prices:
        display, candidates = min(sku_prices), list(sku_prices)
    elif tiers:
        display = tiers[0].price
        candidates = [tier.price for tier in tiers]
    else:
        candidates = [v.price.display for v in variants]
        display = min(candidates) if candidates else None
    for variant in variants:
        candidates.extend(tier.price for tier in variant.price_tiers)
    promotions = [v.price.promotion for v in variants if v.price.promotion is not None]
    original = _money(sale, "retailprice") or _reference_price(info.get("referencePrice"))
    price = PriceTrio(display=display if display is not None else Decimal(0),
                      original=original, promotion=min(promotions) if promotions else None)

    stock = _int(sale, "amountOnSale")
    if stock is None and variants:
        stock = sum(v.stock or 0 for v in variants)

    attributes = []
    brand = None
    for attribute in info.get("attributes") or []:
        name, value = _text(attribute, "attributeName"), _text(attribute, "value")
        if name is None or value is None:
            continue
        attributes.append(Attribute(name=LocalizedText(name), value=LocalizedText(value)))
        if brand is None and (name == "品牌" or _int(attribute, "attributeID") == 2176):
            brand = value

    shipping_info = info.get("shippingInfo") or {}
    ships_from = _location(shipping_info.get("sendGoodsAddressText"))
    template = shipping_info.get("freightTemplateID")
    shipping = Shipping(
        ships_from=ships_from,
        unit_weight_kg=_money(shipping_info, "unitWeight"),
        freight_template_id=str(template) if template is not None else None,
    ) if shipping_info else None

    seller_login = _text(info, "supplierLoginId") or _text(info, "sellerLoginId")
    seller = SellerRecord(
        channel=CHANNEL, source_id=seller_login, name=seller_login, location=ships_from,
        trade_score=_money(info, "qualityLevel"),
    ) if seller_login else None

    category_id = info.get("categoryID")
    category = Category(id=str(category_id), name=_text(info, "categoryName")) \
        if category_id is not None else None

    gallery = [url for url in map(image_url, (info.get("image") or {}).get("images") or [])
               if url]
    images = [Image(url=url, kind=ImageKind.MAIN if i == 0 else ImageKind.GALLERY, position=i)
              for i, url in enumerate(gallery)]
    images += [Image(url=url, kind=ImageKind.VARIANT, position=len(images) + i)
               for i, url in enumerate(u for u in variant_images if u not in gallery)]
    videos = [Video(url=url, kind=kind) for key, kind in (
        ("mainVedio", VideoKind.MAIN), ("detailVedio", VideoKind.DETAIL))
        if (url := _text(info, key) or _text(info, key.replace("Vedio", "Video")))]

    core = ProductCore(
        title=LocalizedText(original=str(info.get("subject") or "")),
        source_url=f"https://detail.1688.com/offer/{source_id}.html",
        price=price,
        price_min=min(candidates) if candidates else None,
        price_max=max(candidates) if candidates else None,
        price_tiers=tiers,
        min_order_quantity=_int(sale, "minOrderQuantity"),
        distribution_price=_money(sale, "consignPrice"),
        distribution_min_quantity=_int(sale, "consignMinQuantity"),
        unit=_text(sale, "unit"),
        batch_number=_int(sale, "batchNumber"),
        sell_unit=_text(sale, "sellunit"),
        mix_wholesale=sale.get("mixWholeSale") if isinstance(sale.get("mixWholeSale"), bool)
        else None,
        total_stock=stock,
        sales_count=_int(info, "bookedCount"),
        category=category,
        brand=brand,
        status=_product_status(info.get("status")),
        product_type=_product_type(info.get("productType")),
        listed_at=parse_1688_datetime(info.get("createTime"), "createTime"),
        updated_at=parse_1688_datetime(info.get("lastUpdateTime"), "lastUpdateTime")
        or parse_1688_datetime(info.get("modifyTime"), "modifyTime"),
        attributes=tuple(attributes),
        shipping=shipping,
        seller_id=seller_login,
        seller_name=seller_login,
        customization=_customization(info.get("processing")),
        main_image=gallery[0] if gallery else None,
    )
    description = _text(info, "description")
    empty = {Part.CATALOG}
    if not variants:
        empty.add(Part.VARIANTS)
    if seller is None:
        empty.add(Part.SELLER)
    if description is None:
        empty.add(Part.DESCRIPTION)
    return ProductRecord(
        channel=CHANNEL, source_id=source_id, core=core,
        variants=variant_set if variants else None,
        media=Media(images=tuple(images), videos=tuple(videos)),
        description=Description(html=description) if description else None,
        seller=seller, empty_parts=frozenset(empty),
    )


# Seed 004 spells ProductInfo in snake_case; these keys keep AOP's "ID" capitals.
_ID_KEYS = {"productId": "productID", "categoryId": "categoryID", "attributeId": "attributeID",
            "valueId": "valueID", "freightTemplateId": "freightTemplateID",
            "groupId": "groupID", "attValueId": "attValueID"}


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    camel = head + "".join(word[:1].upper() + word[1:] for word in rest)
    return _ID_KEYS.get(camel, camel)


def normalize_aggregator_keys(value: Any) -> Any:
    """The aggregator's snake_case JSON → AOP camelCase, recursively (values untouched)."""
    if isinstance(value, Mapping):
        return {_camel(str(key)): normalize_aggregator_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalize_aggregator_keys(item) for item in value]
    return value


def product_info_from_aggregator(data: Mapping[str, Any]) -> dict[str, Any]:
    """Seed 004 ``data`` → an AOP ``productInfo``; dates found beside it are folded in."""
    camel = normalize_aggregator_keys(data)
    info = dict(camel.get("productInfo") or {})
    for key in ("createTime", "lastUpdateTime", "expireTime", "approvedTime",
                "lastRepostTime", "modifyTime"):
        if key not in info and camel.get(key):
            info[key] = camel[key]
    return info


# --- 4. adapters ----------------------------------------------------------------------


class _Alibaba1688Adapter:
    """The fan-out both transports share: one call per offer, at most ``concurrency`` at once."""

    channels: tuple[Channel, ...] = (CHANNEL,)
    batch_limit = 1
    parts_per_call = PARTS_PER_CALL

    def __init__(self, client: UpstreamClient, concurrency: int) -> None:
        self.client = client
        self._slots = asyncio.Semaphore(max(1, concurrency))

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        return numeric_source_id(channel, source_id)

    async def fetch(
        self, channel: Channel, source_ids: Sequence[str], parts: frozenset[Part]
    ) -> FetchResult:
        """Every part of each offer (one detail call answers them all), one result per id."""
        return await fetch_each(source_ids, self._fetch_one, self._slots)

    async def _fetch_one(self, source_id: str) -> ProductRecord:
        raise NotImplementedError

    async def aclose(self) -> None:
        await self.client.aclose()


class Alibaba1688OpenAdapter(_Alibaba1688Adapter):
    """1688 through its open platform: signed ``alibaba.product.get`` per offer."""

    def __init__(
        self, *, app_key: str, app_secret: str, access_token: str,
        gateway_url: str = DEFAULT_GATEWAY_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S, concurrency: int = 8,
        policy: UpstreamPolicy | None = None, redis: Any = None,
    ) -> None:
        """``policy`` and ``redis`` go to the ``UpstreamClient`` (QPS budget, bans, retries;
        shared between processes through ``redis``)."""
        super().__init__(UpstreamClient(CHANNEL, gateway_url.rstrip("/") + "/",
                                        transport=transport, timeout_s=timeout_s,
                                        user_agent="Ocean-SDK-Client", policy=policy,
                                        redis=redis), concurrency)
        self._app_key = app_key
        self._app_secret = app_secret
        self._access_token = access_token

    def __repr__(self) -> str:
        return (f"Alibaba1688OpenAdapter(app_key={self._app_key!r}, "
                f"gateway={self.client.base_url!r})")

    async def _fetch_one(self, source_id: str) -> ProductRecord:
        async def attempt() -> ProductRecord:
            path, form = product_get_form(
                app_key=self._app_key, app_secret=self._app_secret,
                access_token=self._access_token, product_id=source_id)
            response = await self.client.request("POST", path, api="alibaba.product.get",
                                                 data=form)
            return self._parse(response, source_id)

        return await self.client.call("alibaba.product.get", attempt)

    def _parse(self, response: httpx.Response, source_id: str) -> ProductRecord:
        secrets = (self._app_secret, self._access_token)
        try:
            body = parse_json(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            if response.status_code >= 400:
                raise aop_gateway_error(response.status_code, None,
                                        offer_id=source_id, secrets=secrets) from exc
            raise _not_json(source_id, response.status_code) from exc
        if not isinstance(body, Mapping):
            raise _not_json(source_id, response.status_code)
        if response.status_code >= 400 or body.get("error_code"):
            raise aop_gateway_error(response.status_code, body,
                                    offer_id=source_id, secrets=secrets)
        success = body.get("success")
        info = body.get("productInfo")
        if success in (False, "false") or not isinstance(info, Mapping):
            raise aop_business_error(body, offer_id=source_id)
        try:
            return product_from_1688(info, source_id=source_id)
        except UndecodableValue as exc:
            raise _undecodable(source_id, response.status_code, exc) from exc


class Alibaba1688AggregatorAdapter(_Alibaba1688Adapter):
    """1688 through the seed-004 aggregator: ``POST {url}`` with a Bearer token."""

    def __init__(
        self, *, url: str, token: str, shop_id: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S, concurrency: int = 8,
        policy: UpstreamPolicy | None = None, redis: Any = None,
    ) -> None:
        """``policy`` and ``redis`` go to the ``UpstreamClient``, as for the open platform."""
        # Its own budget (10/s, seed 004) and bans, apart from the open platform's.
        super().__init__(UpstreamClient(CHANNEL, url, transport=transport,
                                        timeout_s=timeout_s, policy=policy, redis=redis,
                                        upstream="alibaba-aggregator"),
                         concurrency)
        self._url = url
        self._token = token
        self._shop_id = shop_id

    def __repr__(self) -> str:
        return f"Alibaba1688AggregatorAdapter(url={self._url!r}, shop_id={self._shop_id!r})"

    async def _fetch_one(self, source_id: str) -> ProductRecord:
        body: dict[str, Any] = {"product_id": int(source_id)}
        if self._shop_id is not None:
            body["shop_id"] = self._shop_id

        async def attempt() -> ProductRecord:
            response = await self.client.request(
                "POST", self._url, api=AGGREGATOR_API, json=body,
                headers={"Authorization": f"Bearer {self._token}"})
            return self._parse(response, source_id)

        return await self.client.call(AGGREGATOR_API, attempt)

    def _parse(self, response: httpx.Response, source_id: str) -> ProductRecord:
        status = response.status_code
        if status in (401, 403):
            raise Unauthenticated(
                f"the 1688 aggregator refused the token (offer {source_id}, HTTP {status})",
                channel=CHANNEL, upstream_code=str(status), http_status=status)
        if status == 429:
            raise RateLimited(
                f"the 1688 aggregator is rate limiting this token (offer {source_id})",
                channel=CHANNEL, upstream_code="429", http_status=status, retryable=True)
        if status >= 500:
            raise UpstreamError(
                f"the 1688 aggregator failed with HTTP {status} (offer {source_id})",
                channel=CHANNEL, upstream_code=str(status), http_status=status,
                retryable=True)
        try:
            envelope = parse_json(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _not_json(source_id, status) from exc
        if not isinstance(envelope, Mapping) or "code" not in envelope:
            raise _not_json(source_id, status)
        try:
            code = integer(envelope.get("code"), "code")
        except UndecodableValue:
            code = None
        if code != AGGREGATOR_SUCCESS:
            raise aggregator_error(
                code if code is not None else -1, str(envelope.get("msg") or ""),
                offer_id=source_id, secrets=(self._token,))
        data = envelope.get("data")
        if not isinstance(data, Mapping) or not isinstance(data.get("product_info"), Mapping):
            raise NotFound(f"1688 offer {source_id} was not found (empty answer)",
                           channel=CHANNEL, upstream_code="0")
        try:
            return product_from_1688(product_info_from_aggregator(data), source_id=source_id)
        except UndecodableValue as exc:
            raise _undecodable(source_id, status, exc) from exc
