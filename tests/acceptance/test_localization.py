"""Acceptance: a product in English with converted prices, through ``productgraph serve``
over the sandbox, its machine translations from a LibreTranslate stand-in run as a real
uvicorn process on loopback (its calls counted at the stand-in)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from channels.glossary import has_chinese
from sandbox.catalog_1688 import OFFERS
from tests.processes import free_port, productgraph, running

#: Offers with SKUs (options to translate) and no 1688 translated subject.
OPTIONED = [f"1688_{n}" for n, o in OFFERS.items()
            if o.get("skuInfos") and not o.get("subjectTrans")]
PAGE = [f"1688_{n}" for n in list(OFFERS)[2:22]]
#: An optioned offer whose title no other test asks for (so it is not in the cache).
_ASKED = {OFFERS[int(i[5:])]["subject"] for i in [*PAGE, *OPTIONED[:2]]}
UNCACHED = next(i for i in OPTIONED if OFFERS[int(i[5:])]["subject"] not in _ASKED)
WITH_OWN_TRANSLATION = next(f"1688_{n}" for n, o in OFFERS.items() if o.get("subjectTrans"))

OFFER_QUERY = """query ($id: ID!) { product(id: $id) {
  id title { original translated }
  translation(language: "en") {
    title { original translated language source }
    options { name { original translated source } values { original translated source } }
  }
  variants { translation(language: "en") { selectedOptions {
    name { translated source } value { translated source } } } }
} }"""

PAGE_QUERY = """query ($ids: [ID!]!) { products(ids: $ids) {
  id translation(language: "en") { title { translated source }
    options { name { translated } values { translated } } }
} }"""


def stand_in(port: int) -> Any:
    return running([sys.executable, "-m", "uvicorn", "sandbox.libretranslate:app",
                    "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                   ready_url=f"http://127.0.0.1:{port}/languages")


def serve(port: int, env: dict[str, str]) -> Any:
    return running(productgraph("serve", "--port", str(port)), env=env,
                   ready_url=f"http://127.0.0.1:{port}/graphql", timeout_s=60)


@pytest.fixture(scope="module")
def libretranslate() -> Iterator[str]:
    port = free_port()
    with stand_in(port):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(libretranslate: str) -> Iterator[str]:
    port = free_port()
    env = {"PRODUCTGRAPH_TRANSLATION_PROVIDER": "libretranslate",
           "PRODUCTGRAPH_TRANSLATION_URL": libretranslate,
           "PRODUCTGRAPH_TRANSLATION_KEY": "sekrit-translation-key",
           "PRODUCTGRAPH_TRANSLATION_BATCH_SIZE": "50"}
    with serve(port, env):
        yield f"http://127.0.0.1:{port}/graphql"


def post(url: str, query: str, variables: dict[str, Any]) -> httpx.Response:
    return httpx.post(url, json={"query": query, "variables": variables}, timeout=30)


def stats(libretranslate: str) -> dict[str, Any]:
    return httpx.get(f"{libretranslate}/_stats").json()  # type: ignore[no-any-return]


def faults(libretranslate: str, **body: Any) -> None:
    httpx.post(f"{libretranslate}/_faults", json=body).raise_for_status()


def test_a_1688_offer_in_english_options_from_the_glossary_title_from_the_machine(
        server: str, libretranslate: str) -> None:
    body = post(server, OFFER_QUERY, {"id": OPTIONED[0]}).json()
    assert "errors" not in body, body
    product = body["data"]["product"]
    assert product["title"]["translated"] is None          # today's field: unchanged
    title = product["translation"]["title"]
    assert title["source"] == "MACHINE" and title["language"] == "en"
    assert title["translated"] == f"[en] {title['original']}"
    options = product["translation"]["options"]
    assert options
    for option in options:
        assert option["name"]["source"] == "GLOSSARY"
        assert not has_chinese(option["name"]["translated"])
        for value in option["values"]:
            assert value["source"] == "GLOSSARY", value
            assert not has_chinese(value["translated"])
    for variant in product["variants"]:
        for selected in variant["translation"]["selectedOptions"]:
            assert selected["name"]["source"] == selected["value"]["source"] == "GLOSSARY"


def test_the_marketplaces_own_translation_comes_first(server: str) -> None:
    body = post(server, OFFER_QUERY, {"id": WITH_OWN_TRANSLATION}).json()
    title = body["data"]["product"]["translation"]["title"]
    assert title["source"] == "MARKETPLACE"
    assert title["translated"] == OFFERS[int(WITH_OWN_TRANSLATION[5:])]["subjectTrans"]


def test_a_20_product_page_costs_one_provider_call_then_none(
        server: str, libretranslate: str) -> None:
    faults(libretranslate, reset=True)
    first = post(server, PAGE_QUERY, {"ids": PAGE}).json()
    assert "errors" not in first, first
    cold = stats(libretranslate)
    titles = [p["translation"]["title"] for p in first["data"]["products"]]
    needing_machine = sum(1 for t in titles if t["source"] == "MACHINE")
    assert needing_machine >= 15
    assert cold["calls"] == 1, cold                     # ≤ batch limit (50) texts: one call
    second = post(server, PAGE_QUERY, {"ids": PAGE}).json()
    assert second == first
    assert stats(libretranslate)["calls"] == 1          # warm: 0 provider calls


def test_the_provider_down_nulls_only_the_machine_texts_with_a_code(
        server: str, libretranslate: str) -> None:
    faults(libretranslate, status=503)
    try:
        response = post(server, OFFER_QUERY, {"id": UNCACHED})
    finally:
        faults(libretranslate, status=0)
    assert response.status_code == 200
    body = response.json()
    product = body["data"]["product"]
    assert product["id"] == UNCACHED
    assert product["translation"]["title"]["translated"] is None
    assert product["translation"]["title"]["original"]
    assert all(o["name"]["source"] == "GLOSSARY" for o in product["translation"]["options"])
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"TRANSLATION_UNAVAILABLE"}
    assert [e["path"] for e in body["errors"]] == [
        ["product", "translation", "title", "translated"]]
    assert "sekrit" not in response.text


def test_no_provider_configured_leaves_machine_text_untranslated_without_errors() -> None:
    port = free_port()
    with serve(port, {}):
        body = post(f"http://127.0.0.1:{port}/graphql", OFFER_QUERY,
                    {"id": OPTIONED[1]}).json()
    assert "errors" not in body
    translation = body["data"]["product"]["translation"]
    assert translation["title"]["translated"] is None
    assert translation["title"]["source"] is None
    assert all(o["name"]["source"] == "GLOSSARY" for o in translation["options"])


def test_prices_convert_to_the_cent_at_the_dated_ecb_rate(server: str) -> None:
    from channels.rates import bundled_table

    query = """query ($id: ID!) { product(id: $id) { price { display {
      amount currencyCode
      usd: converted(to: USD) { amount currencyCode rate rateDate rateSource sourceAmount }
      jpy: converted(to: JPY) { amount currencyCode rateDate } } } } }"""
    body = post(server, query, {"id": OPTIONED[0]}).json()
    assert "errors" not in body, body
    display = body["data"]["product"]["price"]["display"]
    assert display["currencyCode"] == "CNY"
    table = bundled_table()
    day = table.latest_date
    converter = table._converter
    usd_per_eur = Decimal(repr(converter.convert(1, "EUR", "USD", date=day)))
    cny_per_eur = Decimal(repr(converter.convert(1, "EUR", "CNY", date=day)))
    cny = Decimal(display["amount"])
    expected = (cny * usd_per_eur / cny_per_eur).quantize(Decimal("0.01"), ROUND_HALF_UP)
    usd = display["usd"]
    assert Decimal(usd["amount"]) == expected
    assert usd["rateDate"] == day.isoformat() and usd["rateSource"] == "ECB"
    assert usd["sourceAmount"] == display["amount"]
    jpy = display["jpy"]
    assert "." not in jpy["amount"]                       # whole yen
