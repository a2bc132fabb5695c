"""The TOP gateway emulator: ``/router/rest`` as Taobao Open Platform answers it.

Follows the protocol notes (``docs/protocols.md`` §1): params are read from the query
string and the form body (urlencoded or multipart; file parts are neither params nor
signed), checked in the gateway's order, and answered with HTTP 200 in the ``*_response``
envelope (``simplify=false``, lists wrapped as ``{"skus": {"sku": [...]}}``) or the bare
simplified object; errors are always ``{"error_response": {...}}``. ``format`` absent or
``xml`` gets XML, as on the real gateway.

Check order: 21 missing method → 28/29 app key → 24/25 signature → 30/31 timestamp →
32/33 version → 23 format → 22 unknown method → 26/27 session → 7 flow control →
40/41 arguments → the method itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import catalog_top
from sandbox.credentials import TOP_APP_KEY, TOP_APP_SECRET, TOP_PATH, TOP_SESSION
from sandbox.state import SandboxState

SHANGHAI = timezone(timedelta(hours=8))
TIMESTAMP_SKEW = timedelta(minutes=10)
MAX_NUM_IIDS = 20
MAX_CIDS = 999
ONSALE_MAX_PAGE_SIZE = 200
ONSALE_MAX_DEPTH = 20_000  # page_no * page_size (apiId 18, page_size doc)

JSON_TYPE = "application/json;charset=UTF-8"
XML_TYPE = "text/xml;charset=UTF-8"

# ``fields`` names that differ from the response key: "返回所有sku信息的字段名称是sku而不是skus".
ITEM_FIELD_ALIASES = {
    "sku": "skus", "item_img": "item_imgs", "itemimg": "item_imgs", "prop_img": "prop_imgs",
    "propimg": "prop_imgs", "video": "videos",
}
# ... so ``skus``/``item_imgs``/``prop_imgs``/``videos`` named as such select nothing.
ITEM_ALIAS_ONLY = frozenset({"skus", "item_imgs", "prop_imgs", "videos"})
PRODUCT_FIELD_ALIASES = {"product_img": "product_imgs", "product_prop_img": "product_prop_imgs"}
# taobao.items.onsale.get: the only Item fields it returns (apiId 18).
ONSALE_FIELDS = frozenset({
    "approve_status", "num_iid", "title", "nick", "type", "cid", "pic_url", "num", "props",
    "valid_thru", "list_time", "price", "has_discount", "has_invoice", "has_warranty",
    "has_showcase", "modified", "delist_time", "postage_id", "seller_cids", "outer_id",
    "sold_quantity",
})
# taobao.items.inside.list.get: "其中item_weight,item_size,sold_quantity暂未返回" (seed 002).
INSIDE_LIST_WITHHELD = frozenset({"item_weight", "item_size", "sold_quantity"})
ONSALE_ORDER_KEYS = frozenset({"list_time", "delist_time", "num", "modified", "sold_quantity"})
ITEMCAT_DEFAULT_FIELDS = "cid,parent_cid,name,is_parent"
# Non-simplified list wrappers whose item name is not simply the list name minus "s".
LIST_ITEM_NAMES = {
    "item_wireless_imgs": "item_img", "vertical_imgs": "item_img",
    "item_rectangle_imgs": "item_img", "item_cats": "item_cat",
    # The affiliate answers (sandbox/tbk.py): ``results`` → ``n_tbk_item``, and string lists.
    "results": "n_tbk_item", "small_images": "string",
    "final_promotion_path_list": "final_promotion_path_map_data",
    "promotion_tag_list": "promotion_tag_map_data",
}
#: ... and those of one method only (``taobao.tbk.item.info.upgrade.get``: ``tbk_item_detail``).
METHOD_LIST_ITEM_NAMES = {"taobao.tbk.item.info.upgrade.get": {"results": "tbk_item_detail"}}

BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n"
    "</body>\r\n</html>\r\n"
)


# --------------------------------------------------------------------------------------
# Signature (written independently of channels/: the sandbox is its own emulator).

def top_sign(
    params: Mapping[str, str], secret: str, sign_method: str, *, include_empty: bool = False
) -> str:
    """TOP ``sign`` over every param but ``sign``: sorted ``k+v``, md5 / hmac / hmac-sha256."""
    concat = "".join(
        key + value for key, value in sorted(params.items())
        if key != "sign" and (include_empty or value != "")
    ).encode()
    key = secret.encode()
    if sign_method == "hmac":
        return hmac.new(key, concat, hashlib.md5).hexdigest().upper()
    if sign_method == "hmac-sha256":
        return hmac.new(key, concat, hashlib.sha256).hexdigest().upper()
    return hashlib.md5(key + concat + key).hexdigest().upper()


# --------------------------------------------------------------------------------------
# Errors.

@dataclass
class TopError(Exception):
    code: int
    msg: str
    sub_code: str | None = None
    sub_msg: str | None = None

    def body(self, request_id: str) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.sub_code:
            err["sub_code"] = self.sub_code
        if self.sub_msg:
            err["sub_msg"] = self.sub_msg
        err["request_id"] = request_id
        return {"error_response": err}


def missing(name: str) -> TopError:
    return TopError(40, f"Missing required arguments:{name}")


def invalid(name: str, why: str) -> TopError:
    return TopError(41, f"Invalid arguments:{name}", "isv.invalid-parameter", why)


def item_not_found() -> TopError:
    return TopError(15, "Remote service error", "isv.item-not-exist", "商品不存在")


def new_request_id() -> str:
    return secrets.token_hex(7)[:13]


# --------------------------------------------------------------------------------------
# fields filtering and envelopes.

def select_fields(
    obj: Mapping[str, Any], fields: Iterable[str], aliases: Mapping[str, str] | None = None,
    alias_only: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Keep only the requested fields; ``sku`` selects ``skus``, ``sku.price`` one member."""
    aliases = aliases or {}
    whole: set[str] = set()
    parts: dict[str, set[str]] = {}
    for raw in fields:
        name = raw.strip()
        if not name:
            continue
        head, dot, sub = name.partition(".")
        if head in alias_only:
            continue
        head = aliases.get(head, head)
        if dot and sub:
            parts.setdefault(head, set()).add(sub)
        else:
            whole.add(head)
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in whole:
            out[key] = value
        elif key in parts:
            wanted = parts[key]
            if isinstance(value, list):
                out[key] = [{k: v for k, v in el.items() if k in wanted} for el in value]
            elif isinstance(value, dict):
                out[key] = {k: v for k, v in value.items() if k in wanted}
    return out


def wrap_lists(value: Any, names: Mapping[str, str] = LIST_ITEM_NAMES) -> Any:
    """The non-simplified shape: every list becomes ``{"<singular>": [...]}``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            if isinstance(inner, list):
                singular = names.get(key) or (key[:-1] if key.endswith("s") else key)
                out[key] = {singular: [wrap_lists(el, names) for el in inner]}
            else:
                out[key] = wrap_lists(inner, names)
        return out
    return value


def response_root(method: str) -> str:
    """``taobao.item.seller.get`` → ``item_seller_get_response`` (other prefixes are kept)."""
    name = method.removeprefix("taobao.")
    return name.replace(".", "_") + "_response"


def to_xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(to_xml(k, v) for k, v in value.items()) + f"</{tag}>"
    if isinstance(value, list):
        return "".join(to_xml(tag, el) for el in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(str(value))}</{tag}>"


@dataclass
class Envelope:
    as_json: bool
    simplify: bool

    def render(self, payload: dict[str, Any]) -> Response:
        if self.as_json:
            return Response(json.dumps(payload, ensure_ascii=False), media_type=JSON_TYPE)
        (root, inner), = payload.items()
        xml = '<?xml version="1.0" encoding="utf-8" ?>' + to_xml(root, inner)
        return Response(xml, media_type=XML_TYPE)

    def success(self, method: str, body: dict[str, Any], request_id: str) -> Response:
        if self.as_json and self.simplify:
            return self.render({**body, "request_id": request_id})
        names = {**LIST_ITEM_NAMES, **METHOD_LIST_ITEM_NAMES.get(method, {})}
        return self.render({response_root(method): {**wrap_lists(body, names),
                                                    "request_id": request_id}})

    def error(self, err: TopError, request_id: str | None = None) -> Response:
        return self.render(err.body(request_id or new_request_id()))


# --------------------------------------------------------------------------------------
# Param parsing helpers.

def number(params: Mapping[str, str], name: str) -> int:
    raw = params.get(name, "").strip()
    if not raw.lstrip("-").isdigit():
        raise invalid(name, f"{name}必须是数字")
    return int(raw)


def id_list(params: Mapping[str, str], name: str, limit: int) -> list[int]:
    ids: list[int] = []
    for token in params[name].split(","):
        token = token.strip()
        if not token:
            continue
        if not token.isdigit():
            raise invalid(name, f"{name}必须是逗号分隔的数字")
        if int(token) not in ids:
            ids.append(int(token))
    if len(ids) > limit:
        raise invalid(name, f"{name}最多{limit}个")
    return ids


def field_list(params: Mapping[str, str]) -> list[str]:
    return [f.strip() for f in params.get("fields", "").split(",") if f.strip()]


def shanghai_time(params: Mapping[str, str], name: str) -> str | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        datetime.strptime(raw, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise invalid(name, f"{name}格式为yyyy-MM-dd HH:mm:ss") from None
    return raw


def timestamp_ok(raw: str, now: float) -> bool:
    """``yyyy-MM-dd HH:mm:ss`` in GMT+8, or epoch milliseconds, within ±10 minutes."""
    if raw.isdigit():
        at = datetime.fromtimestamp(int(raw) / 1000, tz=SHANGHAI)
    else:
        try:
            at = datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
        except ValueError:
            return False
    return abs(at - datetime.fromtimestamp(now, tz=SHANGHAI)) <= TIMESTAMP_SKEW


# --------------------------------------------------------------------------------------
# The methods.

Body = dict[str, Any]


def item_body(params: Mapping[str, str]) -> tuple[Body, str | None]:
    num_iid = number(params, "num_iid")
    item = catalog_top.TOP_ITEMS.get(num_iid)
    if item is None:
        raise item_not_found()
    body = {"item": select_fields(item, field_list(params), ITEM_FIELD_ALIASES, ITEM_ALIAS_ONLY)}
    return body, catalog_top.SEED_REQUEST_IDS.get(num_iid)


def items_body(
    params: Mapping[str, str], *, tmall_only: bool = False,
    withheld: frozenset[str] = frozenset(),
) -> tuple[Body, str | None]:
    # "获取不存在的商品ID或获取别人的商品都不会报错，但没有商品数据返回" (apiId 24626).
    fields = [f for f in field_list(params) if f not in withheld]
    items = [
        select_fields(catalog_top.TOP_ITEMS[i], fields, ITEM_FIELD_ALIASES, ITEM_ALIAS_ONLY)
        for i in id_list(params, "num_iids", MAX_NUM_IIDS)
        if i in catalog_top.TOP_ITEMS and (not tmall_only or catalog_top.is_tmall(i))
    ]
    return ({"items": items} if items else {}), None


def onsale_body(params: Mapping[str, str]) -> tuple[Body, str | None]:
    fields = [f for f in field_list(params) if f.partition(".")[0] in ONSALE_FIELDS]
    if not fields:
        raise invalid("fields", "fields只能是商品列表接口支持的字段")
    page_no = number(params, "page_no") if params.get("page_no") else 1
    page_size = number(params, "page_size") if params.get("page_size") else 40
    if page_no < 1:
        raise invalid("page_no", "page_no必须大于0")
    if not 1 <= page_size <= ONSALE_MAX_PAGE_SIZE:
        raise invalid("page_size", f"page_size取值范围1-{ONSALE_MAX_PAGE_SIZE}")
    if page_no * page_size > ONSALE_MAX_DEPTH:
        raise invalid("page_no", f"page_no*page_size不能超过{ONSALE_MAX_DEPTH}")
    order_key, _, direction = (params.get("order_by") or "list_time:desc").partition(":")
    if order_key not in ONSALE_ORDER_KEYS or direction not in ("asc", "desc"):
        raise invalid("order_by", "order_by格式为list_time|delist_time|num|modified|"
                                  "sold_quantity:asc|desc")
    start = shanghai_time(params, "start_modified")
    end = shanghai_time(params, "end_modified")
    cid = number(params, "cid") if params.get("cid") else None
    q = params.get("q", "")
    seller_cids = {c for c in params.get("seller_cids", "").split(",") if c}
    flags = {name: params[name].lower() == "true"
             for name in ("has_discount", "has_showcase") if params.get(name)}

    def wanted(item: Mapping[str, Any]) -> bool:
        return (
            item.get("approve_status") == "onsale"
            and (not q or q in item["title"])
            and (cid is None or item["cid"] == cid)
            and (start is None or item["modified"] >= start)
            and (end is None or item["modified"] <= end)
            and (not seller_cids
                 or any(f",{c}," in item.get("seller_cids", "") for c in seller_cids))
            and all(bool(item.get(name)) == value for name, value in flags.items())
        )

    def order(item: Mapping[str, Any]) -> tuple[Any, int]:
        value = item.get(order_key)
        # TOP's counts come as numbers or numeric strings (the bundled catalog has both):
        # compared as numbers, like the gateway does; times compare as their text.
        if order_key in ("num", "sold_quantity"):
            return int(value or 0), item["num_iid"]
        return str(value or ""), item["num_iid"]

    matches = sorted(
        (item for item in catalog_top.TOP_ITEMS.values() if wanted(item)),
        key=order, reverse=direction == "desc",
    )
    page = matches[(page_no - 1) * page_size: page_no * page_size]
    body: Body = {}
    if page:
        body["items"] = [select_fields(item, fields) for item in page]
    body["total_results"] = len(matches)
    return body, None


def product_body(params: Mapping[str, str]) -> tuple[Body, str | None]:
    if params.get("product_id"):
        product = catalog_top.CATALOG_PRODUCTS.get(number(params, "product_id"))
    elif params.get("cid") and params.get("props"):
        product = catalog_top.find_product(number(params, "cid"), params["props"])
    else:
        # 001: "isv.missing-parameter:pid-or-cid 输入参数不正确,检查需要输入的参数".
        raise TopError(40, "Missing required arguments:product_id",
                       "isv.missing-parameter:pid-or-cid", "输入参数不正确,检查需要输入的参数")
    if product is None:
        raise TopError(15, "Remote service error", "isv.product-not-exist", "产品不存在")
    return {"product": select_fields(product, field_list(params), PRODUCT_FIELD_ALIASES)}, None


def itemcats_body(params: Mapping[str, str]) -> tuple[Body, str | None]:
    fields = field_list(params) or ITEMCAT_DEFAULT_FIELDS.split(",")
    if params.get("cids"):
        cats = [catalog_top.ITEM_CATS[c] for c in id_list(params, "cids", MAX_CIDS)
                if c in catalog_top.ITEM_CATS]
    elif params.get("parent_cid"):
        parent = number(params, "parent_cid")
        cats = [c for c in catalog_top.ITEM_CATS.values() if c["parent_cid"] == parent]
    else:
        raise missing("cids")
    selected = [select_fields(cat, fields) for cat in cats]
    return ({"item_cats": selected} if selected else {}), None


@dataclass(frozen=True)
class MethodSpec:
    needs_session: bool
    required: tuple[str, ...]
    handler: Callable[[Mapping[str, str]], tuple[Body, str | None]]


METHODS: dict[str, MethodSpec] = {
    "taobao.item.seller.get": MethodSpec(True, ("fields", "num_iid"), item_body),
    "taobao.item.get": MethodSpec(False, ("fields", "num_iid"), item_body),
    "taobao.items.seller.list.get": MethodSpec(True, ("fields", "num_iids"), items_body),
    "taobao.items.seller.list.get.tmall": MethodSpec(
        True, ("fields", "num_iids"), lambda p: items_body(p, tmall_only=True)),
    "taobao.items.inside.list.get": MethodSpec(
        False, ("fields", "num_iids"), lambda p: items_body(p, withheld=INSIDE_LIST_WITHHELD)),
    "taobao.items.onsale.get": MethodSpec(True, ("fields",), onsale_body),
    "taobao.product.get.tmall": MethodSpec(False, ("fields",), product_body),
    "taobao.itemcats.get": MethodSpec(False, (), itemcats_body),
}


# --------------------------------------------------------------------------------------
# The gateway.

class TopGateway:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    async def handle(self, request: Request) -> Response:
        self.state.in_flight += 1
        try:
            return await self.answer(request)
        finally:
            self.state.in_flight -= 1

    async def answer(self, request: Request) -> Response:
        params = await read_params(request)
        method = params.get("method", "")
        self.state.record(method or "<missing method>")
        self.state.last_params[method or "<missing method>"] = {
            k: v for k, v in params.items() if k not in ("sign", "session", "app_key")
        }
        now = time.time()
        self.state.recent_calls.append(now)
        if await self.state.delay(request):
            return Response(status_code=499)  # the caller hung up: nobody reads this

        injected = await self.injected_fault(method)
        if injected is not None:
            return injected

        fmt = params.get("format", "xml") or "xml"
        envelope = Envelope(as_json=fmt != "xml",
                            simplify=params.get("simplify", "").lower() in ("true", "1"))
        try:
            spec = self.check_public(params, now)
            self.check_flow_control(now)
            for name in spec.required:
                if not params.get(name, "").strip():
                    raise missing(name)
            body, request_id = spec.handler(params)
            body = self.state.drift.top_body(body)  # items set or drifting (sandbox/drift.py)
        except TopError as err:
            if err.code == 7:
                self.state.rejected[method or "<missing method>"] += 1
            return envelope.error(err)
        return envelope.success(method, body, request_id or new_request_id())

    def check_public(self, params: Mapping[str, str], now: float) -> MethodSpec:
        method = params.get("method", "")
        if not method:
            raise TopError(21, "Missing method")
        if not params.get("app_key"):
            raise TopError(28, "Missing app key")
        if params["app_key"] != TOP_APP_KEY:
            raise TopError(29, "Invalid app Key", "isv.appkey-not-exists")
        if not params.get("sign"):
            raise TopError(24, "Missing signature")
        sign_method = params.get("sign_method") or "md5"
        if sign_method not in ("md5", "hmac", "hmac-sha256"):
            raise TopError(25, "Invalid signature", "isv.invalid-signature",
                           f"sign_method must be md5, hmac or hmac-sha256, not {sign_method!r}")
        given = params["sign"].upper()
        # Verify the Java SDK's "skip empty values" input first, then the Python SDKs'.
        if not any(hmac.compare_digest(given, top_sign(params, TOP_APP_SECRET, sign_method,
                                                        include_empty=lenient))
                   for lenient in (False, True)):
            raise TopError(25, "Invalid signature")
        if not params.get("timestamp"):
            raise TopError(30, "Missing timestamp")
        if not timestamp_ok(params["timestamp"].strip(), now):
            raise TopError(31, "Invalid timestamp", "isv.invalid-timestamp",
                           "时间戳错误，与服务器时间误差超过10分钟或格式不是yyyy-MM-dd HH:mm:ss")
        if not params.get("v"):
            raise TopError(32, "Missing version")
        if params["v"] != "2.0":
            raise TopError(33, "Invalid version")
        if params.get("format", "xml") not in ("json", "xml"):
            raise TopError(23, "Invalid format")
        spec = METHODS.get(method)
        if spec is None:
            raise TopError(22, "Invalid method")
        if spec.needs_session:
            if not params.get("session"):
                raise TopError(26, "Missing session")
            if params["session"] != TOP_SESSION:
                raise TopError(27, "Invalid session", "invalid-sessionkey", "SessionKey非法")
        return spec

    def check_flow_control(self, now: float) -> None:
        faults = self.state.faults
        if faults.ban_seconds > 0:
            if faults.ban_until == 0.0:
                faults.ban_until = now + faults.ban_seconds
            if now < faults.ban_until:
                raise banned(faults.ban_sub_code, faults.ban_until - now)
            faults.ban_seconds = 0
            faults.ban_until = 0.0
        recent = self.state.recent_calls
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if faults.qps_limit > 0:
            if now < self.state.qps_ban_until:
                raise banned("accesscontrol.limited-by-api-access-count",
                             self.state.qps_ban_until - now)
            if len(recent) > faults.qps_limit:
                self.state.qps_ban_until = now + 1.0
                raise banned("accesscontrol.limited-by-api-access-count", 1.0)

    async def injected_fault(self, method: str) -> Response | None:
        state = self.state
        fault = await state.injected_fault()
        if fault == "failure":
            if state.rng.random() < 0.5:
                return Response(BAD_GATEWAY_HTML, status_code=502, media_type="text/html")
            err = TopError(15, "Remote service error", "isp.top-remote-connection-timeout",
                           "远程服务调用超时")
            return Response(json.dumps(err.body(new_request_id()), ensure_ascii=False),
                            media_type=JSON_TYPE)
        if fault == "garbage":
            root = response_root(method or "taobao.unknown")
            return Response(f'{{"{root}":{{"item":{{"num_iid":68012', media_type=JSON_TYPE)
        return None


def banned(sub_code: str, remaining: float) -> TopError:
    seconds = max(1, math.ceil(remaining))
    return TopError(7, "App Call Limited", sub_code,
                    f"This ban will last for {seconds} more seconds")


async def read_params(request: Request) -> dict[str, str]:
    """Query string merged with the form body; file parts are dropped (never signed)."""
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        for key, value in form.multi_items():
            if not isinstance(value, UploadFile):
                params[key] = value
    return params


def routes(state: SandboxState) -> list[Route]:
    """The TOP gateway's one route, ``/router/rest`` (GET and POST)."""
    from sandbox import tbk  # the affiliate methods build on this module's helpers

    METHODS.update(tbk.methods())
    gateway = TopGateway(state)
    handler: Callable[[Request], Awaitable[Response]] = gateway.handle
    return [Route(TOP_PATH, handler, methods=["GET", "POST"])]
