"""TOP affiliate (淘宝客, "tbk") JSON → the normalized model: pure functions, no I/O (the
adapter is ``channels/tbk.py``).

``taobao.tbk.item.info.get`` (apiId 24518) answers ``results`` → ``n_tbk_item`` (wrapped, or a
plain list with ``simplify``). The fields read, as the method's documentation and its
recorded answers (tests/fixtures/taobao/tbk_item_info_get*.json) name them:

* ``num_iid``; ``title``; ``pict_url`` (the main image) and ``small_images`` →
  ``string`` (the gallery);
* ``reserve_price`` (一口价, the list price) and ``zk_final_price`` (折扣价, the discounted
  price the buyer pays before coupons): the ``PriceTrio``'s ``original`` and ``display``,
  and ``zk_final_price`` also as ``final``;
* ``user_type`` (0 = Taobao, 1 = Tmall) chooses the canonical page; ``item_url`` is kept
  only as the fallback of that page; ``provcity`` (ships from); ``volume`` (30-day sales);
* ``nick`` and ``seller_id`` (the shop); ``cat_name`` / ``cat_leaf_name`` (the top and leaf
  category names; the answer carries no category id, so ``Category`` stays unset and the
  names become attributes).

``taobao.tbk.item.info.upgrade.get`` (apiId 64763, 商品详情查询升级版) answers ``results`` →
``tbk_item_detail[]``: ``item_id`` / ``input_item_iid`` (the id as asked), and
``price_promotion_info`` with ``reserve_price``, ``zk_final_price``, ``final_promotion_price``
(预估到手价: the price after the promotions and coupons) and ``final_promotion_path_list`` →
``final_promotion_path_map_data[]`` (the promotions that make it: ``promotion_title``,
``promotion_desc``, ``promotion_fee``, ``promotion_start_time`` / ``promotion_end_time``,
``promotion_id``), as the method's documentation and its SDKs' response types name them
(tests/fixtures/taobao/tbk_item_info_upgrade_get.json). ``coupon_price_from_upgrade`` reads
``final_promotion_price`` as the price after coupons and the entry whose title names a coupon
(券) with the largest fee as the coupon [inferred: which entries are coupons, the threshold
read from a ``promotion_desc`` like 满199元减20元, and the time format, epoch milliseconds or
``yyyy-MM-dd HH:mm:ss``].

Coupon fields are not documented for ``taobao.tbk.item.info.get``; the material methods
(``taobao.tbk.dg.material.optional``) answer ``coupon_amount``, ``coupon_start_fee``,
``coupon_start_time`` / ``coupon_end_time`` (``yyyy-MM-dd``), ``coupon_remain_count`` and
``coupon_total_count`` on the same item shape [inferred from their SDK answers]. Where an
item carries them, ``coupon`` and ``after_coupon`` (``zk_final_price`` − the amount, when
the price reaches the threshold) are set; else both stay ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from channels.decoding import SHANGHAI, UndecodableValue, integer, money, text
from channels.model import (
    Attribute,
    Channel,
    Coupon,
    CouponPrice,
    Image,
    ImageKind,
    LocalizedText,
    Location,
    Media,
    Part,
    PriceTrio,
    ProductCore,
    ProductRecord,
    SellerRecord,
    Shipping,
)
from channels.top_mapping import source_url, top_list

JsonObject = dict[str, Any]

#: What one ``taobao.tbk.item.info.get`` answer carries.
TBK_PARTS = frozenset({Part.CORE, Part.MEDIA, Part.SELLER})


def absolute_url(url: str) -> str:
    """TOP affiliate images come protocol-relative at times (``//img.alicdn.com/…``)."""
    return "https:" + url if url.startswith("//") else url


def tbk_items(body: Mapping[str, Any]) -> list[JsonObject]:
    """The ``n_tbk_item`` list of an answer, wrapped or simplified."""
    return top_list(body.get("results"), "n_tbk_item")


def is_tmall_item(item: Mapping[str, Any]) -> bool:
    """``user_type`` 1 is a Tmall item (0 Taobao)."""
    return integer(item.get("user_type"), "user_type") == 1


def _gallery(item: Mapping[str, Any]) -> list[str]:
    value = item.get("small_images")
    if isinstance(value, Mapping):
        value = value.get("string")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    urls = []
    for entry in value:
        url = text(entry, "small_images")
        if url:
            urls.append(absolute_url(url))
    return urls


def media_from_tbk(item: Mapping[str, Any]) -> Media:
    """``pict_url`` first (MAIN), then ``small_images`` (GALLERY), duplicates dropped."""
    urls: list[str] = []
    main = text(item.get("pict_url"), "pict_url")
    if main:
        urls.append(absolute_url(main))
    urls += [u for u in _gallery(item) if u not in urls]
    return Media(images=tuple(
        Image(url=url, kind=ImageKind.MAIN if i == 0 and main else ImageKind.GALLERY, position=i)
        for i, url in enumerate(urls)))


def _coupon_day(value: object, field: str, *, end: bool) -> datetime | None:
    """A coupon's first or last moment: epoch milliseconds, ``yyyy-MM-dd HH:mm:ss``, or a
    day (``yyyy-MM-dd``: its first or last second), in Asia/Shanghai."""
    raw = text(value, field)
    if raw is None:
        return None
    try:
        if raw.isdigit():  # epoch milliseconds, as some material answers write it
            return datetime.fromtimestamp(int(raw) / 1000, tz=SHANGHAI)
        if len(raw) >= 19:
            return datetime.strptime(raw[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
        day = datetime.strptime(raw[:10], "%Y-%m-%d")
    except ValueError:
        raise UndecodableValue(field, value, "a yyyy-MM-dd date") from None
    if end:
        day = day.replace(hour=23, minute=59, second=59)
    return day.replace(tzinfo=SHANGHAI)


def coupon_from_tbk(item: Mapping[str, Any]) -> Coupon | None:
    """The item's coupon, when the answer carries a positive ``coupon_amount``."""
    amount = money(item.get("coupon_amount"), "coupon_amount")
    if amount is None or amount <= 0:
        return None
    return Coupon(
        amount=amount,
        threshold=money(item.get("coupon_start_fee"), "coupon_start_fee"),
        starts_at=_coupon_day(item.get("coupon_start_time"), "coupon_start_time", end=False),
        ends_at=_coupon_day(item.get("coupon_end_time"), "coupon_end_time", end=True),
        remaining=integer(item.get("coupon_remain_count"), "coupon_remain_count"),
        total=integer(item.get("coupon_total_count"), "coupon_total_count"),
    )


def _after(price: Decimal | None, coupon: Coupon | None) -> Decimal | None:
    """``price`` less the coupon, when the price reaches the coupon's threshold."""
    if price is None or coupon is None or (coupon.threshold is not None
                                           and price < coupon.threshold):
        return None
    return max(price - coupon.amount, Decimal("0"))


def upgrade_details(body: Mapping[str, Any]) -> list[JsonObject]:
    """The ``tbk_item_detail`` list of a ``taobao.tbk.item.info.upgrade.get`` answer."""
    return top_list(body.get("results"), "tbk_item_detail")


def upgrade_source_id(detail: Mapping[str, Any]) -> str | None:
    """The numeric id an upgrade detail answers: the id as asked, else ``item_id``."""
    for key in ("input_item_iid", "item_id"):
        value = text(detail.get(key), key)
        if value and value.isdigit():
            return value
    return None


def _promotion_paths(info: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    paths = info.get("final_promotion_path_list")
    if isinstance(paths, Mapping):
        paths = paths.get("final_promotion_path_map_data")
    if isinstance(paths, Mapping):   # one entry, unwrapped
        paths = [paths]
    return [p for p in paths if isinstance(p, Mapping)] if isinstance(paths, list) else []


_THRESHOLD = re.compile(r"满\s*([0-9]+(?:\.[0-9]+)?)")


def coupon_from_paths(paths: list[Mapping[str, Any]]) -> Coupon | None:
    """The coupon (a path entry whose title names a 券) that takes the most off."""
    best: tuple[Decimal, Mapping[str, Any]] | None = None
    for path in paths:
        if "券" not in (text(path.get("promotion_title"), "promotion_title") or ""):
            continue
        fee = money(path.get("promotion_fee"), "promotion_fee")
        if fee is not None and fee > 0 and (best is None or fee > best[0]):
            best = (fee, path)
    if best is None:
        return None
    fee, path = best
    threshold = _THRESHOLD.search(text(path.get("promotion_desc"), "promotion_desc") or "")
    return Coupon(
        amount=fee, threshold=Decimal(threshold.group(1)) if threshold else None,
        starts_at=_coupon_day(path.get("promotion_start_time"), "promotion_start_time",
                              end=False),
        ends_at=_coupon_day(path.get("promotion_end_time"), "promotion_end_time", end=True))


def coupon_price_from_upgrade(detail: Mapping[str, Any]) -> CouponPrice | None:
    """``final_promotion_price`` and the coupon of one upgrade detail; without a final
    promotion price, ``zk_final_price`` less the coupon; ``None`` when it carries neither."""
    info = detail.get("price_promotion_info")
    if not isinstance(info, Mapping):
        return None
    coupon = coupon_from_paths(_promotion_paths(info))
    after = money(info.get("final_promotion_price"), "final_promotion_price")
    if after is None:
        after = _after(money(info.get("zk_final_price"), "zk_final_price"), coupon)
    if after is None and coupon is None:
        return None
    return CouponPrice(after_coupon=after, coupon=coupon)


def price_from_tbk(item: Mapping[str, Any]) -> PriceTrio:
    """``reserve_price`` (list), ``zk_final_price`` (shown, and ``final``), and the price
    after the coupon when one applies at that price."""
    final = money(item.get("zk_final_price"), "zk_final_price")
    reserve = money(item.get("reserve_price"), "reserve_price")
    display = final if final is not None else reserve
    if display is None:
        raise UndecodableValue("zk_final_price", None, "present")
    coupon = coupon_from_tbk(item)
    after = _after(display, coupon)
    # ``original`` is only a list price that differs from the shown one (channels/model.py).
    original = reserve if reserve is not None and reserve != display else None
    return PriceTrio(display=display, original=original, final=final, after_coupon=after,
                     coupon=coupon)


def _location(item: Mapping[str, Any]) -> Location | None:
    raw = text(item.get("provcity"), "provcity")
    if raw is None:
        return None
    pieces = raw.split()
    if len(pieces) == 2:
        return Location(province=pieces[0], city=pieces[1], text=raw)
    return Location(city=raw, text=raw)


def item_from_tbk(item: Mapping[str, Any], channel: Channel, parts: frozenset[Part], *,
                  request_id: str | None = None) -> ProductRecord:
    """One ``n_tbk_item`` as a record of ``parts`` (of ``TBK_PARTS``) for ``channel``."""
    num_iid = text(item.get("num_iid"), "num_iid")
    if num_iid is None:
        raise UndecodableValue("num_iid", None, "present")
    page_channel = Channel.TMALL if is_tmall_item(item) else Channel.TAOBAO
    location = _location(item)
    seller_id = text(item.get("seller_id"), "seller_id")
    nick = text(item.get("nick"), "nick")
    core = media = seller = None
    if Part.CORE in parts:
        names = [n for n in (text(item.get("cat_name"), "cat_name"),
                             text(item.get("cat_leaf_name"), "cat_leaf_name")) if n]
        attributes = tuple(Attribute(name=LocalizedText(label), value=LocalizedText(name))
                           for label, name in zip(("类目", "叶子类目"), names, strict=False))
        main = text(item.get("pict_url"), "pict_url")
        core = ProductCore(
            title=LocalizedText(text(item.get("title"), "title") or ""),
            source_url=source_url(page_channel, num_iid),
            price=price_from_tbk(item),
            sales_count=integer(item.get("volume"), "volume"),
            attributes=attributes,
            shipping=Shipping(ships_from=location) if location else None,
            seller_id=seller_id or nick,
            seller_name=nick,
            main_image=absolute_url(main) if main else None,
        )
    if Part.MEDIA in parts:
        media = media_from_tbk(item)
    if Part.SELLER in parts and (seller_id or nick):
        seller = SellerRecord(channel=channel, source_id=seller_id or nick or "",
                              name=nick or seller_id or "", location=location)
    empty = frozenset({Part.SELLER} & parts) if seller is None else frozenset()
    return ProductRecord(channel, num_iid, core=core, media=media, seller=seller,
                         request_id=request_id, empty_parts=empty)
