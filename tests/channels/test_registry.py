"""ChannelRegistry: capabilities are found by protocol, and a missing one is a coded error."""

from __future__ import annotations

import pytest

from channels.base import ChannelRegistry, ShopListing
from channels.errors import CapabilityNotSupported
from channels.model import Channel
from channels.standard import StandardAdapter
from channels.tbk import TbkAdapter
from channels.top import TopAdapter


async def test_only_the_top_gateway_lists_a_shop() -> None:
    top = TopAdapter(app_key="k", app_secret="s", session="x")
    aggregator = StandardAdapter(base_url="http://aggregator/", token="t",
                                 channels=(Channel.TMALL, Channel.WEIDIAN))
    registry = ChannelRegistry([top, aggregator])
    try:
        lister = registry.shop_lister(Channel.TAOBAO)
        assert lister is top and isinstance(lister, ShopListing)
        assert lister.max_page_size == 200
        with pytest.raises(CapabilityNotSupported, match="needs the TOP gateway for TMALL"):
            registry.shop_lister(Channel.TMALL)      # served, but by the aggregator
        with pytest.raises(CapabilityNotSupported) as caught:
            registry.shop_lister(Channel.ALIBABA_1688)   # not configured at all
        assert caught.value.channel is Channel.ALIBABA_1688
    finally:
        await registry.aclose()


async def test_only_an_aggregator_lists_any_shop() -> None:
    top = TopAdapter(app_key="k", app_secret="s")
    tbk = TbkAdapter(top, adzone_id="mm_1_2_3")
    aggregator = StandardAdapter(base_url="http://aggregator/", token="t",
                                 channels=(Channel.WEIDIAN,))
    registry = ChannelRegistry([tbk, aggregator], searchers={Channel.TMALL: aggregator})
    try:
        assert registry.shop_searcher(Channel.WEIDIAN) is aggregator   # serves the channel
        assert registry.shop_searcher(Channel.TMALL) is aggregator     # searches it
        # The affiliate route alone: no method of it lists a given shop's items.
        with pytest.raises(CapabilityNotSupported, match="affiliate") as caught:
            registry.shop_searcher(Channel.TAOBAO)
        assert caught.value.code == "CAPABILITY_NOT_SUPPORTED"
        assert "PRODUCTGRAPH_STANDARD_URL" in caught.value.message
    finally:
        await registry.aclose()
