"""The seed-003 standard-model channel: the detail mapping, and the adapter end to end."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from channels.errors import BadRequest, NotFound, Unauthenticated, UpstreamError
from channels.model import (
    Channel,
    ImageKind,
    Part,
    PriceTier,
    SelectedOption,
    VideoKind,
)
from channels.standard import StandardAdapter, product_from_standard
from sandbox.app import create_sandbox_app
from sandbox.catalog_weidian import ITEMS
from sandbox.credentials import STANDARD_PATH, STANDARD_TOKEN

FIXTURES = Path(__file__).parent.parent / "fixtures" / "standard"
ALL_PARTS = frozenset(Part)


def detail_fixture() -> Any:
    text = (FIXTURES / "detail_1688_554456348334.json").read_text(encoding="utf-8")
    return json.loads(text, parse_float=Decimal)


def test_seed_003_detail_maps_every_field() -> None:
    record = product_from_standard(detail_fixture()["product"])

    assert (record.channel, record.id) == (Channel.ALIBABA_1688, "1688_554456348334")
    core = record.core
    assert core is not None
    assert core.title.translated == "Liquid silicone case for iPhone 15, full cover"
    assert core.title.language == "en"
    assert (core.price.original, core.price.display, core.price.promotion) == (
        Decimal("39.9"), Decimal("29.9"), Decimal("24.9"))
    # What a buyer pays per unit: the promotion where there is one.
    assert (core.price_min, core.price_max) == (Decimal("24.9"), Decimal("31.9"))
    assert core.price_tiers == (PriceTier(2, Decimal("29.9")), PriceTier(100, Decimal("27.5")))
    assert (core.min_order_quantity, core.distribution_min_quantity) == (2, 1)
    assert core.distribution_price == Decimal("26.5")
    assert core.total_stock == 100
    brand = core.attributes[0]
    assert (brand.name.original, brand.name.translated, brand.value.original,
            brand.value.translated) == ("品牌", "Brand", "酷乐派", "Kulepai")
    assert core.category is not None and core.category.id == "1043766"
    assert core.brand == "酷乐派"
    assert core.updated_at is not None and core.updated_at.utcoffset() is not None
    assert core.updated_at.isoformat() == "2026-05-20T15:30:10+08:00"
    assert core.shipping is not None and core.shipping.ships_from is not None
    assert core.shipping.ships_from.text == "广东省 深圳市"
    assert core.shipping.domestic_fee == Decimal("5.0")
    assert core.main_image == "https://cbu01.alicdn.com/img/ibank/O1CN01main.jpg"

    assert record.media is not None
    assert [i.kind for i in record.media.images] == [
        ImageKind.MAIN, ImageKind.GALLERY, ImageKind.VARIANT]
    assert [v.kind for v in record.media.videos] == [VideoKind.MAIN, VideoKind.DETAIL]
    assert record.description is not None
    assert record.description.html == "<p>液态硅胶 全包防摔</p>"

    assert record.variants is not None
    black, white = record.variants.variants
    assert (black.sku_id, black.upstream_sku_id, black.stock) == (
        "b266e0a3c41f5d7e9b2a6c8d0e1f3a57", "4812395577101", 100)
    assert black.selected_options[0] == SelectedOption("颜色", "黑色", "Color", "Black")
    assert black.price.effective == Decimal("24.9")
    assert black.distribution_price == Decimal("26.5")
    assert black.image == "https://cbu01.alicdn.com/img/ibank/O1CN01black.jpg"
    assert white.stock == 0 and white.image is None
    colour, model = record.variants.options
    assert (colour.name, colour.translated_name) == ("颜色", "Color")
    assert [(v.name, v.translated_name, v.swatch_image) for v in colour.values] == [
        ("黑色", "Black", black.image), ("白色", "White", None)]
    assert [v.name for v in model.values] == ["iPhone 15"]

    assert record.seller is not None
    assert (record.seller.source_id, record.seller.name, record.seller.shop_url) == (
        "b2b-2207398466733", "深圳酷乐派数码", "https://kulepai.1688.com")
    assert record.seller.trade_score == Decimal("4.5")
    assert record.loaded_parts() == ALL_PARTS


# -- end to end against the sandbox --------------------------------------------------------

def adapter(app: Any, token: str = STANDARD_TOKEN, language: str | None = None
            ) -> StandardAdapter:
    return StandardAdapter(
        base_url=f"http://sandbox{STANDARD_PATH}", token=token, language=language,
        channels=(Channel.WEIDIAN, Channel.TAOBAO, Channel.TMALL, Channel.ALIBABA_1688),
        transport=httpx.ASGITransport(app=app),
    )


async def test_detail_through_the_sandbox() -> None:
    std = adapter(create_sandbox_app(), language="en")
    results = await std.fetch(Channel.WEIDIAN, ["1872265566", "404"], ALL_PARTS)
    seed = await std.fetch(Channel.ALIBABA_1688, ["554456348334"], ALL_PARTS)
    await std.aclose()

    nougat = results["1872265566"]
    assert not isinstance(nougat, Exception)
    assert nougat.core is not None and nougat.variants is not None
    assert nougat.core.title.translated == "[en] Homemade Nougat 牛轧糖"
    assert nougat.core.price.display == Decimal("35.00")
    assert [v.sku_id for v in nougat.variants.variants] == ["1404259316", "1404259317"]
    assert nougat.request_id is not None and nougat.request_id.startswith("req_")
    assert isinstance(results["404"], NotFound)
    # Seed 003's own example offer: display 29.9, promotion 24.9, a b266e0… variant, stock 100.
    offer = seed["554456348334"]
    assert not isinstance(offer, Exception) and offer.core is not None
    assert (offer.core.price.display, offer.core.price.promotion) == (
        Decimal("29.9"), Decimal("24.9"))
    assert offer.variants is not None
    assert offer.variants.variants[0].sku_id.startswith("b266e0")
    assert offer.variants.variants[0].stock == 100


async def test_tmall_items_keep_their_channel() -> None:
    std = adapter(create_sandbox_app())
    record = await std.fetch_product(Channel.TMALL, "600000000007")
    await std.aclose()
    assert record.id == "tmall_600000000007"


async def test_bad_token_is_unauthenticated_and_never_echoed() -> None:
    token = "leaked-bearer-91ac"
    std = adapter(create_sandbox_app(), token=token)
    error = (await std.fetch(Channel.WEIDIAN, ["1872265566"], ALL_PARTS))["1872265566"]
    with pytest.raises(Unauthenticated) as caught:
        await std.search(Channel.WEIDIAN, keyword="", page=1, page_size=10)
    await std.aclose()
    assert isinstance(error, Unauthenticated) and error.http_status == 401
    for text in (str(error), repr(error), repr(std), str(caught.value), str(error.extensions())):
        assert token not in text


async def test_server_errors_are_retryable() -> None:
    app = create_sandbox_app()
    app.state.sandbox.faults.fail_rate = 1.0
    std = adapter(app)
    error = (await std.fetch(Channel.WEIDIAN, ["1872265566"], ALL_PARTS))["1872265566"]
    await std.aclose()
    assert isinstance(error, UpstreamError) and error.retryable and error.http_status == 503


async def test_search_pages_visit_every_match_once() -> None:
    std = adapter(create_sandbox_app())
    seen: list[str] = []
    totals = set()
    page = 1
    while True:
        listing = await std.search(Channel.WEIDIAN, keyword="手工", page=page, page_size=4,
                                   sort="price_asc")
        totals.add(listing.total)
        seen += [r.source_id for r in listing.items]
        if len(listing.items) < 4:
            break
        page += 1
    await std.aclose()

    expected = sorted(i for i, item in ITEMS.items() if "手工" in item.item_name)
    assert totals == {len(expected)}
    assert len(seen) == len(set(seen)) and sorted(seen) == expected
    prices = [ITEMS[i].price for i in seen]
    assert prices == sorted(prices)


async def test_listing_items_carry_core_media_and_seller_name() -> None:
    std = adapter(create_sandbox_app())
    listing = await std.search(Channel.WEIDIAN, keyword="牛轧糖", page=1, page_size=10)
    await std.aclose()
    nougat = next(r for r in listing.items if r.source_id == "1872265566")
    assert nougat.core is not None and nougat.core.seller_name == "老街手作零食铺"
    assert nougat.media is not None
    assert nougat.media.images[0].url == "https://si.geilicdn.com/example_800_800.jpg"
    assert nougat.variants is None and not nougat.has(Part.VARIANTS)


async def test_upload_then_search_by_image() -> None:
    std = adapter(create_sandbox_app())
    image_id = await std.upload_image(Channel.WEIDIAN, b"\x89PNG\r\n\x1a\nfake", "image/png")
    by_id = await std.search_by_image(Channel.WEIDIAN, image_id=image_id, page=1, page_size=5)
    again = await std.search_by_image(Channel.WEIDIAN, image_id=image_id, page=1, page_size=5)
    by_url = await std.search_by_image(
        Channel.WEIDIAN, image_url="https://si.geilicdn.com/example_800_800.jpg",
        page=1, page_size=5)
    with pytest.raises(NotFound):
        await std.search_by_image(Channel.WEIDIAN, image_id="img_unknown", page=1, page_size=5)
    with pytest.raises(BadRequest):
        await std.search_by_image(Channel.WEIDIAN, page=1, page_size=5)
    await std.aclose()

    assert by_id.items and by_id.region is not None
    assert [r.id for r in by_id.items] == [r.id for r in again.items]
    # The product showing the image comes first.
    assert by_url.items[0].source_id == "1872265566"
