"""The two 1688 upstreams over the sandbox 1688 catalog: the AOP gateway and the aggregator.

**AOP** (docs/protocols.md §2): ``GET|POST /openapi/param2/{ver}/{ns}/{api}/{appKey}``,
params from the query and the form together. Checks in the live gateway's observed order
(§2.4, §2.7): app key → ``_aop_signature`` (official variant: sorted ``key+value`` strings)
→ API exists → ``access_token`` (HTTP 401) → ACL → required params. Gateway failures are
HTTP 400/401 with ``{"error_code", "error_message", "request_id"}``. ``alibaba.product.get``
answers ``{"productInfo": …, "success": true}``; an unknown offer answers HTTP 200
``{"success": false, "message": "该商品不存在"}``: the not-found shape of this API is not
documented (§6.7), so the sandbox uses the sourced ``alibaba.cross.productInfo`` shape.

**Aggregator** (seed 004): ``POST AGGREGATOR_1688_PATH`` with ``Authorization: Bearer …`` and
a JSON body ``{shop_id, product_id}``; always HTTP 200 with ``{code, msg, msec, time, data}``.
A wrong token or a shop the token does not cover → 302 (未授权店铺); a bad body → 100; an
unknown offer → 103, the seed's only "does not exist" code; injected failures → 101 or 200.
``data`` is the offer in snake_case: ``product_info`` plus its dates and ``biz_group_infos``
beside it, as the seed prints them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.catalog_1688 import OFFERS
from sandbox.credentials import (
    AGGREGATOR_1688_PATH,
    AGGREGATOR_1688_SHOP_ID,
    AGGREGATOR_1688_TOKEN,
    AOP_ACCESS_TOKEN,
    AOP_APP_KEY,
    AOP_APP_SECRET,
    AOP_PATH,
)
from sandbox.state import SandboxState

# (version, namespace, api) → whether the sandbox app passes its ACL.
AOP_APIS: dict[tuple[str, str, str], bool] = {
    ("1", "com.alibaba.product", "alibaba.product.get"): True,
    # Known to the gateway, not granted to the sandbox app: answers gw.APIACLDecline.
    ("1", "com.alibaba.product", "alibaba.product.simple.get"): False,
    ("1", "com.alibaba.product", "alibaba.cross.productInfo"): False,
}
_ENVELOPE_KEYS = ("createTime", "approvedTime", "expireTime", "lastUpdateTime",
                  "lastRepostTime", "bizGroupInfos")


def _official_signature(url_path: str, params: dict[str, str], secret: str) -> str:
    # Written out here independently of channels.alibaba.aop_sign, so a bug there shows.
    joined = "".join(sorted(k + v for k, v in params.items() if k != "_aop_signature"))
    digest = hmac.new(secret.encode(), (url_path + joined).encode(), hashlib.sha1)
    return digest.hexdigest().upper()


def snake_case(value: Any) -> Any:
    """AOP camelCase keys → the aggregator's snake_case (``productID`` → ``product_id``)."""
    if isinstance(value, dict):
        return {re.sub(r"(?<=[a-z0-9])([A-Z]+)", r"_\1", key).lower(): snake_case(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [snake_case(item) for item in value]
    return value


def aggregator_data(offer: dict[str, Any]) -> dict[str, Any]:
    """Seed 004's ``data`` for one catalog offer."""
    data = {key: offer[key] for key in _ENVELOPE_KEYS if key in offer}
    data["productInfo"] = {key: item for key, item in offer.items() if key != "bizGroupInfos"}
    return dict(snake_case(data))


def routes(state: SandboxState) -> list[BaseRoute]:
    request_ids = iter(range(1, 1 << 62))

    def gateway_error(status: int, code: str, message: str) -> JSONResponse:
        request_id = f"0bb3b5b4{next(request_ids):022x}"
        return JSONResponse({"error_code": code, "error_message": message,
                             "exception": message, "request_id": request_id},
                            status_code=status)

    async def faults() -> str | None:
        await state.delay()
        return await state.injected_fault()

    def garbage() -> Response:
        return PlainTextResponse("<html><body>upstream hiccup</body></html>", 200)

    async def aop(request: Request) -> Response:
        ver, ns, api, app_key = (request.path_params[name]
                                 for name in ("ver", "ns", "api", "app_key"))
        state.record(api)
        fault = await faults()
        if fault == "garbage":
            return garbage()
        if fault == "failure":
            return PlainTextResponse("<html><body>502 Bad Gateway</body></html>", 502)
        params = dict(request.query_params)
        if request.method == "POST":
            params.update({key: str(value) for key, value in (await request.form()).items()})
        if not app_key:
            return gateway_error(400, "gw.AppKeyMissing", "AppKey is missing")
        if app_key != AOP_APP_KEY:
            return gateway_error(400, "gw.AppKeyNotFound", "AppKey is not found")
        signature = params.get("_aop_signature")
        if not signature:
            return gateway_error(400, "gw.SignatureMissing", "Request signature is missing")
        url_path = f"param2/{ver}/{ns}/{api}/{app_key}"
        if not hmac.compare_digest(signature.upper(),
                                   _official_signature(url_path, params, AOP_APP_SECRET)):
            return gateway_error(400, "gw.SignatureInvalid", "Request signature is invalid")
        granted = AOP_APIS.get((ver, ns, api))
        if granted is None:
            return gateway_error(400, "gw.APIUnsupported", f"API {ns}:{api}-{ver} is unsupported")
        if params.get("access_token") != AOP_ACCESS_TOKEN:
            return gateway_error(401, "401", "Request need user authorized")
        if not granted:
            return gateway_error(400, "gw.APIACLDecline", "AppKey is not allowed(acl)")
        for name in ("productID", "webSite"):
            if not params.get(name):
                return gateway_error(400, "gw.ParamMissing", f"Parameter {name} is missing")
        product_id = params["productID"]
        offer = OFFERS.get(int(product_id)) if product_id.isdigit() else None
        if offer is None or params["webSite"] != "1688":
            return JSONResponse({"success": False, "message": "该商品不存在"})
        return JSONResponse({"productInfo": state.drift.offer(int(product_id), offer),
                             "success": True})

    async def aggregator(request: Request) -> Response:
        started = time.monotonic()
        state.record("1688get-commodity")
        fault = await faults()
        if fault == "garbage":
            return garbage()

        def envelope(code: int, msg: str, data: Any = None) -> JSONResponse:
            return JSONResponse({"code": code, "msg": msg,
                                 "msec": int((time.monotonic() - started) * 1000),
                                 "time": int(time.time()), "data": data})

        if fault == "failure":
            return (envelope(101, "请求超时，请重试") if state.rng.random() < 0.5
                    else envelope(200, "系统错误，请联系客服"))
        if request.headers.get("authorization") != f"Bearer {AGGREGATOR_1688_TOKEN}":
            return envelope(302, "未授权店铺")
        try:
            body = json.loads(await request.body())
            product_id = int(body["product_id"])
        except (ValueError, KeyError, TypeError):
            return envelope(100, "请求参数错误")
        shop_id = body.get("shop_id")
        if shop_id is not None and str(shop_id) != AGGREGATOR_1688_SHOP_ID:
            return envelope(302, "未授权店铺")
        offer = OFFERS.get(product_id)
        if offer is None:
            return envelope(103, "旺旺账号不存在")
        return envelope(0, "操作成功",
                        aggregator_data(state.drift.offer(product_id, offer)))

    return [
        Route(AOP_PATH + "/param2/{ver}/{ns}/{api}/{app_key}", aop, methods=["GET", "POST"]),
        Route(AGGREGATOR_1688_PATH, aggregator, methods=["POST"]),
    ]
