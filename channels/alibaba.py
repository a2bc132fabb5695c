"""1688: the official open platform (AOP, ``alibaba.product.get``) and the seed-004 aggregator.

Both transports answer with the same ProductInfo (AOP camelCase; the aggregator spells it
snake_case and wraps it in ``{code, msg, msec, time, data}``), so there is one mapping,
``product_from_1688`` in ``channels/alibaba_mapping.py``, and two thin adapters around it
here. Read top to bottom:

1. signing (``aop_sign``) and the request builder (``product_get_form``);
2. the error tables: AOP gateway ``error_code`` → class, business failures, aggregator
   codes, the aggregator's HTTP statuses;
3. the adapters: ``Alibaba1688OpenAdapter`` and ``Alibaba1688AggregatorAdapter``.

Sources: docs/protocols.md §2 (URL, ``_aop_signature``, gateway errors) and seed 004 (the
aggregator).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from channels.alibaba_mapping import (
    CHANNEL,
    PARTS_PER_CALL,
    product_from_1688,
    product_info_from_aggregator,
)
from channels.base import FetchResult, fetch_each, numeric_source_id
from channels.decoding import UndecodableValue, integer
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
    Channel,
    Part,
    ProductRecord,
)
from channels.policy import UpstreamPolicy

DEFAULT_GATEWAY_URL = "https://gw.open.1688.com/openapi"
PRODUCT_GET_API = "com.alibaba.product/alibaba.product.get"
AGGREGATOR_API = "1688get-commodity"


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

# The aggregator's HTTP statuses that fail a call before its envelope is read:
# status → (class, retryable, message). Every 5xx is the row of 500; any other status
# goes on to the envelope, whose code decides.
AGGREGATOR_HTTP_ERRORS: dict[int, tuple[type[ChannelError], bool, str]] = {
    401: (Unauthenticated, False, "refused the token (offer {offer}, HTTP {status})"),
    403: (Unauthenticated, False, "refused the token (offer {offer}, HTTP {status})"),
    429: (RateLimited, True, "is rate limiting this token (offer {offer})"),
    500: (UpstreamError, True, "failed with HTTP {status} (offer {offer})"),
}
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


# --- 3. adapters ----------------------------------------------------------------------


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
        if "bizGroupInfos" in body and "bizGroupInfos" not in info:
            # alibaba.cross.productInfo answers them beside productInfo (§2.6).
            info = {**info, "bizGroupInfos": body["bizGroupInfos"]}
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
        known = AGGREGATOR_HTTP_ERRORS.get(500 if status >= 500 else status)
        if known is not None:
            cls, retryable, message = known
            raise cls("the 1688 aggregator " + message.format(offer=source_id, status=status),
                      channel=CHANNEL, upstream_code=str(status), http_status=status,
                      retryable=retryable)
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
