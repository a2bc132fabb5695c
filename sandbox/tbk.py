"""The TOP affiliate (淘宝客) methods of the sandbox gateway, over the bundled TOP catalog,
and a stand-in for the ``m.tb.cn`` short-link host.

Methods (registered in ``sandbox/top.py``'s ``METHODS``; signed and checked like every TOP
call, no session needed):

* ``taobao.tbk.item.info.get``: ``num_iids`` (at most 40, else code 41), answers
  ``results`` → ``n_tbk_item`` as apiId 24518 documents it; unknown ids are left out.
* ``taobao.tbk.item.info.upgrade.get``: ``item_id`` (at most 20, else code 41), answers
  ``results`` → ``tbk_item_detail`` as apiId 64763 documents it: ``item_id``,
  ``input_item_iid``, ``item_basic_info`` and ``price_promotion_info`` (``reserve_price``,
  ``zk_final_price``, ``final_promotion_price``, and for about one item in three a 单品券
  in ``final_promotion_path_list``: ``coupon_of``); unknown ids are left out.
* ``taobao.tbk.tpwd.convert``: ``password_content`` and ``adzone_id`` (must be
  ``credentials.TBK_ADZONE_ID``); answers ``data`` → ``num_iid``, ``click_url``. A code the
  sandbox never issued answers code 15, sub_code ``10000``, as recorded answers do.
* ``taobao.tbk.tpwd.create``: ``url`` (an item page) and ``text``; answers ``data`` →
  ``model`` (the 淘口令 ``￥<code>￥``), so a test can mint a code for any item.

Every item has one 淘口令 code, ``tpwd_code(num_iid)``; the issue's example code
``AbCd1234`` names seed 000's item ``680123456789``.

Short links (sandbox only): ``GET /h.<code>`` answers ``302`` to the item page of the code;
``GET /_sandbox/redirect?to=<url>`` answers ``302`` to any ``to`` (for the redirect
follower's refusal tests). Neither sends a body.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import catalog_top
from sandbox.credentials import TBK_ADZONE_ID
from sandbox.state import SandboxState
from sandbox.top import Body, MethodSpec, TopError, id_list, invalid

MAX_TBK_NUM_IIDS = 40
MAX_UPGRADE_ITEM_IDS = 20
#: The sandbox's coupons run through June 2026 (epoch milliseconds, Asia/Shanghai).
COUPON_STARTS_MS = "1777564800000"   # 2026-05-01 00:00:00 +08:00
COUPON_ENDS_MS = "1782835199000"     # 2026-06-30 23:59:59 +08:00
ISSUE_EXAMPLE_CODE = "AbCd1234"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CODE = re.compile(r"[A-Za-z0-9]{8,14}")


def tpwd_code(num_iid: int) -> str:
    """The sandbox's 11-character 淘口令 code of an item (stable across runs)."""
    if num_iid == catalog_top.SEED_000_ITEM_ID:
        return ISSUE_EXAMPLE_CODE
    digest = int.from_bytes(hashlib.sha256(f"tpwd:{num_iid}".encode()).digest()[:9], "big")
    code = ""
    for _ in range(11):
        digest, rest = divmod(digest, 62)
        code += _ALPHABET[rest]
    return code


def _codes() -> dict[str, int]:
    return {tpwd_code(n): n for n in catalog_top.TOP_ITEMS}


CODES = _codes()


def seller_id(nick: str) -> int:
    """A stable numeric seller id for a shop nick (the TOP catalog keys shops by nick)."""
    return 1_000_000_000 + zlib.crc32(nick.encode()) % 1_000_000_000


def item_page(num_iid: int) -> str:
    if catalog_top.is_tmall(num_iid):
        return f"https://detail.tmall.com/item.htm?id={num_iid}"
    return f"https://item.taobao.com/item.htm?id={num_iid}"


def n_tbk_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog item in ``n_tbk_item`` shape (apiId 24518's fields)."""
    num_iid = int(item["num_iid"])
    images = sorted(item.get("item_imgs") or [], key=lambda i: i.get("position", 0))
    main = item.get("pic_url") or (images[0]["url"] if images else "")
    skus = item.get("skus") or []
    # The discounted price: the cheapest SKU, never above the list price.
    prices = sorted([Decimal(str(s["price"])) for s in skus if s.get("price")]
                    + [Decimal(str(item["price"]))])
    final = f"{prices[0]:.2f}"
    leaf = catalog_top.ITEM_CATS.get(item.get("cid", 0), {})
    top = catalog_top.ITEM_CATS.get(leaf.get("parent_cid", 0), leaf)
    location = item.get("location") or {}
    provcity = " ".join(p for p in (location.get("state"), location.get("city")) if p)
    return {
        "cat_leaf_name": leaf.get("name", ""),
        "cat_name": top.get("name", ""),
        "item_url": item_page(num_iid),
        "nick": item.get("nick", ""),
        "num_iid": num_iid,
        "pict_url": main,
        "provcity": provcity,
        "reserve_price": item["price"],
        "seller_id": seller_id(str(item.get("nick", ""))),
        "small_images": [i["url"] for i in images if i["url"] != main],
        "title": item["title"],
        "user_type": 1 if catalog_top.is_tmall(num_iid) else 0,
        "volume": item.get("sold_quantity", 0),
        "zk_final_price": final,
    }


def item_info_body(params: Mapping[str, str]) -> tuple[Body, str | None]:
    ids = id_list(params, "num_iids", MAX_TBK_NUM_IIDS)
    if params.get("platform") and params["platform"] not in ("1", "2"):
        raise invalid("platform", "platform取值1或2")
    items = [n_tbk_item(catalog_top.TOP_ITEMS[i]) for i in ids if i in catalog_top.TOP_ITEMS]
    return ({"results": items} if items else {}), None


def coupon_of(num_iid: int, final: Decimal) -> tuple[Decimal, Decimal] | None:
    """The sandbox's 单品券 of an item (about one in three): ``(amount, threshold)``, the
    threshold the final price rounded down to ten yuan (0: none), the amount a tenth of it."""
    if zlib.crc32(f"coupon:{num_iid}".encode()) % 3 or final < 10:
        return None
    threshold = final // 10 * 10
    return max(Decimal(1), (final / 10).quantize(Decimal(1))), threshold


def tbk_item_detail(item: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog item in ``tbk_item_detail`` shape (apiId 64763's fields)."""
    basic = n_tbk_item(item)
    final = Decimal(basic["zk_final_price"])
    prices: dict[str, Any] = {"reserve_price": basic["reserve_price"],
                              "zk_final_price": basic["zk_final_price"],
                              "final_promotion_price": f"{final:.2f}"}
    coupon = coupon_of(basic["num_iid"], final)
    if coupon is not None:
        amount, threshold = coupon
        prices["final_promotion_price"] = f"{final - amount:.2f}"
        prices["final_promotion_path_list"] = [{
            "promotion_title": "单品券",
            "promotion_desc": f"满{threshold:.0f}元减{amount:.0f}元" if threshold else
            f"无门槛减{amount:.0f}元",
            "promotion_fee": f"{amount:.2f}",
            "promotion_start_time": COUPON_STARTS_MS, "promotion_end_time": COUPON_ENDS_MS,
            "promotion_id": f"sandbox{basic['num_iid']}"}]
    return {
        "item_id": str(basic["num_iid"]), "input_item_iid": str(basic["num_iid"]),
        "item_basic_info": {k: basic[k] for k in ("title", "pict_url", "user_type", "seller_id",
                                                  "volume", "provcity")}
        | {"shop_title": basic["nick"]},
        "price_promotion_info": prices,
    }


def item_info_upgrade_body(params: Mapping[str, str]) -> tuple[Body, str | None]:
    ids = id_list(params, "item_id", MAX_UPGRADE_ITEM_IDS)
    details = [tbk_item_detail(catalog_top.TOP_ITEMS[i]) for i in ids
               if i in catalog_top.TOP_ITEMS]
    return ({"results": details} if details else {}), None


def _check_adzone(params: Mapping[str, str]) -> None:
    if params.get("adzone_id", "").strip() != TBK_ADZONE_ID:
        raise TopError(15, "Remote service error", "isv.adzone-not-exist",
                       "adzone_id不存在或不属于当前账号")


def code_in(text: str) -> str | None:
    """The code of a 淘口令 in ``text``: the first 8-14 letters/digits between two
    non-alphanumeric symbols (``￥…￥``, ``€…€``, ``(…)``…)."""
    for match in re.finditer(r"([^\w\s])([A-Za-z0-9]{8,14})([^\w\s])", text):
        return match.group(2)
    return None


def tpwd_convert_body(params: Mapping[str, str]) -> tuple[Body, str | None]:
    _check_adzone(params)
    code = code_in(params["password_content"])
    num_iid = CODES.get(code or "")
    if num_iid is None:
        raise TopError(15, "Remote service error", "10000", "该item_id对应宝贝已下架或非淘客宝贝")
    click = f"https://s.click.taobao.com/t?e=m%3D2%26s%3Dsandbox{num_iid}"
    return {"data": {"num_iid": str(num_iid), "click_url": click}}, None


def tpwd_create_body(params: Mapping[str, str]) -> tuple[Body, str | None]:
    parts = urlsplit(params["url"])
    if parts.scheme != "https":
        raise invalid("url", "url必须以https开头")
    ids = parse_qs(parts.query).get("id", [])
    num_iid = int(ids[0]) if ids and ids[0].isdigit() else None
    if num_iid not in catalog_top.TOP_ITEMS:
        raise TopError(15, "Remote service error", "10000", "该url无法生成淘口令")
    code = tpwd_code(num_iid)
    return {"data": {"model": f"￥{code}￥", "password_simple": f"￥{code}￥"}}, None


def methods() -> dict[str, MethodSpec]:
    return {
        "taobao.tbk.item.info.get": MethodSpec(False, ("num_iids",), item_info_body),
        "taobao.tbk.item.info.upgrade.get": MethodSpec(False, ("item_id",),
                                                       item_info_upgrade_body),
        "taobao.tbk.tpwd.convert": MethodSpec(
            False, ("password_content", "adzone_id"), tpwd_convert_body),
        "taobao.tbk.tpwd.create": MethodSpec(False, ("url",), tpwd_create_body),
    }


def routes(state: SandboxState) -> list[Route]:
    """The short-link stand-in: ``/h.<code>`` and ``/_sandbox/redirect?to=``."""

    async def short_link(request: Request) -> Response:
        state.record("short-link")
        code = request.path_params["code"]
        num_iid = CODES.get(code)
        if num_iid is None:
            return Response(status_code=404)
        return Response(status_code=302, headers={"location": item_page(num_iid)})

    async def redirect(request: Request) -> Response:
        state.record("short-link")
        return Response(status_code=302,
                        headers={"location": request.query_params.get("to", "/")})

    return [Route("/h.{code}", short_link, methods=["GET", "HEAD"]),
            Route("/_sandbox/redirect", redirect, methods=["GET", "HEAD"])]
