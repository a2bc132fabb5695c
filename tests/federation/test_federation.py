"""productgraph as an Apollo Federation 2 subgraph, proven with Apollo's own tools.

Five real processes on loopback ports: the sandbox gateway (``productgraph sandbox``),
productgraph over it with the sandbox's real credentials, a second subgraph (reviews, Node,
``@apollo/subgraph``) that extends ``Product`` and ``Seller``, Apollo's composition
(``composeServices``) over both subgraphs' ``_service { sdl }``, and ``@apollo/gateway`` over
the supergraph it produced. Upstream calls are counted by the sandbox (``/_sandbox/stats``).

Needs Node 20 and ``npm ci`` in tests/federation (``.ci/test`` runs it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.catalog_top import (
    SEED_000_ITEM_ID,
    SEED_002_ITEM_ID,
    TOP_ITEMS,
    TRICKY_ITEM_IDS,
    is_tmall,
)
from tests.processes import free_port, productgraph, running, sandbox_env

HERE = Path(__file__).resolve().parent

SEED_TAOBAO = f"taobao_{SEED_000_ITEM_ID}"  # taobao_680123456789
SEED_1688 = "1688_584240750353"
DELISTED = "taobao_1"  # reviewed once, unknown to the marketplace now

# 100 plain Taobao items (no Tmall, none of the tricky or seed ones): two disjoint sets of 50
# shaped alike, so each cost measurement is cold even if a cache sits in front of upstreams.
PLAIN_TAOBAO = [f"taobao_{i}" for i in sorted(TOP_ITEMS)
                if not is_tmall(i) and i not in TRICKY_ITEM_IDS
                and i not in (SEED_000_ITEM_ID, SEED_002_ITEM_ID)][:100]
# The reviews subgraph ranks its products in this order (best rated first).
REVIEWED = [SEED_TAOBAO, SEED_1688, *PLAIN_TAOBAO, DELISTED]
VIA_GATEWAY = PLAIN_TAOBAO[:50]    # topRatedProducts(first: 50, offset: 2)
VIA_PRODUCTS = PLAIN_TAOBAO[50:]   # products(ids:)


@dataclass(frozen=True)
class Stack:
    sandbox: str
    productgraph: str
    reviews: str
    gateway: str
    composition: dict[str, Any]


def post(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = httpx.post(url, json={"query": query, "variables": variables or {}}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def node() -> str:
    binary = shutil.which("node")
    if binary is None:
        pytest.fail("node is not installed: the federation tests need Node 20")
    if not (HERE / "node_modules" / "@apollo" / "gateway").is_dir():
        pytest.fail("tests/federation has no node_modules: run `npm ci` in tests/federation")
    return binary


def compose(node_binary: str, subgraphs: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        [node_binary, "compose.mjs", *(f"{name}={url}" for name, url in subgraphs.items())],
        cwd=HERE, capture_output=True, timeout=120, check=False)
    try:
        return json.loads(result.stdout)  # type: ignore[no-any-return]
    except json.JSONDecodeError:
        pytest.fail(f"compose.mjs failed ({result.returncode}): {result.stderr.decode()[-2000:]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    node_binary = node()
    sandbox_port, graph_port, reviews_port, gateway_port = (free_port() for _ in range(4))
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    graph_url = f"http://127.0.0.1:{graph_port}/graphql"
    reviews_url = f"http://127.0.0.1:{reviews_port}/"
    gateway_url = f"http://127.0.0.1:{gateway_port}/"
    supergraph = tmp_path_factory.mktemp("federation") / "supergraph.graphql"

    with (
        running(productgraph("sandbox", "--port", str(sandbox_port)),
                ready_url=f"{sandbox_url}/_sandbox/stats"),
        running([sys.executable, "-m", "uvicorn", "graph.asgi:app", "--host", "127.0.0.1",
                 "--port", str(graph_port), "--log-level", "warning", "--no-access-log"],
                env=sandbox_env(sandbox_url), ready_url=f"http://127.0.0.1:{graph_port}/healthz"),
        running([node_binary, "reviews-subgraph.mjs"], cwd=HERE, ready_url=reviews_url,
                env={"PORT": str(reviews_port), "PRODUCT_IDS": ",".join(REVIEWED)}),
    ):
        composition = compose(node_binary, {"productgraph": graph_url, "reviews": reviews_url})
        supergraph.write_text(composition.get("supergraphSdl") or "", encoding="utf-8")
        if composition["errors"]:
            # The composition test reports them; nothing to start a gateway over.
            yield Stack(sandbox_url, graph_url, reviews_url, "", composition)
            return
        with running([node_binary, "gateway.mjs"], cwd=HERE, ready_url=gateway_url,
                     env={"PORT": str(gateway_port), "SUPERGRAPH": str(supergraph)}):
            yield Stack(sandbox_url, graph_url, reviews_url, gateway_url, composition)


def gateway(stack: Stack) -> str:
    if not stack.gateway:
        pytest.fail(f"composition failed: {stack.composition['errors']}")
    return stack.gateway


def upstream_calls(stack: Stack) -> dict[str, int]:
    return httpx.get(f"{stack.sandbox}/_sandbox/stats", timeout=10).json()["calls"]  # type: ignore[no-any-return]


def reset_upstream_calls(stack: Stack) -> None:
    httpx.post(f"{stack.sandbox}/_sandbox/reset", timeout=10).raise_for_status()


def test_composition_with_a_subgraph_extending_product_and_seller_has_no_errors(
        stack: Stack) -> None:
    assert stack.composition["errors"] == []
    sdl = stack.composition["supergraphSdl"]
    for entity in ("Product", "Seller"):
        block = sdl[sdl.index(f"type {entity}"):]
        header = block[:block.index("{")]
        assert 'join__type(graph: PRODUCTGRAPH, key: "id")' in header, header
        assert 'join__type(graph: REVIEWS, key: "id")' in header, header
    # LocalizedText is returned by both subgraphs: @shareable on both sides lets it compose.
    assert "join__type(graph: PRODUCTGRAPH)" in sdl[sdl.index("type LocalizedText"):][:200]


def test_a_product_query_reaches_into_the_other_subgraph(stack: Stack) -> None:
    query = """query($id: ID!) { product(id: $id) {
        id title { original } averageRating reviewCount
        reviews(first: 2) { rating body { translated } }
        seller { id name rating } } }"""
    for product_id in (SEED_TAOBAO, PLAIN_TAOBAO[0]):
        result = post(gateway(stack), query, {"id": product_id})
        assert "errors" not in result, result
        product = result["data"]["product"]

        own = post(stack.productgraph, "query($id: ID!) { product(id: $id) { title { original }"
                   " seller { id name } } }", {"id": product_id})["data"]["product"]
        seller_id = own["seller"]["id"]
        theirs = post(stack.reviews, """query($r: [_Any!]!) { _entities(representations: $r) {
            ... on Product { averageRating reviewCount } ... on Seller { rating } } }""",
                      {"r": [{"__typename": "Product", "id": product_id},
                             {"__typename": "Seller", "id": seller_id}]})["data"]["_entities"]

        assert product["id"] == product_id
        assert product["title"] == own["title"]  # from productgraph
        assert product["averageRating"] == theirs[0]["averageRating"]  # from reviews
        assert product["reviewCount"] == 3
        assert [r["body"]["translated"] for r in product["reviews"]] == [
            "Good, review 1", "Good, review 2"]
        assert product["seller"] == {"id": seller_id, "name": own["seller"]["name"],
                                     "rating": theirs[1]["rating"]}


def test_the_other_subgraphs_root_field_reaches_back_into_product_fields(stack: Stack) -> None:
    result = post(gateway(stack), """{ topRatedProducts(first: 2) {
        id reviewCount title { original } variants { skuId } } }""")
    assert "errors" not in result, result
    products = result["data"]["topRatedProducts"]

    own = post(stack.productgraph, """query($ids: [ID!]!) { products(ids: $ids) {
        id title { original } variants { skuId } } }""", {"ids": [SEED_TAOBAO, SEED_1688]})

    assert [p["id"] for p in products] == [SEED_TAOBAO, SEED_1688]
    assert [p["reviewCount"] for p in products] == [3, 3]
    assert [{k: p[k] for k in ("id", "title", "variants")} for p in products] == \
        own["data"]["products"]
    assert products[0]["title"]["original"] == "2026 Summer New Casual Cotton Short Sleeve T-shirt"
    assert all(p["variants"] for p in products)


def test_fifty_references_cost_the_upstream_batches_of_products_ids(stack: Stack) -> None:
    selection = "id title { original } variants { skuId }"
    top_rated = "{ topRatedProducts(first: 50, offset: 2) { " + selection + " } }"
    products_by_ids = "query($ids: [ID!]!) { products(ids: $ids) { " + selection + " } }"

    reset_upstream_calls(stack)
    federated = post(gateway(stack), top_rated)
    federated_calls = upstream_calls(stack)

    reset_upstream_calls(stack)
    direct = post(stack.productgraph, products_by_ids, {"ids": VIA_PRODUCTS})
    direct_calls = upstream_calls(stack)

    assert "errors" not in federated and "errors" not in direct, (federated, direct)
    assert not set(VIA_GATEWAY) & set(VIA_PRODUCTS)  # both measurements cold
    # The gateway's 50 products are productgraph's own answer for those ids.
    products = federated["data"]["topRatedProducts"]
    own = post(stack.productgraph, products_by_ids, {"ids": VIA_GATEWAY})["data"]["products"]
    assert products == own
    assert all(p["title"]["original"] for p in products)
    assert sum(len(p["variants"]) for p in products) > 50

    print(f"\n50 references through the gateway: {federated_calls}"
          f"\nproducts(ids:) with 50 ids:       {direct_calls}")
    assert federated_calls == direct_calls
    # Batched: Taobao's batch method takes 20 ids, so 50 products are 3 calls, not 50.
    assert sum(federated_calls.values()) <= 3, federated_calls


def test_an_unknown_id_is_null_with_a_code_and_its_neighbours_resolve(stack: Stack) -> None:
    # Through the gateway: the reviews subgraph still holds a delisted product.
    result = post(gateway(stack), """{ topRatedProducts(first: 3, offset: 100) {
        id title { original } } }""")
    products = result["data"]["topRatedProducts"]
    assert [p and p["id"] for p in products] == [PLAIN_TAOBAO[98], PLAIN_TAOBAO[99], None]
    assert all(p["title"]["original"] for p in products[:2])
    assert any(e.get("extensions", {}).get("code") == "NOT_FOUND" for e in result["errors"]), \
        result["errors"]

    # Directly against productgraph's _entities, as the gateway calls it.
    entities = post(stack.productgraph, """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Product { id title { original } } } }""", {"r": [
        {"__typename": "Product", "id": SEED_TAOBAO},
        {"__typename": "Product", "id": DELISTED},
        {"__typename": "Product", "id": "nope"},
        {"__typename": "Review", "id": "review_1"},
        {"__typename": "Product", "id": SEED_1688},
    ]})
    data = entities["data"]["_entities"]
    assert [d and d["id"] for d in data] == [SEED_TAOBAO, None, None, None, SEED_1688]
    codes = {e["path"][1]: e["extensions"]["code"] for e in entities["errors"]}
    assert codes == {1: "NOT_FOUND", 2: "INVALID_ID", 3: "INVALID_REPRESENTATION"}
