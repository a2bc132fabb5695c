"""Acceptance: ``productgraph sandbox`` as its own process on a loopback port, and
``productgraph serve`` pointed at it with real credentials, exactly as a deployment points
the server at the real gateways."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.catalog_top import TOP_ITEMS, is_tmall
from tests.processes import free_port, productgraph, running, sandbox_env

IDS = [f"taobao_{n}" for n in sorted(TOP_ITEMS) if not is_tmall(n)][:25]
QUERY = """query ($ids: [ID!]!) {
  products(ids: $ids) { id title { original } price { display { amount } }
                        variants { skuId stock } }
}"""


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(productgraph("sandbox", "--port", str(port)), ready_url=url + "/_sandbox/stats"):
        yield url


def stats(sandbox_url: str) -> dict:  # type: ignore[type-arg]
    return httpx.get(sandbox_url + "/_sandbox/stats").json()  # type: ignore[no-any-return]


def reset(sandbox_url: str) -> None:
    httpx.post(sandbox_url + "/_sandbox/reset")


def graphql(server: str, query: str, variables: dict | None = None) -> dict:  # type: ignore[type-arg]
    response = httpx.post(server + "/graphql", json={"query": query, "variables": variables},
                          timeout=30)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
@pytest.mark.parametrize("batch_method", ["taobao.items.seller.list.get", ""])
def test_25_products_through_a_real_gateway_process(
        sandbox_url: str, sign_method: str, batch_method: str) -> None:
    port = free_port()
    env = {**sandbox_env(sandbox_url), "PRODUCTGRAPH_TAOBAO_SIGN_METHOD": sign_method,
           "PRODUCTGRAPH_TAOBAO_BATCH_METHOD": batch_method}
    server = f"http://127.0.0.1:{port}"
    with running(productgraph("serve", "--port", str(port)), ready_url=server + "/healthz",
                 env=env):
        reset(sandbox_url)
        result = graphql(server, QUERY, {"ids": IDS})
        assert "errors" not in result, result["errors"]
        products = result["data"]["products"]
        assert [p["id"] for p in products] == IDS
        for product in products:
            item = TOP_ITEMS[int(product["id"].removeprefix("taobao_"))]
            assert product["title"]["original"] == item["title"]
            skus = item.get("skus", {}).get("sku", []) if isinstance(item.get("skus"), dict) \
                else item.get("skus") or []
            assert {v["skuId"] for v in product["variants"]} == {str(s["sku_id"]) for s in skus}
        calls = stats(sandbox_url)["calls"]
        if batch_method:
            assert calls == {batch_method: 2}
        else:
            assert calls == {"taobao.item.seller.get": 25}

        reset(sandbox_url)
        result = graphql(server, '{ product(id: "taobao_999999999991") { id } p: product('
                                 'id: "taobao_680123456789") { id title { original } } }')
        assert result["data"]["product"] is None
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert result["data"]["p"]["title"]["original"].startswith("2026 Summer")
        fields = {f for params in stats(sandbox_url)["lastParams"].values()
                  for f in params.get("fields", "").split(",")}
        assert "title" in fields and not fields & {"sku", "item_img", "prop_img", "desc"}


def test_wrong_secrets_are_unauthenticated_and_never_shown(sandbox_url: str) -> None:
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    env = {**sandbox_env(sandbox_url), "PRODUCTGRAPH_TAOBAO_APP_SECRET": "not-the-secret-XYZ",
           "PRODUCTGRAPH_1688_APP_SECRET": "wrong-1688-secret-QRS"}
    with running(productgraph("serve", "--port", str(port)), ready_url=server + "/healthz",
                 env=env) as process:
        result = graphql(server, '{ t: product(id: "taobao_680123456789") { id } '
                                 'a: product(id: "1688_584240750353") { id } }')
        codes = {e["path"][0]: e["extensions"] for e in result["errors"]}
        assert codes["t"]["code"] == "UNAUTHENTICATED"
        assert codes["t"]["upstreamCode"] == "25"
        assert codes["a"]["code"] == "UNAUTHENTICATED"
        assert "gw.SignatureInvalid" in str(codes["a"])
        body = str(result)
        assert "not-the-secret-XYZ" not in body and "wrong-1688-secret-QRS" not in body
    log = process.stdout.read().decode() if process.stdout and not process.stdout.closed else ""
    assert "not-the-secret-XYZ" not in log and "wrong-1688-secret-QRS" not in log
