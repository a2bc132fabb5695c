"""Both 1688 adapters end to end against the sandbox gateway, in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette

from channels.alibaba import Alibaba1688AggregatorAdapter, Alibaba1688OpenAdapter
from channels.base import ChannelAdapter
from channels.errors import (
    InvalidId,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    UpstreamError,
    UpstreamTimeout,
)
from channels.model import Channel, Part, ProductRecord
from sandbox import credentials as sandbox
from sandbox.app import create_sandbox_app
from sandbox.catalog_1688 import OFFERS

C = Channel.ALIBABA_1688
ALL = frozenset(Part)
WRONG_SECRET = "not-the-sandbox-secret-9f2c"
WRONG_TOKEN = "not-the-sandbox-token-77aa"


@pytest.fixture
def app() -> Starlette:
    return create_sandbox_app()


def open_adapter(app: Starlette, **overrides: str) -> Alibaba1688OpenAdapter:
    options = {"app_key": sandbox.AOP_APP_KEY, "app_secret": sandbox.AOP_APP_SECRET,
               "access_token": sandbox.AOP_ACCESS_TOKEN, **overrides}
    return Alibaba1688OpenAdapter(**options, gateway_url="http://sandbox" + sandbox.AOP_PATH,
                                  transport=httpx.ASGITransport(app=app))


def aggregator_adapter(app: Starlette, token: str = sandbox.AGGREGATOR_1688_TOKEN,
                       shop_id: str | None = sandbox.AGGREGATOR_1688_SHOP_ID,
                       ) -> Alibaba1688AggregatorAdapter:
    return Alibaba1688AggregatorAdapter(
        url="http://sandbox" + sandbox.AGGREGATOR_1688_PATH, token=token, shop_id=shop_id,
        transport=httpx.ASGITransport(app=app))


@pytest.fixture(params=["open", "aggregator"])
async def adapter(request: pytest.FixtureRequest, app: Starlette,
                  ) -> AsyncIterator[ChannelAdapter]:
    built = open_adapter(app) if request.param == "open" else aggregator_adapter(app)
    yield built
    await built.aclose()


async def test_protocol_and_limits(adapter: ChannelAdapter) -> None:
    assert isinstance(adapter, ChannelAdapter)
    assert adapter.channels == (C,) and adapter.batch_limit == 1
    assert adapter.parts_per_call == ALL - {Part.CATALOG}
    assert adapter.validate_source_id(C, "00584240750353") == "584240750353"
    with pytest.raises(InvalidId):
        adapter.validate_source_id(C, "58424x")


async def test_seed_offers_and_unknown_offer_in_one_fetch(adapter: ChannelAdapter) -> None:
    results = await adapter.fetch(C, ["584240750353", "554456348334", "1"], ALL)
    seed004 = results["584240750353"]
    assert isinstance(seed004, ProductRecord) and seed004.core is not None
    assert [(t.min_quantity, t.price) for t in seed004.core.price_tiers] == [
        (3, Decimal(23)), (50, Decimal(22)), (500, Decimal(21))]
    assert seed004.variants is not None
    assert seed004.variants.variants[0].sku_id == "8ee78ffbdcb30c53861739e60be04325"
    assert Part.CATALOG in seed004.empty_parts
    seed003 = results["554456348334"]
    assert isinstance(seed003, ProductRecord) and seed003.core is not None
    assert (seed003.core.price.display, seed003.core.price.promotion) == (
        Decimal("29.9"), Decimal("24.9"))
    missing = results["1"]
    assert isinstance(missing, NotFound) and missing.channel is C


async def test_both_transports_agree_on_every_offer(app: Starlette) -> None:
    official, aggregator = open_adapter(app), aggregator_adapter(app)
    ids = [str(offer_id) for offer_id in OFFERS]
    assert await official.fetch(C, ids, ALL) == await aggregator.fetch(C, ids, ALL)
    stats = app.state.sandbox.stats()["calls"]
    assert stats["alibaba.product.get"] == len(ids) == stats["1688get-commodity"]


async def test_wrong_secret_is_unauthenticated_without_the_secret(app: Starlette) -> None:
    error = (await open_adapter(app, app_secret=WRONG_SECRET).fetch(C, ["584240750353"], ALL))[
        "584240750353"]
    assert isinstance(error, Unauthenticated)
    assert error.upstream_code == "gw.SignatureInvalid" and error.request_id
    for text in (error.message, repr(error), str(error), str(error.extensions())):
        assert WRONG_SECRET not in text and sandbox.AOP_ACCESS_TOKEN not in text


async def test_wrong_access_token_is_unauthenticated(app: Starlette) -> None:
    error = (await open_adapter(app, access_token=WRONG_TOKEN).fetch(C, ["584240750353"], ALL))[
        "584240750353"]
    assert isinstance(error, Unauthenticated) and error.upstream_code == "401"
    assert WRONG_TOKEN not in error.message and WRONG_TOKEN not in repr(error)


async def test_unknown_app_key_is_unauthenticated(app: Starlette) -> None:
    error = (await open_adapter(app, app_key="7654321").fetch(C, ["584240750353"], ALL))[
        "584240750353"]
    assert isinstance(error, Unauthenticated) and error.upstream_code == "gw.AppKeyNotFound"


async def test_wrong_bearer_token_is_unauthenticated(app: Starlette) -> None:
    adapter = aggregator_adapter(app, token=WRONG_TOKEN)
    error = (await adapter.fetch(C, ["584240750353"], ALL))["584240750353"]
    assert isinstance(error, Unauthenticated) and error.upstream_code == "302"
    assert WRONG_TOKEN not in error.message and WRONG_TOKEN not in repr(error)
    assert WRONG_TOKEN not in repr(adapter)


async def test_aggregator_without_shop_id_still_works(app: Starlette) -> None:
    result = (await aggregator_adapter(app, shop_id=None).fetch(C, ["584240750353"], ALL))[
        "584240750353"]
    assert isinstance(result, ProductRecord)


async def test_acl_decline_reaches_the_user_as_forbidden(app: Starlette) -> None:
    # The sandbox app may not call alibaba.cross.productInfo: a correctly signed call
    # with a valid token gets the gateway's ACL answer, which the table maps.
    from channels.alibaba import aop_gateway_error, aop_sign, parse_json

    path = f"param2/1/com.alibaba.product/alibaba.cross.productInfo/{sandbox.AOP_APP_KEY}"
    form = {"productId": "584240750353", "access_token": sandbox.AOP_ACCESS_TOKEN}
    form["_aop_signature"] = aop_sign(path, form, sandbox.AOP_APP_SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sandbox/openapi/") as client:
        response = await client.post(path, data=form)
    error = aop_gateway_error(response.status_code, parse_json(response.content), offer_id="1")
    assert isinstance(error, PermissionDenied) and error.upstream_code == "gw.APIACLDecline"


async def test_injected_failures_are_retryable(app: Starlette) -> None:
    app.state.sandbox.faults.fail_rate = 1.0
    for adapter in (open_adapter(app), aggregator_adapter(app)):
        error = (await adapter.fetch(C, ["584240750353"], ALL))["584240750353"]
        assert isinstance(error, (UpstreamError, UpstreamTimeout)) and error.retryable


async def test_garbage_body_is_a_retryable_upstream_error(app: Starlette) -> None:
    app.state.sandbox.faults.garbage_rate = 1.0
    for adapter in (open_adapter(app), aggregator_adapter(app)):
        error = (await adapter.fetch(C, ["584240750353"], ALL))["584240750353"]
        assert isinstance(error, UpstreamError) and error.retryable


async def test_fan_out_respects_concurrency(app: Starlette) -> None:
    app.state.sandbox.faults.latency_ms = 20
    adapter = Alibaba1688AggregatorAdapter(
        url="http://sandbox" + sandbox.AGGREGATOR_1688_PATH, token=sandbox.AGGREGATOR_1688_TOKEN,
        transport=httpx.ASGITransport(app=app), concurrency=2)
    in_flight = peak = 0
    original = adapter.client.request

    async def counting(*args: object, **kwargs: object) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            in_flight -= 1

    adapter.client.request = counting  # type: ignore[method-assign]
    ids = [str(offer_id) for offer_id in list(OFFERS)[:8]]
    results = await adapter.fetch(C, ids, ALL)
    assert list(results) == ids and all(isinstance(r, ProductRecord) for r in results.values())
    assert peak == 2
