"""The sandbox speaks ``taobao.tbk.item.info.upgrade.get`` as apiId 64763 documents it:
``item_id`` up to 20 ids, ``results`` → ``tbk_item_detail`` wrapped (and plain with
``simplify``), promotion paths wrapped as ``final_promotion_path_map_data``."""

from __future__ import annotations

from typing import Any

from sandbox import catalog_top
from tests.sandbox.test_top_sandbox import error_of, gateway, top

__all__ = ["gateway"]
METHOD = "taobao.tbk.item.info.upgrade.get"


async def test_the_answer_is_shaped_as_documented(gateway: Any) -> None:
    ids = [str(n) for n in sorted(catalog_top.TOP_ITEMS)[:19]]
    body = await top(gateway, METHOD, item_id=",".join([*ids, "1"]))
    results = body["tbk_item_info_upgrade_get_response"]["results"]["tbk_item_detail"]
    assert [d["input_item_iid"] for d in results] == ids          # "1" is no item: left out
    paths = [d["price_promotion_info"]["final_promotion_path_list"]
             for d in results if "final_promotion_path_list" in d["price_promotion_info"]]
    assert paths and all(set(p) == {"final_promotion_path_map_data"} for p in paths)
    for detail in results:
        prices = detail["price_promotion_info"]
        assert {"reserve_price", "zk_final_price", "final_promotion_price"} <= set(prices)
        assert {"title", "pict_url", "user_type", "seller_id"} <= set(detail["item_basic_info"])


async def test_simplify_gives_plain_lists(gateway: Any) -> None:
    n = str(sorted(catalog_top.TOP_ITEMS)[0])
    body = await top(gateway, METHOD, item_id=n, simplify="true")
    assert [d["item_id"] for d in body["results"]] == [n]


async def test_more_than_20_ids_is_rejected(gateway: Any) -> None:
    ids = ",".join(str(n) for n in sorted(catalog_top.TOP_ITEMS)[:21])
    err = error_of(await top(gateway, METHOD, item_id=ids))
    assert (err["code"], err["sub_code"]) == (41, "isv.invalid-parameter")
    missing = error_of(await top(gateway, METHOD))
    assert missing["code"] == 40                                   # item_id is required
