"""Acceptance (issue 16): ``productgraph serve`` over a ``productgraph sandbox`` process with
affiliate credentials only, then with an aggregator too; ``productByText`` for share texts,
淘口令, short links (the sandbox's ``/h.<code>`` standing in for m.tb.cn on loopback) and
agent links. Upstream calls are counted at the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from sandbox.catalog_top import TOP_ITEMS, is_tmall
from sandbox.credentials import STANDARD_TOKEN
from sandbox.tbk import tpwd_code
from tests.acceptance.test_share_agents import AGENT_LINKS
from tests.processes import free_port, productgraph, running, sandbox_env

IDS = [f"taobao_{n}" for n in sorted(TOP_ITEMS) if not is_tmall(n)][:40]
CORE = """query ($ids: [ID!]!) { products(ids: $ids) {
  id title { original } price { display { amount } original { amount } final { amount } }
  images { url } sources { part source } } }"""
WITH_VARIANTS = """query ($ids: [ID!]!) { products(ids: $ids) {
  id title { original } variants { skuId } sources { part source } } }"""
BY_TEXT = "query ($t: String!) { productByText(text: $t) { id title { original } } }"


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(productgraph("sandbox", "--port", str(port)), ready_url=url + "/_sandbox/stats"):
        yield url


def affiliate_env(sandbox_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in sandbox_env(sandbox_url).items()
           if k != "PRODUCTGRAPH_TAOBAO_SESSION"}
    port = sandbox_url.rsplit(":", 1)[1]
    return {**env, "PRODUCTGRAPH_TAOBAO_ITEM_SOURCE": "affiliate",
            "PRODUCTGRAPH_SHORT_LINK_DNS": f"m.tb.cn=127.0.0.1:{port}",
            "PRODUCTGRAPH_SHORT_LINK_ALLOW_LOOPBACK": "true", **extra}


def calls(sandbox_url: str) -> dict[str, int]:
    return httpx.get(sandbox_url + "/_sandbox/stats").json()["calls"]  # type: ignore[no-any-return]


def reset(sandbox_url: str) -> None:
    httpx.post(sandbox_url + "/_sandbox/reset")


def graphql(server: str, query: str, variables: dict | None = None) -> dict:  # type: ignore[type-arg]
    response = httpx.post(server + "/graphql", json={"query": query, "variables": variables},
                          timeout=30)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def affiliate_server(sandbox_url: str) -> Iterator[str]:
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    with running(productgraph("serve", "--port", str(port)), ready_url=server + "/healthz",
                 env=affiliate_env(sandbox_url)):
        yield server


def test_forty_items_cost_one_affiliate_call(sandbox_url: str, affiliate_server: str) -> None:
    reset(sandbox_url)
    result = graphql(affiliate_server, CORE, {"ids": IDS})
    assert "errors" not in result, result
    for product in result["data"]["products"]:
        item = TOP_ITEMS[int(product["id"].removeprefix("taobao_"))]
        assert product["title"]["original"] == item["title"]
        original = product["price"]["original"]
        assert (original or product["price"]["display"])["amount"] == item["price"]
        assert product["price"]["final"] is not None and product["images"]
        assert {s["source"] for s in product["sources"]} == {"AFFILIATE_API"}
    assert calls(sandbox_url) == {"taobao.tbk.item.info.get": 1}


@pytest.fixture(scope="module")
def aggregator_server(sandbox_url: str) -> Iterator[str]:
    """Affiliate credentials and a standard-model aggregator."""
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    env = affiliate_env(sandbox_url, PRODUCTGRAPH_STANDARD_URL=sandbox_url + "/standard",
                        PRODUCTGRAPH_STANDARD_TOKEN=STANDARD_TOKEN)
    with running(productgraph("serve", "--port", str(port)), ready_url=server + "/healthz",
                 env=env):
        yield server


def test_with_an_aggregator_variants_add_its_calls(sandbox_url: str,
                                                   aggregator_server: str) -> None:
    server = aggregator_server
    reset(sandbox_url)
    assert "errors" not in graphql(server, CORE, {"ids": IDS})
    assert calls(sandbox_url) == {"taobao.tbk.item.info.get": 1}
    reset(sandbox_url)
    ids = IDS[10:30]
    result = graphql(server, WITH_VARIANTS, {"ids": ids})
    assert "errors" not in result, result
    for product in result["data"]["products"]:
        item = TOP_ITEMS[int(product["id"].removeprefix("taobao_"))]
        assert {v["skuId"] for v in product["variants"]} == \
            {str(s["sku_id"]) for s in item.get("skus") or []}
        sources = {s["part"]: s["source"] for s in product["sources"]}
        assert sources["CORE"] == "AFFILIATE_API"
        assert sources["VARIANTS"] == "AGGREGATOR"
    # CORE is cached from the first query: the SKUs cost exactly one aggregator call per
    # item; nothing else.
    assert calls(sandbox_url) == {"standard.products/detail": len(ids)}


SELLER_PRODUCTS = """query ($s: ID!) { sellerProducts(sellerId: $s, first: 100) {
  totalCount edges { node { id title { original } } } } }"""


def test_any_shop_needs_a_route_that_lists_one(sandbox_url: str,
                                               affiliate_server: str) -> None:
    # Affiliate credentials only: no affiliate method lists a given shop's items.
    reset(sandbox_url)
    answer = graphql(affiliate_server, SELLER_PRODUCTS, {"s": "taobao_shop_1234567"})
    assert answer["data"] is None or answer["data"]["sellerProducts"] is None
    assert answer["errors"][0]["extensions"]["code"] == "CAPABILITY_NOT_SUPPORTED"
    assert answer["errors"][0]["extensions"]["argument"] == "sellerId"
    assert calls(sandbox_url) == {}


def test_any_shop_through_the_aggregator(sandbox_url: str, aggregator_server: str) -> None:
    # The shop of an item the affiliate API answered (its numeric seller_id) is listed by
    # the aggregator's search by shop: one call for the page.
    n = sorted(TOP_ITEMS)[5]
    seller = graphql(aggregator_server, f'{{ product(id: "taobao_{n}") {{ seller {{ id }} }} }}'
                     )["data"]["product"]["seller"]["id"]
    reset(sandbox_url)
    answer = graphql(aggregator_server, SELLER_PRODUCTS, {"s": seller})
    assert "errors" not in answer, answer
    nick = TOP_ITEMS[n]["nick"]
    shop = {f"taobao_{m}" for m, item in TOP_ITEMS.items() if item["nick"] == nick}
    edges = answer["data"]["sellerProducts"]["edges"]
    assert {e["node"]["id"] for e in edges} == shop
    assert answer["data"]["sellerProducts"]["totalCount"] == len(shop)
    assert calls(sandbox_url) == {"standard.products/search-by-shop": 1}


def test_share_text_and_tpwd(sandbox_url: str, affiliate_server: str) -> None:
    reset(sandbox_url)
    n = sorted(TOP_ITEMS)[30]
    share = (f"【淘宝】好物 https://m.tb.cn/h.{tpwd_code(n)}?tk=x CZ0001 「好物」点击链接直接打开"
             f" 或者 復制这段描述￥{tpwd_code(n)}￥后到淘♂寳♀")
    for text in (share, f"₤{tpwd_code(n)}₤", "复制这段描述￥AbCd1234￥后到淘♂寳"):
        answer = graphql(affiliate_server, BY_TEXT, {"t": text})
        assert "errors" not in answer, answer
    assert graphql(affiliate_server, BY_TEXT, {"t": share})["data"]["productByText"]["id"] \
        == f"taobao_{n}"
    # Two codes: the share text and the bare code are one code, answered once (cached).
    assert calls(sandbox_url)["taobao.tbk.tpwd.convert"] == 2


def test_an_m_tb_cn_short_link(sandbox_url: str, affiliate_server: str) -> None:
    n = sorted(TOP_ITEMS)[31]
    reset(sandbox_url)
    answer = graphql(affiliate_server, BY_TEXT, {"t": f"http://m.tb.cn/h.{tpwd_code(n)}"})
    assert "errors" not in answer, answer
    assert answer["data"]["productByText"]["id"].endswith(f"_{n}")
    assert calls(sandbox_url)["short-link"] == 1


def test_a_short_link_to_a_taobao_page_of_a_tmall_item(sandbox_url: str,
                                                       affiliate_server: str) -> None:
    # A short link that lands on item.taobao.com: the affiliate answer (user_type 1) says
    # the item is a Tmall one, and productByText answers it so.
    n = next(n for n in sorted(TOP_ITEMS) if is_tmall(n))
    page = f"https://item.taobao.com/item.htm?id={n}"
    link = "http://m.tb.cn/_sandbox/redirect?to=" + quote(page, safe="")
    reset(sandbox_url)
    answer = graphql(affiliate_server, BY_TEXT, {"t": link})
    assert "errors" not in answer, answer
    assert answer["data"]["productByText"]["id"] == f"tmall_{n}"
    assert calls(sandbox_url) == {"short-link": 1, "taobao.tbk.item.info.get": 1}


@pytest.mark.parametrize("to", [
    "https://evil.example/item.htm?id=1", "http://10.0.0.1/", "http://169.254.169.254/",
    "http://127.0.0.1/h.x",
    "http://m.tb.cn/_sandbox/redirect?to=" + quote("http://m.tb.cn/_sandbox/redirect", safe=""),
])
def test_refused_short_links(sandbox_url: str, affiliate_server: str, to: str) -> None:
    reset(sandbox_url)
    link = "http://m.tb.cn/_sandbox/redirect?to=" + quote(to, safe="")
    answer = graphql(affiliate_server, BY_TEXT, {"t": link})
    assert answer["data"]["productByText"] is None
    assert answer["errors"][0]["extensions"]["code"] == "UNSUPPORTED_URL"
    assert set(calls(sandbox_url)) == {"short-link"}


@pytest.mark.parametrize("agent", sorted(AGENT_LINKS))
def test_agent_links(sandbox_url: str, affiliate_server: str, agent: str) -> None:
    url, expected = AGENT_LINKS[agent]
    answer = graphql(affiliate_server, "query ($t: String!) { productByText(text: $t) { id } }",
                     {"t": url})
    assert "errors" not in answer, answer
    assert answer["data"]["productByText"]["id"] == expected


def test_unsupported_text_costs_nothing(sandbox_url: str, affiliate_server: str) -> None:
    reset(sandbox_url)
    for text in ("hello", "https://evil.example/h.abc", "https://item.jd.com/100012.html",
                 "x" * 2001):
        answer = graphql(affiliate_server, BY_TEXT, {"t": text})
        assert answer["data"]["productByText"] is None
        assert answer["errors"][0]["extensions"]["code"] in ("UNSUPPORTED_URL",
                                                             "BAD_USER_INPUT")
    assert calls(sandbox_url) == {}
