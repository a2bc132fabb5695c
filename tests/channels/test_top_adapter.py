"""TopAdapter end to end against the sandbox TOP gateway (in process, httpx.ASGITransport):
real signing, real envelopes, real batching, checked through the sandbox's own statistics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from channels.base import ChannelAdapter
from channels.errors import InvalidId, NotFound, RateLimited, Unauthenticated, UpstreamError
from channels.model import Channel, Part, ProductRecord
from channels.top import TopAdapter
from sandbox import catalog_top
from sandbox.app import create_sandbox_app
from sandbox.credentials import TOP_APP_KEY, TOP_APP_SECRET, TOP_SESSION

GATEWAY = "http://sandbox/router/rest"
SEED_000 = "680123456789"
SEED_002 = "1489161932"
ALL_ITEM_PARTS = frozenset(Part) - {Part.CATALOG}
TAOBAO_IDS = [str(i) for i in catalog_top.TOP_ITEMS if not catalog_top.is_tmall(i)][:25]
TMALL_IDS = [str(i) for i in catalog_top.TOP_ITEMS if catalog_top.is_tmall(i)][:25]

MakeAdapter = Callable[..., TopAdapter]


@pytest.fixture
def sandbox() -> Any:
    return create_sandbox_app()


@pytest.fixture
async def make_adapter(sandbox: Any) -> AsyncIterator[MakeAdapter]:
    adapters: list[TopAdapter] = []

    def make(**options: Any) -> TopAdapter:
        settings: dict[str, Any] = {
            "app_key": TOP_APP_KEY, "app_secret": TOP_APP_SECRET, "session": TOP_SESSION,
            "gateway_url": GATEWAY, "transport": httpx.ASGITransport(app=sandbox),
            **options,
        }
        adapter = TopAdapter(**settings)
        adapters.append(adapter)
        return adapter

    yield make
    for adapter in adapters:
        await adapter.aclose()


async def stats(sandbox: Any) -> dict[str, Any]:
    """What the gateway saw, read from its own control endpoint."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox),
                                 base_url="http://sandbox") as http:
        response = await http.get("/_sandbox/stats")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_it_is_a_channel_adapter_for_taobao_and_tmall(make_adapter: MakeAdapter) -> None:
    adapter = make_adapter()
    assert isinstance(adapter, ChannelAdapter)
    assert adapter.channels == (Channel.TAOBAO, Channel.TMALL)
    assert adapter.batch_limit == 20
    assert make_adapter(batch_method=None).batch_limit == 1
    assert Part.CATALOG not in adapter.parts_per_call and Part.VARIANTS in adapter.parts_per_call
    assert adapter.validate_source_id(Channel.TAOBAO, "00680123456789") == SEED_000
    with pytest.raises(InvalidId):
        adapter.validate_source_id(Channel.TAOBAO, "68012abc")


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
async def test_25_ids_with_a_batch_method_cost_two_gateway_calls(
    make_adapter: MakeAdapter, sandbox: Any, sign_method: str
) -> None:
    adapter = make_adapter(sign_method=sign_method)
    results = await adapter.fetch(Channel.TAOBAO, TAOBAO_IDS, ALL_ITEM_PARTS)
    assert list(results) == TAOBAO_IDS
    for source_id, record in results.items():
        assert isinstance(record, ProductRecord), record
        assert record.source_id == source_id and record.channel is Channel.TAOBAO
        assert record.core is not None and record.core.title.original
    seen = await stats(sandbox)
    assert seen["calls"] == {"taobao.items.seller.list.get": 2}
    assert seen["lastParams"]["taobao.items.seller.list.get"]["sign_method"] == sign_method


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
async def test_without_a_batch_method_each_id_costs_exactly_one_call(
    make_adapter: MakeAdapter, sandbox: Any, sign_method: str
) -> None:
    adapter = make_adapter(sign_method=sign_method, batch_method=None, concurrency=4)
    results = await adapter.fetch(Channel.TAOBAO, TAOBAO_IDS, frozenset({Part.CORE}))
    assert all(isinstance(r, ProductRecord) for r in results.values())
    assert [r.source_id for r in results.values()] == TAOBAO_IDS  # type: ignore[union-attr]
    assert (await stats(sandbox))["calls"] == {"taobao.item.seller.get": 25}


async def test_tmall_batch_method_and_simplified_answers(make_adapter: MakeAdapter) -> None:
    wrapped = make_adapter(batch_method="taobao.items.seller.list.get.tmall")
    simplified = make_adapter(batch_method="taobao.items.seller.list.get.tmall", simplify=True)
    first = await wrapped.fetch(Channel.TMALL, TMALL_IDS[:5], ALL_ITEM_PARTS)
    second = await simplified.fetch(Channel.TMALL, TMALL_IDS[:5], ALL_ITEM_PARTS)
    for source_id in TMALL_IDS[:5]:
        a, b = first[source_id], second[source_id]
        assert isinstance(a, ProductRecord) and isinstance(b, ProductRecord)
        assert a.channel is Channel.TMALL
        assert (a.core, a.variants, a.media, a.seller) == (b.core, b.variants, b.media, b.seller)


@pytest.mark.parametrize("batch_method", ["taobao.items.seller.list.get", None])
async def test_an_unknown_id_is_not_found_and_does_not_fail_the_others(
    make_adapter: MakeAdapter, batch_method: str | None
) -> None:
    adapter = make_adapter(batch_method=batch_method)
    results = await adapter.fetch(Channel.TAOBAO, [SEED_000, "123"], frozenset({Part.CORE}))
    assert isinstance(results[SEED_000], ProductRecord)
    missing = results["123"]
    assert isinstance(missing, NotFound)
    assert str(missing) == "no taobao product 123"
    assert missing.channel is Channel.TAOBAO


async def test_a_core_only_query_asks_for_no_skus_images_or_description(
    make_adapter: MakeAdapter, sandbox: Any
) -> None:
    adapter = make_adapter()
    results = await adapter.fetch(Channel.TAOBAO, [SEED_000], frozenset({Part.CORE}))
    fields = set((await stats(sandbox))["lastParams"]["taobao.items.seller.list.get"]["fields"]
                 .split(","))
    assert not {"sku", "item_img", "prop_img", "desc", "video"} & fields
    assert {"num_iid", "title", "price"} <= fields
    record = results[SEED_000]
    assert isinstance(record, ProductRecord)
    assert record.loaded_parts() == frozenset({Part.CORE})

    await adapter.fetch(Channel.TAOBAO, [SEED_000], frozenset({Part.VARIANTS, Part.MEDIA}))
    fields = set((await stats(sandbox))["lastParams"]["taobao.items.seller.list.get"]["fields"]
                 .split(","))
    assert {"sku", "item_img", "prop_img"} <= fields and "desc" not in fields


@pytest.mark.parametrize("simplify", [False, True])
async def test_seed_000_item_with_its_prices_and_two_variants(
    make_adapter: MakeAdapter, simplify: bool
) -> None:
    adapter = make_adapter(batch_method=None, simplify=simplify)
    record = (await adapter.fetch(Channel.TAOBAO, [SEED_000], frozenset(Part)))[SEED_000]
    assert isinstance(record, ProductRecord)
    core = record.core
    assert core is not None
    assert core.title.original == "2026 Summer New Casual Cotton Short Sleeve T-shirt"
    assert (core.price.display, core.price.promotion) == (Decimal("89.00"), Decimal("59.00"))
    assert core.total_stock == 520 and core.sales_count == 12580
    assert record.request_id == "2026052015301000123"
    assert record.variants is not None
    assert [(tuple(o.value for o in v.selected_options), v.price.display, v.stock)
            for v in record.variants.variants] == [
        (("White", "L"), Decimal("59.00"), 120), (("Black", "XL"), Decimal("59.00"), 95)]
    assert [o.name for o in record.variants.options] == ["Color", "Size"]
    assert record.media is not None and record.media.images[0].url.endswith("/xxx.jpg")
    assert record.description is not None and record.description.html
    # Seed 000 has no catalog product: CATALOG is loaded, and empty.
    assert record.catalog is None and Part.CATALOG in record.empty_parts


async def test_catalog_part_follows_the_items_product_id(
    make_adapter: MakeAdapter, sandbox: Any
) -> None:
    adapter = make_adapter(batch_method="taobao.items.inside.list.get")
    record = (await adapter.fetch(Channel.TAOBAO, [SEED_002],
                                  frozenset({Part.CORE, Part.CATALOG})))[SEED_002]
    assert isinstance(record, ProductRecord)
    assert record.core is not None and record.core.title.original == "Google test item"
    assert record.catalog is not None and record.catalog.product_id == "85883030"
    calls = (await stats(sandbox))["calls"]
    assert calls == {"taobao.items.inside.list.get": 1, "taobao.product.get.tmall": 1}


async def test_seed_001_catalog_product_by_id_or_by_category_and_props(
    make_adapter: MakeAdapter,
) -> None:
    adapter = make_adapter()
    by_id = await adapter.fetch_catalog_product(product_id="3433222")
    assert by_id.name == "惠普笔记本" and by_id.market_price == Decimal("200.07")
    assert by_id.category is not None and by_id.category.id == "50012286"
    by_props = await adapter.fetch_catalog_product(category_id="50012286",
                                                   props="10005:10027;10006:29729")
    assert by_props == by_id
    with pytest.raises(NotFound) as caught:
        await adapter.fetch_catalog_product(product_id="999999")
    assert caught.value.sub_code == "isv.product-not-exist"


@pytest.mark.parametrize("batch_method", ["taobao.items.seller.list.get", None])
async def test_a_wrong_secret_is_unauthenticated_for_every_id_and_never_shown(
    make_adapter: MakeAdapter, batch_method: str | None
) -> None:
    secret = "not-the-sandbox-secret-42"
    adapter = make_adapter(app_secret=secret, batch_method=batch_method)
    results = await adapter.fetch(Channel.TAOBAO, [SEED_000, TAOBAO_IDS[3]], ALL_ITEM_PARTS)
    for error in results.values():
        assert isinstance(error, Unauthenticated)
        assert error.upstream_code == "25" and error.request_id
        for text in (str(error), repr(error), str(error.extensions())):
            assert secret not in text and TOP_SESSION not in text
    assert secret not in repr(adapter) and TOP_SESSION not in repr(adapter)


async def test_a_wrong_session_is_unauthenticated(make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(session="expired-session-xyz")
    error = (await adapter.fetch(Channel.TAOBAO, [SEED_000], frozenset({Part.CORE})))[SEED_000]
    assert isinstance(error, Unauthenticated)
    assert (error.upstream_code, error.sub_code) == ("27", "invalid-sessionkey")
    assert "expired-session-xyz" not in str(error)


async def test_a_ban_fails_the_whole_batch_with_its_retry_after(
    make_adapter: MakeAdapter, sandbox: Any
) -> None:
    sandbox.state.sandbox.faults.ban_seconds = 30
    adapter = make_adapter()
    results = await adapter.fetch(Channel.TAOBAO, TAOBAO_IDS[:3], frozenset({Part.CORE}))
    errors = list(results.values())
    assert all(isinstance(e, RateLimited) for e in errors)
    first = errors[0]
    assert isinstance(first, RateLimited)
    assert first.retry_after is not None and 25 <= first.retry_after <= 30
    assert first.sub_code == "accesscontrol.limited-by-api-access-count"


async def test_a_garbage_body_is_an_upstream_error(
    make_adapter: MakeAdapter, sandbox: Any
) -> None:
    sandbox.state.sandbox.faults.garbage_rate = 1.0
    adapter = make_adapter()
    error = (await adapter.fetch(Channel.TAOBAO, [SEED_000], frozenset({Part.CORE})))[SEED_000]
    assert type(error) is UpstreamError
    assert "non-JSON" in str(error)
