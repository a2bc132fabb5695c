"""Taobao and Tmall over the Taobao Open Platform (TOP) ``router/rest`` gateway.

Reads top to bottom: signing and the timestamp (pure), the envelope and the table of TOP
error codes → error classes, then ``TopAdapter``. The pure ``…_from_top`` mapping from TOP
JSON to the normalized model is ``channels/top_mapping.py``.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from channels.base import FetchResult, numeric_source_id
from channels.batching import BatchKey, OpenBatch, OpenBatchResult
from channels.decoding import (
    SHANGHAI,
    SHANGHAI_TIME_FORMAT,
    UndecodableValue,
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
    CatalogProductRecord,
    Category,
    Channel,
    ListingPage,
    Part,
    ProductRecord,
)
from channels.policy import UpstreamPolicy
from channels.top_mapping import (
    CATALOG_FIELDS,
    ITEMCAT_FIELDS,
    ONSALE_FIELDS,
    JsonObject,
    catalog_product_from_top,
    fields_for_parts,
    item_cats_from_top,
    item_from_top,
    onsale_page_from_top,
    top_list,
    top_time,
)

DEFAULT_GATEWAY_URL = "https://gw.api.taobao.com/router/rest"
#: One item per call (apiId 24625); the batch method carries up to ``TOP_BATCH_LIMIT`` ids.
DEFAULT_ITEM_METHOD = "taobao.item.seller.get"
DEFAULT_BATCH_METHOD = "taobao.items.seller.list.get"
SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
#: ``num_iids`` of the batch methods carries at most 20 ids (apiId 24626, 40575, 41665).
TOP_BATCH_LIMIT = 20
CATALOG_METHOD = "taobao.product.get.tmall"
#: Category names (apiId 122): ``cids`` carries at most 999 ids, or one ``parent_cid``.
ITEMCATS_METHOD = "taobao.itemcats.get"
ITEMCATS_LIMIT = 999
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


# --------------------------------------------------------------------------- listings

#: ``taobao.items.onsale.get`` (apiId 18): at most 200 items a page, and never deeper than
#: ``page_no * page_size`` = 20000 (code 41 ``isv.invalid-parameter`` past it).
ONSALE_METHOD = "taobao.items.onsale.get"
ONSALE_MAX_PAGE_SIZE = 200
ONSALE_MAX_DEPTH = 20_000
ONSALE_ORDER_KEYS = frozenset({"list_time", "delist_time", "num", "modified", "sold_quantity"})


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

    async def call(self, method: str,
                   business: Mapping[str, str] | Callable[[], Mapping[str, str]], *,
                   channel: Channel) -> tuple[JsonObject, str | None]:
        """One logical TOP call (through ``UpstreamClient.call``): the answer object and its
        ``request_id``, or a typed error. ``business`` may be a function, called when each
        attempt builds its request (after its budget slot was granted)."""
        async def attempt() -> tuple[JsonObject, str | None]:
            query, form = self.build_request(
                method, business() if callable(business) else business)
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

    @property
    def shares_ids_across_channels(self) -> bool:
        """Taobao and Tmall ids share one batch call — except through the Tmall-only batch
        method, which drops Taobao ids."""
        return bool(self.batch_method) and not str(self.batch_method).endswith(".tmall")

    async def fetch_open(self, batch: OpenBatch) -> OpenBatchResult:
        """``OpenBatchFetcher``: one batch call for every id ``batch`` holds when the
        request is built (after the budget slot), Taobao and Tmall ids together; a record
        for each channel that asked for an id. CATALOG is left to the caller (the records'
        ``core.catalog_product_id`` names the SPU)."""
        if not self.batch_method:
            out: dict[BatchKey, ProductRecord | Exception] = {}
            for (channel, source_id), asked in batch.seal().items():
                answer = await self.fetch(channel, [source_id], asked - {Part.CATALOG})
                out[(channel, source_id)] = answer[source_id]
            return out
        method = self.batch_method
        sealed: dict[str, Any] = {}

        def business() -> dict[str, str]:
            if not sealed:
                sealed["wanted"] = batch.seal()
                sealed["parts"] = batch.parts() - {Part.CATALOG}
                sealed["ids"] = batch.wire_ids()
            return {"fields": ",".join(fields_for_parts(sealed["parts"])),
                    "num_iids": ",".join(sealed["ids"])}

        first = next(iter(batch.wanted))[0] if batch.wanted else Channel.TAOBAO
        try:
            body, request_id = await self.call(method, business, channel=first)
        except ChannelError as exc:
            return dict.fromkeys(batch.seal(), exc)
        wanted: dict[BatchKey, frozenset[Part]] = sealed["wanted"]
        parts: frozenset[Part] = sealed["parts"]
        items = {str(item.get("num_iid", "")): item
                 for item in top_list(body.get("items"), "item")}
        answers: dict[BatchKey, ProductRecord | Exception] = {}
        for channel, source_id in wanted:
            item = items.get(source_id)
            if item is None:   # the batch methods drop unknown ids silently (apiId 24626)
                answers[(channel, source_id)] = _not_found(channel, source_id, request_id)
                continue
            try:
                answers[(channel, source_id)] = item_from_top(item, channel, parts,
                                                              request_id=request_id)
            except UndecodableValue as exc:
                answers[(channel, source_id)] = _undecodable(
                    channel, method, f"item {source_id}", request_id, exc)
        return answers

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

    # -- categories (``CategoryTree``)

    category_batch_limit = ITEMCATS_LIMIT

    async def fetch_categories(self, ids: Sequence[str]) -> dict[str, Category]:
        """``taobao.itemcats.get`` by ``cids`` (at most 999 a call): the categories that
        exist, by id. The tree is the same for Taobao and Tmall."""
        found: dict[str, Category] = {}
        unique = list(dict.fromkeys(ids))
        for i in range(0, len(unique), ITEMCATS_LIMIT):
            chunk = unique[i:i + ITEMCATS_LIMIT]
            found.update((c.id, c) for c in await self._item_cats({"cids": ",".join(chunk)}))
        return found

    async def fetch_child_categories(self, parent_id: str) -> list[Category]:
        """``taobao.itemcats.get`` by ``parent_cid`` ("0": the roots)."""
        return await self._item_cats({"parent_cid": parent_id})

    async def _item_cats(self, selector: Mapping[str, str]) -> list[Category]:
        business = {"fields": ",".join(ITEMCAT_FIELDS), **selector}
        body, request_id = await self.call(ITEMCATS_METHOD, business, channel=Channel.TAOBAO)
        try:
            return item_cats_from_top(body)
        except UndecodableValue as exc:
            raise _undecodable(Channel.TAOBAO, ITEMCATS_METHOD, "categories", request_id,
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
