"""The TOP gateway emulator, driven over HTTP the way a TOP client drives the real gateway.

Requests are signed here with a few independent lines (not the sandbox's signer, not the
adapter's), checked first against the published vectors.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox import catalog_top
from sandbox.app import create_sandbox_app
from sandbox.credentials import TOP_APP_KEY, TOP_APP_SECRET, TOP_PATH, TOP_SESSION
from sandbox.top import top_sign

VECTORS = json.loads((Path(__file__).parents[1] / "fixtures" / "vectors.json").read_text())
SHANGHAI = timezone(timedelta(hours=8))
SEED_ITEM = 680123456789


def sign(params: dict[str, str], secret: str, method: str = "md5") -> str:
    concat = "".join(k + v for k, v in sorted(params.items()) if k != "sign" and v != "")
    if method == "hmac":
        return hmac.new(secret.encode(), concat.encode(), hashlib.md5).hexdigest().upper()
    if method == "hmac-sha256":
        return hmac.new(secret.encode(), concat.encode(), hashlib.sha256).hexdigest().upper()
    return hashlib.md5((secret + concat + secret).encode()).hexdigest().upper()


def now_shanghai(shift: timedelta = timedelta()) -> str:
    return (datetime.now(SHANGHAI) + shift).strftime("%Y-%m-%d %H:%M:%S")


def call_params(method: str, *, sign_method: str = "md5", secret: str = TOP_APP_SECRET,
                **business: str) -> dict[str, str]:
    params = {"method": method, "app_key": TOP_APP_KEY, "session": TOP_SESSION,
              "timestamp": now_shanghai(), "format": "json", "v": "2.0",
              "sign_method": sign_method, **business}
    params["sign"] = sign(params, secret, sign_method)
    return params


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_sandbox_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


async def top(client: httpx.AsyncClient, method: str, **business: str) -> Any:
    response = await client.post(TOP_PATH, data=call_params(method, **business))
    assert response.status_code == 200
    return response.json()


def error_of(body: Any) -> dict[str, Any]:
    assert set(body) == {"error_response"}, body
    return body["error_response"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------
# Signatures


@pytest.mark.parametrize(
    "vector", VECTORS["top"], ids=lambda v: f"{v['vector'][:2]}-{v['sign_method']}"
)
def test_signers_reproduce_published_vectors(vector: dict[str, Any]) -> None:
    params, secret = vector["params"], vector["secret"]
    assert sign(params, secret, vector["sign_method"]) == vector["expected_sign"]
    assert top_sign(params, secret, vector["sign_method"]) == vector["expected_sign"]


def test_sandbox_signer_knows_both_empty_value_variants() -> None:
    x2 = VECTORS["top_extra"][1]
    assert top_sign(x2["params"], x2["secret"], "md5") == x2["java_official_skips_empty"]
    assert top_sign(x2["params"], x2["secret"], "md5", include_empty=True) == \
        x2["py-taobao-open_includes_key"]


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
async def test_every_sign_method_is_accepted(gateway: httpx.AsyncClient, sign_method: str) -> None:
    body = await top(gateway, "taobao.item.seller.get", sign_method=sign_method,
                     fields="num_iid", num_iid=str(SEED_ITEM))
    assert body["item_seller_get_response"]["item"] == {"num_iid": SEED_ITEM}


async def test_get_multipart_epoch_ms_and_include_empty_variants_are_accepted(
    gateway: httpx.AsyncClient,
) -> None:
    params = call_params("taobao.item.get", fields="title", num_iid=str(SEED_ITEM))
    got = await gateway.get(TOP_PATH, params=params)
    assert "item_get_response" in got.json()

    files = {"image": ("a.jpg", b"\xff\xd8 not signed", "image/jpeg")}
    got = await gateway.post(TOP_PATH, data=params, files=files)
    assert "item_get_response" in got.json()

    epoch = {**params, "timestamp": str(int(time.time() * 1000))}
    epoch["sign"] = sign(epoch, TOP_APP_SECRET)
    assert "item_get_response" in (await gateway.post(TOP_PATH, data=epoch)).json()

    # The Python SDKs sign an empty-valued param as ``key`` + "" (vector X2).
    with_empty = {**params, "target_app_key": ""}
    concat = "".join(k + v for k, v in sorted(with_empty.items()) if k != "sign")
    with_empty["sign"] = hashlib.md5(
        (TOP_APP_SECRET + concat + TOP_APP_SECRET).encode()).hexdigest().upper()
    assert "item_get_response" in (await gateway.post(TOP_PATH, data=with_empty)).json()


# ---------------------------------------------------------------------------------------
# Items


async def test_seed_000_item_comes_back_with_its_values(gateway: httpx.AsyncClient) -> None:
    body = await top(gateway, "taobao.item.seller.get", num_iid=str(SEED_ITEM), simplify="true",
                     fields="num_iid,title,price,promotion_price,num,sold_quantity,cid,pic_url,"
                            "location,nick,modified,sku")
    item = body["item"]
    assert body["request_id"] == "2026052015301000123"
    assert item["title"] == "2026 Summer New Casual Cotton Short Sleeve T-shirt"
    assert (item["price"], item["promotion_price"]) == ("89.00", "59.00")
    assert (item["num"], item["sold_quantity"], item["cid"]) == (520, 12580, 50015261)
    assert item["pic_url"] == "https://img.taobao.com/xxx.jpg"
    assert item["location"] == {"state": "Guangdong", "city": "Guangzhou"}
    assert item["nick"] == "Official Flagship Store"
    assert item["modified"] == "2026-05-20 15:30:10"
    skus = {s["sku_id"]: s for s in item["skus"]}
    assert skus[123456789001]["properties_name"] == "1627207:28320:Color:White;20509:28315:Size:L"
    assert skus[123456789001]["properties"] == "1627207:28320;20509:28315"
    assert (skus[123456789001]["price"], skus[123456789001]["quantity"]) == ("59.00", 120)
    assert "Color:Black" in skus[123456789002]["properties_name"]
    assert "Size:XL" in skus[123456789002]["properties_name"]
    assert (skus[123456789002]["price"], skus[123456789002]["quantity"]) == ("59.00", 95)

    cats = await top(gateway, "taobao.itemcats.get", cids="50015261", simplify="true")
    leaf = cats["item_cats"][0]
    parent = (await top(gateway, "taobao.itemcats.get", cids=str(leaf["parent_cid"]),
                        simplify="true"))["item_cats"][0]
    assert f"{parent['name']} > {leaf['name']}" == "Women's Clothing > T-shirt"


async def test_fields_returns_only_what_was_asked(gateway: httpx.AsyncClient) -> None:
    item = (await top(gateway, "taobao.item.seller.get", num_iid=str(SEED_ITEM), simplify="true",
                      fields="num_iid,title"))["item"]
    assert set(item) == {"num_iid", "title"}

    item = (await top(gateway, "taobao.item.seller.get", num_iid=str(SEED_ITEM), simplify="true",
                      fields="sku.sku_id,sku.quantity,location.city,item_img"))["item"]
    assert item["skus"] == [{"sku_id": 123456789001, "quantity": 120},
                            {"sku_id": 123456789002, "quantity": 95}]
    assert item["location"] == {"city": "Guangzhou"}
    assert sorted(img["position"] for img in item["item_imgs"]) == [0, 1]

    # TOP's field name is ``sku``; asking for ``skus`` returns none.
    item = (await top(gateway, "taobao.item.seller.get", num_iid=str(SEED_ITEM), simplify="true",
                      fields="num_iid,skus"))["item"]
    assert item == {"num_iid": SEED_ITEM}


async def test_simplify_gives_plain_lists_and_default_wraps_them(
    gateway: httpx.AsyncClient,
) -> None:
    fields = "num_iid,sku,item_img,prop_img,video"
    num_iid = str(catalog_top.SEED_002_ITEM_ID)
    wrapped = await top(gateway, "taobao.item.seller.get", num_iid=num_iid, fields=fields)
    plain = await top(gateway, "taobao.item.seller.get", num_iid=num_iid, fields=fields,
                      simplify="true")
    inner = wrapped["item_seller_get_response"]
    assert set(inner) == {"item", "request_id"}
    item = inner["item"]
    assert item["skus"] == {"sku": plain["item"]["skus"]}
    assert item["item_imgs"] == {"item_img": plain["item"]["item_imgs"]}
    assert item["prop_imgs"] == {"prop_img": plain["item"]["prop_imgs"]}
    assert item["videos"] == {"video": plain["item"]["videos"]}
    assert isinstance(plain["item"]["skus"], list)
    assert "request_id" in plain

    listed = await top(gateway, "taobao.items.seller.list.get", num_iids=num_iid, fields="num_iid")
    assert listed["items_seller_list_get_response"]["items"] == {"item": [{"num_iid": 1489161932}]}

    # Errors keep their wrapper whatever ``simplify`` says.
    err = await top(gateway, "taobao.item.seller.get", num_iid="1", fields="title",
                    simplify="true")
    assert error_of(err)["code"] == 15
    assert error_of(err)["sub_code"] == "isv.item-not-exist"


async def test_format_absent_answers_xml(gateway: httpx.AsyncClient) -> None:
    params = call_params("taobao.item.get", fields="num_iid,sku", num_iid=str(SEED_ITEM))
    del params["format"]
    params["sign"] = sign(params, TOP_APP_SECRET)
    response = await gateway.post(TOP_PATH, data=params)
    assert response.headers["content-type"].startswith("text/xml")
    assert "<item_get_response><item><num_iid>680123456789</num_iid><skus><sku>" in response.text


async def test_seed_002_item_and_batch_rules(gateway: httpx.AsyncClient) -> None:
    ids = f"{catalog_top.SEED_002_ITEM_ID},999,600000000007"
    body = await top(gateway, "taobao.items.inside.list.get", num_iids=ids, simplify="true",
                     fields="num_iid,title,nick,cid,props,num,list_time,sold_quantity")
    first, tmall = body["items"]  # the unknown id 999 is silently dropped
    assert first == {"num_iid": 1489161932, "title": "Google test item", "nick": "tbtest561",
                     "cid": 132443, "props": "135255:344454", "num": 8888,
                     "list_time": "2009-10-22 14:22:06"}  # sold_quantity is withheld (seed 002)
    assert tmall["num_iid"] == 600000000007

    body = await top(gateway, "taobao.items.seller.list.get.tmall", num_iids=ids,
                     fields="num_iid,product_id", simplify="true")
    assert body["items"] == [{"num_iid": 600000000007, "product_id": 3433222}]

    body = await top(gateway, "taobao.items.seller.list.get", num_iids="1,2", fields="num_iid",
                     simplify="true")
    assert "items" not in body


async def test_catalog_product_by_id_and_by_key_props(gateway: httpx.AsyncClient) -> None:
    by_id = await top(gateway, "taobao.product.get.tmall", product_id="3433222", simplify="true",
                      fields="product_id,cid,cat_name,name,price,props_str,product_imgs")
    product = by_id["product"]
    assert (product["cid"], product["cat_name"], product["name"], product["price"]) == \
        (50012286, "日用品", "惠普笔记本", "200.07")
    assert product["props_str"] == "品牌:诺基亚;型号:N73"
    assert product["product_imgs"][0]["id"] == 9684

    by_props = await top(gateway, "taobao.product.get.tmall", cid="50012286",
                         props="10005:10027;10006:29729", fields="product_id")
    assert by_props["product_get_tmall_response"]["product"] == {"product_id": 3433222}

    missing = await top(gateway, "taobao.product.get.tmall", product_id="1", fields="name")
    assert error_of(missing)["code"] == 15
    assert error_of(missing)["sub_code"].startswith("isv.")
    neither = await top(gateway, "taobao.product.get.tmall", fields="name")
    assert error_of(neither)["sub_code"] == "isv.missing-parameter:pid-or-cid"


# ---------------------------------------------------------------------------------------
# Validation order and error codes


def _tamper(params: dict[str, str], **changes: str) -> dict[str, str]:
    """Apply ``changes`` and re-sign, so only the changed param is wrong."""
    out = {**params, **changes}
    out["sign"] = sign(out, TOP_APP_SECRET)
    return out


ITEM_CALL = {"fields": "title", "num_iid": str(SEED_ITEM)}
BAD_REQUESTS: dict[str, tuple[int, Callable[[dict[str, str]], dict[str, str]]]] = {
    "21 missing method": (21, lambda p: _tamper({k: v for k, v in p.items() if k != "method"})),
    "29 bad app key": (29, lambda p: _tamper(p, app_key="87654321")),
    "25 bad sign": (25, lambda p: {**p, "sign": "0" * 32}),
    "25 signed with another secret": (25, lambda p: {
        **p, "sign": sign({k: v for k, v in p.items() if k != "sign"}, "not-the-secret")}),
    "31 stale timestamp": (31, lambda p: _tamper(
        p, timestamp=now_shanghai(-timedelta(minutes=11)))),
    "31 UTC timestamp": (31, lambda p: _tamper(
        p, timestamp=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"))),
    "33 bad version": (33, lambda p: _tamper(p, v="1.0")),
    "22 bad method": (22, lambda p: _tamper(p, method="taobao.item.nope")),
    "26 missing session": (26, lambda p: _tamper({k: v for k, v in p.items() if k != "session"})),
    "27 bad session": (27, lambda p: _tamper(p, session="someone-else")),
    "40 missing num_iid": (40, lambda p: _tamper({k: v for k, v in p.items() if k != "num_iid"})),
    "41 non-numeric num_iid": (41, lambda p: _tamper(p, num_iid="abc")),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
async def test_each_check_answers_its_error_code(gateway: httpx.AsyncClient, case: str) -> None:
    code, break_it = BAD_REQUESTS[case]
    params = break_it(call_params("taobao.item.seller.get", **ITEM_CALL))
    response = await gateway.post(TOP_PATH, data=params)
    assert response.status_code == 200
    err = error_of(response.json())
    assert err["code"] == code
    assert err["msg"]
    assert err["request_id"]
    assert TOP_APP_SECRET not in response.text


async def test_app_key_is_checked_before_the_signature(gateway: httpx.AsyncClient) -> None:
    params = {**call_params("taobao.item.seller.get", **ITEM_CALL), "app_key": "87654321"}
    err = error_of((await gateway.post(TOP_PATH, data=params)).json())
    assert (err["code"], err["sub_code"]) == (29, "isv.appkey-not-exists")


async def test_errors_carry_fresh_request_ids(gateway: httpx.AsyncClient) -> None:
    params = {**call_params("taobao.item.seller.get", **ITEM_CALL), "sign": "0" * 32}
    ids = {error_of((await gateway.post(TOP_PATH, data=params)).json())["request_id"]
           for _ in range(3)}
    assert len(ids) == 3


async def test_more_than_20_ids_is_rejected(gateway: httpx.AsyncClient) -> None:
    ids = ",".join(str(i) for i in list(catalog_top.TOP_ITEMS)[:21])
    err = error_of(await top(gateway, "taobao.items.seller.list.get", num_iids=ids,
                             fields="num_iid"))
    assert (err["code"], err["sub_code"]) == (41, "isv.invalid-parameter")
    ok = await top(gateway, "taobao.items.inside.list.get", num_iids=ids.rsplit(",", 1)[0],
                   fields="num_iid", simplify="true")
    assert len(ok["items"]) == 20


# ---------------------------------------------------------------------------------------
# taobao.items.onsale.get


async def test_onsale_pages_cover_every_onsale_item_once(gateway: httpx.AsyncClient) -> None:
    seen: list[int] = []
    page_no, total = 1, None
    while True:
        body = await top(gateway, "taobao.items.onsale.get", fields="num_iid,modified,desc",
                         page_no=str(page_no), page_size="50", order_by="modified:asc",
                         simplify="true")
        total = body["total_results"]
        if "items" not in body:
            break
        assert all(set(item) == {"num_iid", "modified"} for item in body["items"])  # no desc
        seen += [item["num_iid"] for item in body["items"]]
        page_no += 1
    onsale = [i for i, item in catalog_top.TOP_ITEMS.items() if item["approve_status"] == "onsale"]
    assert total == len(onsale) == len(seen) == len(set(seen))
    modified = [catalog_top.TOP_ITEMS[i]["modified"] for i in seen]
    assert modified == sorted(modified)


async def test_onsale_modified_window_is_inclusive(gateway: httpx.AsyncClient) -> None:
    start, end = "2026-03-04 10:00:00", "2026-06-30 23:59:59"
    body = await top(gateway, "taobao.items.onsale.get", fields="num_iid,modified",
                     start_modified=start, end_modified=end, page_size="200", simplify="true")
    got = {item["num_iid"] for item in body["items"]}
    expected = {i for i, item in catalog_top.TOP_ITEMS.items()
                if item["approve_status"] == "onsale" and start <= item["modified"] <= end}
    assert got == expected
    assert 600000000004 in got  # modified exactly at ``start``
    assert body["total_results"] == len(expected) > 0


async def test_onsale_search_filters_and_limits(gateway: httpx.AsyncClient) -> None:
    body = await top(gateway, "taobao.items.onsale.get", fields="num_iid,title", q="测试",
                     cid="50000436", simplify="true")
    assert {item["num_iid"] for item in body["items"]} == {600000000003, 600000000004}

    empty = await top(gateway, "taobao.items.onsale.get", fields="num_iid", q="不存在的标题")
    assert empty["items_onsale_get_response"].keys() == {"total_results", "request_id"}
    assert empty["items_onsale_get_response"]["total_results"] == 0

    too_deep = error_of(await top(gateway, "taobao.items.onsale.get", fields="num_iid",
                                  page_no="101", page_size="200"))
    assert (too_deep["code"], too_deep["sub_code"]) == (41, "isv.invalid-parameter")
    assert "page_no" in too_deep["msg"]
    too_big = error_of(await top(gateway, "taobao.items.onsale.get", fields="num_iid",
                                 page_size="201"))
    assert too_big["code"] == 41


# ---------------------------------------------------------------------------------------
# The catalog


def test_catalog_has_the_variety_clients_must_handle() -> None:
    items = catalog_top.TOP_ITEMS
    assert len(items) >= 200
    hand_made = {SEED_ITEM, catalog_top.SEED_002_ITEM_ID, *catalog_top.TRICKY_ITEM_IDS}
    generated = [i for i in items if i not in hand_made]
    assert all(len(str(i)) == 12 for i in generated)
    sku_counts = [len(item.get("skus", [])) for item in items.values()]
    assert 0 in sku_counts
    assert max(sku_counts) >= 40
    assert max(sku_counts) <= 60
    all_skus = [sku for item in items.values() for sku in item.get("skus", [])]
    assert any(sku["quantity"] == 0 for sku in all_skus)
    assert all(sku["price"].count(".") == 1 and len(sku["price"].split(".")[1]) == 2
               for sku in all_skus)
    assert any("#cln#" in item["props_name"] for item in items.values())
    assert any("#scln#" in sku["properties_name"] for sku in all_skus)
    assert any(sku["properties"].startswith("-") for sku in all_skus)
    for i in generated:
        item = items[i]
        if item.get("skus"):
            assert item["num"] == sum(sku["quantity"] for sku in item["skus"])
        positions = [img["position"] for img in item["item_imgs"]]
        assert sorted(positions) == list(range(len(positions)))
    assert any([img["position"] for img in item["item_imgs"]]
               != sorted(img["position"] for img in item["item_imgs"]) for item in items.values())
    years = {item["modified"][:4] for i, item in items.items() if i in generated}
    assert years == {"2025", "2026"}

    tmall = [i for i in items if catalog_top.is_tmall(i)]
    assert len(tmall) >= len(items) / 4
    assert all(items[i]["product_id"] in catalog_top.CATALOG_PRODUCTS for i in tmall)
    assert any(items[i]["product_id"] == 3433222 for i in tmall)
    assert all("is_tmall" not in item for item in items.values())
    assert all(item["cid"] in catalog_top.ITEM_CATS for item in items.values())


def test_catalog_is_deterministic_and_quick_to_build() -> None:
    script = (
        "import json, time; t = time.perf_counter(); import sandbox.catalog_top as c; "
        "took = time.perf_counter() - t; "
        "print(took, hash(json.dumps(c.TOP_ITEMS, sort_keys=True, ensure_ascii=False)))"
    )
    env = {"PYTHONHASHSEED": "0"}
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, env=env, cwd=Path(__file__).parents[2]).stdout.split()
            for _ in range(2)]
    assert runs[0][1] == runs[1][1]
    assert min(float(runs[0][0]), float(runs[1][0])) < 0.3


# ---------------------------------------------------------------------------------------
# Faults, flow control and statistics


async def set_faults(gateway: httpx.AsyncClient, **faults: Any) -> None:
    assert (await gateway.post("/_sandbox/faults", json=faults)).status_code == 200


async def test_ban_counts_down_then_lifts(gateway: httpx.AsyncClient) -> None:
    await set_faults(gateway, ban_seconds=2)
    first = error_of(await top(gateway, "taobao.item.get", **ITEM_CALL))
    assert (first["code"], first["sub_code"]) == (7, "accesscontrol.limited-by-api-access-count")
    assert first["sub_msg"] == "This ban will last for 2 more seconds"
    await asyncio.sleep(1.05)
    second = error_of(await top(gateway, "taobao.item.get", **ITEM_CALL))
    assert second["sub_msg"] == "This ban will last for 1 more seconds"
    await asyncio.sleep(1.0)
    assert "item_get_response" in await top(gateway, "taobao.item.get", **ITEM_CALL)
    stats = (await gateway.get("/_sandbox/stats")).json()
    assert stats["calls"]["taobao.item.get"] == 3  # rejected calls count too


async def test_qps_limit_bans_the_call_over_budget(gateway: httpx.AsyncClient) -> None:
    await set_faults(gateway, qps_limit=3)
    answers = [await top(gateway, "taobao.item.get", **ITEM_CALL) for _ in range(5)]
    assert all("item_get_response" in body for body in answers[:3])
    for body in answers[3:]:
        err = error_of(body)
        assert (err["code"], err["sub_code"]) == (7, "accesscontrol.limited-by-api-access-count")
        assert err["sub_msg"] == "This ban will last for 1 more seconds"
    await asyncio.sleep(1.1)
    assert "item_get_response" in await top(gateway, "taobao.item.get", **ITEM_CALL)


async def test_fail_and_garbage_faults(gateway: httpx.AsyncClient) -> None:
    await set_faults(gateway, fail_rate=1.0)
    statuses: set[Any] = set()
    for _ in range(12):
        response = await gateway.post(TOP_PATH, data=call_params("taobao.item.get", **ITEM_CALL))
        if response.status_code == 502:
            assert "<html>" in response.text
            statuses.add(502)
        else:
            err = error_of(response.json())
            statuses.add((err["code"], err["sub_code"]))
    assert statuses == {502, (15, "isp.top-remote-connection-timeout")}

    await set_faults(gateway, fail_rate=0.0, garbage_rate=1.0)
    response = await gateway.post(TOP_PATH, data=call_params("taobao.item.get", **ITEM_CALL))
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_stats_keep_the_last_params_without_secrets(gateway: httpx.AsyncClient) -> None:
    await top(gateway, "taobao.items.inside.list.get", num_iids="600000000001,600000000002",
              fields="num_iid,sku")
    stats = (await gateway.get("/_sandbox/stats")).json()
    last = stats["lastParams"]["taobao.items.inside.list.get"]
    assert last["num_iids"] == "600000000001,600000000002"
    assert last["fields"] == "num_iid,sku"
    assert last["format"] == "json"
    assert {"sign", "session", "app_key"}.isdisjoint(last)
    assert TOP_SESSION not in json.dumps(stats)
