"""The Weidian (vdian) channel: mapping of recorded answers, and the adapter end to end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from channels.errors import NotFound, Unauthenticated, UpstreamError
from channels.model import Channel, ImageKind, Part, SelectedOption
from channels.weidian import WeidianAdapter, product_from_vdian, selected_options_from_titles
from sandbox.app import create_sandbox_app
from sandbox.catalog_weidian import ITEMS
from sandbox.credentials import WEIDIAN_ACCESS_TOKEN, WEIDIAN_PATH

FIXTURES = Path(__file__).parent.parent / "fixtures" / "weidian"
ALL_PARTS = frozenset(Part)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


# -- mapping -----------------------------------------------------------------------------

def test_recorded_item_maps_every_field() -> None:
    record = product_from_vdian(load("vdian_item_get.json")["result"], source_id="1872265566")

    assert record.id == "weidian_1872265566"
    core = record.core
    assert core is not None
    assert core.title.original == "Homemade Nougat 牛轧糖"
    assert core.price.display == Decimal("35.00")
    assert (core.price_min, core.price_max) == (Decimal("35.00"), Decimal("38.00"))
    assert core.total_stock == 20
    assert core.outer_id == "NG-01"
    assert core.source_url == "https://weidian.com/item.html?itemID=1872265566"
    assert record.media is not None
    assert [(i.url, i.kind) for i in record.media.images] == [
        ("https://si.geilicdn.com/example_800_800.jpg", ImageKind.MAIN)]
    assert record.variants is not None
    matcha = record.variants.variants[1]
    assert (matcha.sku_id, matcha.price.display, matcha.stock, matcha.outer_id) == (
        "1404259317", Decimal("38.00"), 10, "NG-01-B")
    assert matcha.selected_options == (SelectedOption("规格", "抹茶"),)
    assert [v.name for v in record.variants.options[0].values] == ["原味", "抹茶"]
    # The recorded answer names no shop: the seller is loaded, and empty.
    assert record.seller is None and record.has(Part.SELLER)
    assert record.loaded_parts() == ALL_PARTS


def test_named_sku_titles_become_named_options() -> None:
    record = product_from_vdian(load("vdian_item_get.sandbox_named.json")["result"],
                                source_id="2300016450")
    assert record.variants is not None
    assert [o.name for o in record.variants.options] == ["材质", "尺寸"]
    first = record.variants.variants[0]
    assert first.selected_options == (
        SelectedOption("材质", "珍珠"), SelectedOption("尺寸", "大号"))
    assert record.seller is not None
    assert (record.seller.source_id, record.seller.name) == ("1600123403", "拾光银饰工作室")


def test_spaced_sku_titles_become_positional_options() -> None:
    record = product_from_vdian(load("vdian_item_get.sandbox_spaced.json")["result"],
                                source_id="2300008752")
    assert record.variants is not None
    assert record.variants.variants[0].selected_options == (
        SelectedOption("规格1", "雾霾蓝"), SelectedOption("规格2", "XL"))
    assert [o.name for o in record.variants.options] == ["规格1", "规格2"]
    assert [v.name for v in record.variants.options[1].values] == ["XL", "M"]


@pytest.mark.parametrize(
    ("titles", "expected"),
    [
        (["颜色：红色；尺码：XL"], [(("颜色", "红色"), ("尺码", "XL"))]),
        # Word counts differ between SKUs: each title is one value, not split.
        (["红色 XL", "蓝色"], [(("规格", "红色 XL"),), (("规格", "蓝色"),)]),
        # A colon makes the whole title name:value pairs, whatever its spaces.
        (["款式:大号 套装;赠品"], [(("款式", "大号 套装"), ("规格", "赠品"))]),
    ],
)
def test_sku_title_rule(titles: list[str], expected: list[tuple[tuple[str, str], ...]]) -> None:
    got = selected_options_from_titles(titles)
    assert [tuple((o.name, o.value) for o in opts) for opts in got] == expected


# -- end to end against the sandbox --------------------------------------------------------

@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    app = create_sandbox_app()
    yield app


def adapter(app: Any, token: str = WEIDIAN_ACCESS_TOKEN) -> WeidianAdapter:
    return WeidianAdapter(access_token=token, gateway_url=f"http://sandbox{WEIDIAN_PATH}",
                          transport=httpx.ASGITransport(app=app))


async def test_fetch_through_the_sandbox_matches_the_catalog(sandbox: Any) -> None:
    weidian = adapter(sandbox)
    ids = [i for i, item in ITEMS.items() if len(item.skus) > 1][:5]
    results = await weidian.fetch(Channel.WEIDIAN, ids, frozenset({Part.CORE}))
    await weidian.aclose()

    for item_id in ids:
        record = results[item_id]
        item = ITEMS[item_id]
        assert not isinstance(record, Exception), record
        assert record.core is not None and record.variants is not None
        assert record.core.title.original == item.item_name
        assert record.core.price.display == item.price
        assert [v.sku_id for v in record.variants.variants] == [s.id for s in item.skus]
        assert [v.stock for v in record.variants.variants] == [s.stock for s in item.skus]
    # One call per item, each one vdian.item.get.
    assert sandbox.state.sandbox.calls["vdian.item.get"] == len(ids)


async def test_unknown_and_malformed_ids_fail_alone(sandbox: Any) -> None:
    weidian = adapter(sandbox)
    results = await weidian.fetch(Channel.WEIDIAN, ["1872265566", "999", "abc"], ALL_PARTS)
    await weidian.aclose()
    assert results["1872265566"].id == "weidian_1872265566"  # type: ignore[union-attr]
    assert isinstance(results["999"], NotFound)
    assert results["abc"].code == "INVALID_ID"  # type: ignore[union-attr]


async def test_bad_token_is_unauthenticated_and_never_echoed(sandbox: Any) -> None:
    token = "leaked-token-5f2b9c"
    weidian = adapter(sandbox, token=token)
    error = (await weidian.fetch(Channel.WEIDIAN, ["1872265566"], ALL_PARTS))["1872265566"]
    await weidian.aclose()
    assert isinstance(error, Unauthenticated)
    for text in (str(error), repr(error), repr(weidian), str(error.extensions())):
        assert token not in text


async def test_garbage_answers_are_retryable_upstream_errors(sandbox: Any) -> None:
    sandbox.state.sandbox.faults.garbage_rate = 1.0
    weidian = adapter(sandbox)
    error = (await weidian.fetch(Channel.WEIDIAN, ["1872265566"], ALL_PARTS))["1872265566"]
    await weidian.aclose()
    assert isinstance(error, UpstreamError) and error.retryable


def test_recorded_error_status_becomes_a_typed_error() -> None:
    weidian = WeidianAdapter(access_token="t0ken")
    response = httpx.Response(200, content=(FIXTURES / "vdian_error.json").read_bytes())
    with pytest.raises(UpstreamError) as caught:
        weidian._result(response, "vdian.item.get", "1")
    assert caught.value.upstream_code == "10008"
    assert "非法请求" in caught.value.message
