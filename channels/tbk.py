"""Any public Taobao/Tmall item through TOP's affiliate (淘宝客, "tbk") API.

The seller methods ``channels/top.py`` calls read only the authorizing seller's own items;
the affiliate methods read any item an affiliate may promote, with an app key and secret
and no session. The signing, the envelope and the error table are ``channels/top.py``'s:
``TbkAdapter`` wraps a ``TopAdapter`` and calls through it (one client, one QPS budget).

Methods (README, "The affiliate route", says which facts are documented and which inferred):

* ``taobao.tbk.item.info.get`` (apiId 24518, 淘宝客商品详情查询(简版)): ``num_iids`` at most 40
  a call, ``platform`` (1 PC, 2 wireless), optional ``ip``; answers ``results`` →
  ``n_tbk_item`` (mapped in ``channels/tbk_mapping.py``). Unknown or non-affiliate ids are
  missing from the answer, so a missing id is ``NotFound``. The documented request has no
  ``fields`` and no ``adzone_id``: the answer is lean as it is.
* ``taobao.tbk.item.info.upgrade.get`` (apiId 64763, 商品详情查询升级版), only where the app
  is granted it (``coupons=True``): ``item_id`` at most 20 ids a call; answers ``results`` →
  ``tbk_item_detail`` with ``price_promotion_info`` (the price after coupons, and the coupon:
  ``coupon_price_from_upgrade``). It answers the COUPON part, in the same wave as the
  others; without the grant COUPON is answered empty, at no call.
* ``taobao.tbk.tpwd.convert`` (淘口令转链, apiId 32932): ``password_content`` (the 淘口令, or
  a text holding one), ``adzone_id`` (the third part of the PID ``mm_<member>_<site>_<adzone>``),
  ``dx``; answers ``data`` → ``num_iid`` and ``click_url``. A code that names no affiliate
  item answers ``error_response`` code 15 (sub_code ``10000`` in recorded answers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from channels.base import FetchResult
from channels.decoding import UndecodableValue, text
from channels.errors import BadRequest, ChannelError, NotFound, UpstreamError
from channels.model import Channel, Part, ProductRecord
from channels.tbk_mapping import (
    TBK_PARTS,
    coupon_price_from_upgrade,
    item_from_tbk,
    tbk_items,
    upgrade_details,
    upgrade_source_id,
)
from channels.top import TopAdapter

ITEM_INFO_METHOD = "taobao.tbk.item.info.get"
UPGRADE_METHOD = "taobao.tbk.item.info.upgrade.get"
TPWD_CONVERT_METHOD = "taobao.tbk.tpwd.convert"
#: ``num_iids`` of ``taobao.tbk.item.info.get`` carries at most 40 ids (apiId 24518).
TBK_BATCH_LIMIT = 40
#: ``item_id`` of ``taobao.tbk.item.info.upgrade.get``: "一次最多查询20个" (apiId 64763).
UPGRADE_BATCH_LIMIT = 20
#: ``platform``: 1 answers desktop ``item_url``s, 2 wireless ones.
PLATFORM_PC = "1"


class TokenUnresolved(ChannelError):
    """A 淘口令 that the affiliate API does not resolve to an item."""

    code = "UNSUPPORTED_URL"


def check_adzone_id(adzone_id: str) -> str:
    """The ``adzone_id``: digits, or the last part of a PID ``mm_<m>_<s>_<adzone>``."""
    value = adzone_id.strip()
    if value.startswith("mm_"):
        value = value.rsplit("_", 1)[-1]
    if not value.isascii() or not value.isdigit() or len(value) > 20:
        raise ValueError("the adzone id is digits, or a PID mm_<member>_<site>_<adzone>")
    return value


class TbkAdapter:
    """Taobao and Tmall items (CORE, MEDIA, SELLER) from ``taobao.tbk.item.info.get``, 40 a
    call; the price after coupons (COUPON) from ``taobao.tbk.item.info.upgrade.get`` where
    granted, 20 a call; 淘口令 resolution through ``taobao.tbk.tpwd.convert``."""

    channels: tuple[Channel, ...] = (Channel.TAOBAO, Channel.TMALL)
    batch_limit = TBK_BATCH_LIMIT
    parts_per_call = TBK_PARTS | {Part.COUPON}
    #: ``Product.sources`` names this route so.
    source_name = "AFFILIATE_API"

    def __init__(self, top: TopAdapter, *, adzone_id: str,
                 platform: str = PLATFORM_PC, coupons: bool = False) -> None:
        """``top`` signs and sends the calls (its session, if any, is not needed);
        ``coupons``: the app is granted ``taobao.tbk.item.info.upgrade.get``."""
        self._top = top
        self.adzone_id = check_adzone_id(adzone_id)
        self.platform = platform
        self.coupons = coupons

    def __repr__(self) -> str:
        return f"TbkAdapter({self._top!r}, adzone_id={self.adzone_id!r})"

    @property
    def client(self) -> Any:
        return self._top.client

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        return self._top.validate_source_id(channel, source_id)

    def source_of(self, part: Part) -> str | None:
        """``AFFILIATE_API`` for the parts it answers; no source for the others."""
        return self.source_name if part in self.parts_per_call else None

    async def fetch(
        self, channel: Channel, source_ids: Sequence[str], parts: frozenset[Part]
    ) -> FetchResult:
        """The parts of ``parts_per_call`` asked for, the item call and the coupon calls at
        once; other parts stay unloaded (a layered adapter asks another source for them,
        ``channels/layered.py``)."""
        ids = list(dict.fromkeys(source_ids))
        item_parts = parts & TBK_PARTS
        if not parts & self.parts_per_call:
            item_parts = frozenset({Part.CORE})
        with_coupon = Part.COUPON in parts
        items, coupons = await asyncio.gather(
            _chunked(ids, TBK_BATCH_LIMIT,
                     lambda chunk: self._fetch_batch(channel, chunk, item_parts))
            if item_parts else _nothing(),
            _chunked(ids, UPGRADE_BATCH_LIMIT,
                     lambda chunk: self._fetch_coupons(channel, chunk))
            if with_coupon and self.coupons else _nothing())
        out: dict[str, Any] = {}
        for sid in source_ids:
            record = items[sid] if item_parts else ProductRecord(channel, sid)
            coupon = coupons.get(sid)
            if isinstance(record, Exception) or not with_coupon:
                out[sid] = record
            elif isinstance(coupon, Exception):
                out[sid] = coupon
            elif coupon is None:
                out[sid] = replace(record, empty_parts=record.empty_parts | {Part.COUPON})
            else:
                out[sid] = replace(record, coupon=coupon)
        return out

    async def _fetch_coupons(self, channel: Channel,
                             ids: Sequence[str]) -> dict[str, Any]:
        """Each id's ``CouponPrice`` (``None``: no price after coupons answered, or the item
        is not in the answer) or the call's error."""
        try:
            body, request_id = await self._top.call(
                UPGRADE_METHOD, {"item_id": ",".join(ids)}, channel=channel)
        except ChannelError as exc:
            return dict.fromkeys(ids, exc)
        found: dict[str, Any] = {}
        for detail in upgrade_details(body):
            source_id = upgrade_source_id(detail)
            if source_id is None:
                continue
            try:
                found[source_id] = coupon_price_from_upgrade(detail)
            except UndecodableValue as exc:
                found[source_id] = _undecodable(channel, UPGRADE_METHOD, source_id, exc,
                                                request_id)
        return {sid: found.get(sid) for sid in ids}

    async def _fetch_batch(self, channel: Channel, ids: Sequence[str],
                           parts: frozenset[Part]) -> dict[str, Any]:
        try:
            body, request_id = await self._top.call(
                ITEM_INFO_METHOD, {"num_iids": ",".join(ids), "platform": self.platform},
                channel=channel)
        except ChannelError as exc:
            return dict.fromkeys(ids, exc)
        found: dict[str, Any] = {}
        for item in tbk_items(body):
            source_id = str(item.get("num_iid", ""))
            try:
                found[source_id] = item_from_tbk(item, channel, parts, request_id=request_id)
            except UndecodableValue as exc:
                found[source_id] = _undecodable(channel, ITEM_INFO_METHOD, source_id, exc,
                                                request_id)
        return {sid: found.get(sid) or NotFound(
            f"no {channel.value} product {sid} (the affiliate API answers only items open "
            "to affiliates)", channel=channel, request_id=request_id) for sid in ids}

    async def convert_token(self, password: str) -> str:
        """The ``num_iid`` a 淘口令 (``￥AbCd1234￥``, or a share text holding one) points to;
        ``TokenUnresolved`` when the API names no item for it."""
        try:
            body, request_id = await self._top.call(
                TPWD_CONVERT_METHOD, {"password_content": password,
                                      "adzone_id": self.adzone_id, "dx": "1"},
                channel=Channel.TAOBAO)
        except (NotFound, BadRequest) as exc:
            raise TokenUnresolved(f"the 淘口令 names no product: {exc.message}",
                                  channel=Channel.TAOBAO, request_id=exc.request_id) from exc
        except UpstreamError as exc:
            # Code 15 with a business sub_code (``10000``: "item delisted or not open to
            # affiliates") is an answer about the code, not a failure of the gateway.
            if exc.upstream_code == "15" and not (exc.sub_code or "").startswith("isp."):
                raise TokenUnresolved(f"the 淘口令 names no product: {exc.message}",
                                      channel=Channel.TAOBAO,
                                      request_id=exc.request_id) from exc
            raise
        data = body.get("data")
        num_iid = text(data.get("num_iid"), "num_iid") if isinstance(data, dict) else None
        if not num_iid or not num_iid.isdigit():
            raise TokenUnresolved("the 淘口令 names no product", channel=Channel.TAOBAO,
                                  request_id=request_id)
        return num_iid

    async def aclose(self) -> None:
        await self._top.aclose()


def _undecodable(channel: Channel, method: str, source_id: str, exc: UndecodableValue,
                 request_id: str | None) -> UpstreamError:
    return UpstreamError(f"{channel.value} answered {method} for item {source_id} with an "
                         f"undecodable field: {exc}", channel=channel, request_id=request_id,
                         http_status=200, retryable=False)


async def _chunked(ids: list[str], size: int,
                   call: Callable[[list[str]], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """``call`` on every ``size`` ids at once, the answers merged."""
    merged: dict[str, Any] = {}
    for answer in await asyncio.gather(*(call(ids[i:i + size])
                                         for i in range(0, len(ids), size))):
        merged.update(answer)
    return merged


async def _nothing() -> dict[str, Any]:
    return {}
