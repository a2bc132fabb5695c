"""The vdian open API gateway (docs/protocols.md §3) over the sandbox Weidian catalog.

``GET`` (query) or ``POST`` (form) at ``WEIDIAN_PATH`` with ``public`` and ``param``, each a
JSON string. Checks, in this order: both parameters present and JSON, ``access_token``,
the method. Status codes other than 10008 are inferred [U]; they are the same numbers the
adapter's table reads, written out here independently.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.catalog_weidian import ITEMS, WeidianItem
from sandbox.credentials import WEIDIAN_ACCESS_TOKEN, WEIDIAN_PATH
from sandbox.state import SandboxState


def vdian_item_result(item: WeidianItem) -> dict[str, Any]:
    """The ``result`` of ``vdian.item.get``: money as 2-decimal strings, ids as strings."""
    result: dict[str, Any] = {
        "itemid": item.itemid,
        "item_name": item.item_name,
        "price": f"{item.price:.2f}",
        "stock": item.stock,
        "merchant_code": item.merchant_code,
        "imgs": list(item.imgs),
        "skus": [
            {"id": s.id, "title": s.title, "price": f"{s.price:.2f}", "stock": s.stock,
             "sku_merchant_code": s.merchant_code}
            for s in item.skus
        ],
        # [U] not in the documented field list; the adapter maps them when present.
        "seller_id": item.shop.id,
        "shop_name": item.shop.name,
    }
    return result


def _status(code: int, reason: str) -> JSONResponse:
    return JSONResponse({"status": {"status_code": code, "status_reason": reason}})


def routes(state: SandboxState) -> list[BaseRoute]:
    async def gateway(request: Request) -> Response:
        if request.method == "POST":
            form = await request.form()
            raw = {k: str(v) for k, v in form.items()}
        else:
            raw = dict(request.query_params)
        try:
            public = json.loads(raw["public"])
            param = json.loads(raw.get("param") or "{}")
            method = str(public.get("method", ""))
        except (KeyError, ValueError, AttributeError):
            state.record("vdian.<malformed>")
            return _status(10005, "缺少参数或参数格式错误: public")
        state.record(method or "vdian.<no method>")
        await state.delay()
        fault = await state.injected_fault()
        if fault == "garbage":
            return PlainTextResponse("<html><body>502 Bad Gateway</body></html>", 200)
        if fault == "failure":
            return _status(10001, "系统繁忙，请稍后再试")
        if public.get("access_token") != WEIDIAN_ACCESS_TOKEN:
            return _status(10013, "access_token无效")
        if method != "vdian.item.get":
            return _status(10009, f"不支持的方法: {method[:60]}")
        item = ITEMS.get(str(param.get("itemid", "")).strip())
        if item is None:
            return _status(10012, "商品不存在或已删除")
        return JSONResponse({"status": {"status_code": 0, "status_reason": ""},
                             "result": vdian_item_result(state.drift.weidian_item(item))})

    return [Route(WEIDIAN_PATH, gateway, methods=["GET", "POST"])]
