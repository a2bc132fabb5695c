"""``productByText`` answers a Tmall item named by a 淘口令 as ``tmall_<id>``: the affiliate
``taobao.tbk.tpwd.convert`` answers a bare ``num_iid``; the item's ``user_type`` 1 says
Tmall. In process, over the sandbox, with the affiliate route."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.catalog_top import TOP_ITEMS, is_tmall
from sandbox.tbk import tpwd_code
from tests.conftest import GraphQLClient, serve_app

BY_TEXT = "query ($t: String!) { productByText(text: $t) { id sourceUrl } }"
TMALL = next(n for n in sorted(TOP_ITEMS) if is_tmall(n))
TAOBAO = next(n for n in sorted(TOP_ITEMS) if not is_tmall(n))


@pytest.fixture
async def affiliate() -> AsyncIterator[GraphQLClient]:
    async with serve_app({"PRODUCTGRAPH_TAOBAO_ITEM_SOURCE": "affiliate"}) as client:
        yield client


async def test_a_tmall_tpwd_answers_a_tmall_product(affiliate: GraphQLClient) -> None:
    affiliate.sandbox.calls.clear()
    share = f"【天猫】好物 复制这段描述￥{tpwd_code(TMALL)}￥后到淘♂寳♀"
    answer = await affiliate.execute(BY_TEXT, {"t": share})
    assert "errors" not in answer, answer
    assert answer["data"]["productByText"] == {
        "id": f"tmall_{TMALL}", "sourceUrl": f"https://detail.tmall.com/item.htm?id={TMALL}"}
    # The code and the item: no call more than resolving and loading it costs.
    assert dict(affiliate.sandbox.calls) == {"taobao.tbk.tpwd.convert": 1,
                                             "taobao.tbk.item.info.get": 1}


async def test_a_taobao_tpwd_stays_taobao(affiliate: GraphQLClient) -> None:
    answer = await affiliate.execute(
        "query ($t: String!) { productByText(text: $t) { id } }", {"t": f"€{tpwd_code(TAOBAO)}€"})
    assert answer["data"]["productByText"] == {"id": f"taobao_{TAOBAO}"}


async def test_a_pasted_taobao_link_is_not_relabelled(affiliate: GraphQLClient) -> None:
    # The user named the page: productByText answers what the link says, without a lookup.
    answer = await affiliate.execute(
        BY_TEXT, {"t": f"https://item.taobao.com/item.htm?id={TMALL}"})
    assert answer["data"]["productByText"]["id"] == f"taobao_{TMALL}"
