"""What translating a 20-product listing page into English costs, cold and warm.

    python -m bench.translation [--latency-ms 100] [--repeat 5] [--json]

Starts the LibreTranslate stand-in (``sandbox/libretranslate.py``) under uvicorn as its own
process on a loopback port, with ``--latency-ms`` added to each of its answers, and points
an in-process productgraph (over the in-process sandbox marketplaces) at it. A page is
``search(channel: ALIBABA_1688, first: 20)`` with each card's English title, option names
and values and a USD price. For the cold page (empty translation cache) and then the same
page again (warm) it prints the calls counted at the stand-in, the texts they carried, and
the wall time; then ``--repeat`` more warm pages (0 calls expected). The marketplace side
is warm before the cold translation page, so the figures are translation's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

import httpx

from graph.app import create_app
from graph.settings import Settings
from sandbox.process import free_port, running

PAGE = """query ($language: String!) {
  search(channel: ALIBABA_1688, first: 20) { edges { node {
    id price { display { amount converted(to: USD) { amount rate rateDate } } }
    translation(language: $language) { title { translated source }
      options { name { translated source } values { translated source } } }
  } } }
}"""
MARKET_ONLY = """{ search(channel: ALIBABA_1688, first: 20) { edges { node {
  id title { original } price { display { amount } } options { name values { name } } } } } }"""


async def page(http: httpx.AsyncClient, query: str, language: str = "en") -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query,
                                                 "variables": {"language": language}})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(f"the page answered errors: {body['errors'][:2]}")
    return body


def stand_in_stats(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/_stats").json()  # type: ignore[no-any-return]


async def measure(libretranslate: str, repeat: int) -> dict[str, Any]:
    settings = Settings.from_env({"PRODUCTGRAPH_TRANSLATION_PROVIDER": "libretranslate",
                                  "PRODUCTGRAPH_TRANSLATION_URL": libretranslate})
    app = create_app(settings)
    result: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://productgraph.bench", timeout=60) as http:
        await page(http, MARKET_ONLY)                  # the marketplace side, cached
        for label in ("cold", "warm"):
            before = stand_in_stats(libretranslate)
            started = time.perf_counter()
            body = await page(http, PAGE)
            wall = time.perf_counter() - started
            after = stand_in_stats(libretranslate)
            nodes = [e["node"] for e in body["data"]["search"]["edges"]]
            sources: dict[str, int] = {}
            for node in nodes:
                texts = [node["translation"]["title"]] + [
                    t for o in node["translation"]["options"]
                    for t in (o["name"], *o["values"])]
                for text in texts:
                    sources[str(text["source"])] = sources.get(str(text["source"]), 0) + 1
            result[label] = {"products": len(nodes), "provider_calls":
                             after["calls"] - before["calls"],
                             "texts_sent": after["texts"] - before["texts"],
                             "wall_ms": round(wall * 1000, 1), "sources": sources}
        before = stand_in_stats(libretranslate)
        started = time.perf_counter()
        for _ in range(repeat):
            await page(http, PAGE)
        result["warm_repeat"] = {
            "pages": repeat, "provider_calls": stand_in_stats(libretranslate)["calls"]
            - before["calls"],
            "mean_wall_ms": round((time.perf_counter() - started) * 1000 / max(1, repeat), 1)}
    await app.state.localization.aclose()
    await app.state.registry.aclose()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0,
                        help="latency the stand-in adds to each answer (default 100)")
    parser.add_argument("--repeat", type=int, default=5, help="warm pages after the first")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "-m", "uvicorn", "sandbox.libretranslate:app", "--host",
                  "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                 ready_url=f"{url}/languages"):
        httpx.post(f"{url}/_faults", json={"delay_s": args.latency_ms / 1000}) \
            .raise_for_status()
        result = asyncio.run(measure(url, args.repeat))
    result["latency_ms"] = args.latency_ms
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"LibreTranslate stand-in latency {args.latency_ms:g} ms; a 20-product search page "
          "in English (title, option names and values) with USD prices")
    for label in ("cold", "warm"):
        r = result[label]
        print(f"  {label}: {r['products']} products, {r['provider_calls']} provider calls "
              f"({r['texts_sent']} texts), {r['wall_ms']} ms; sources {r['sources']}")
    w = result["warm_repeat"]
    print(f"  {w['pages']} more warm pages: {w['provider_calls']} provider calls, "
          f"{w['mean_wall_ms']} ms a page")


if __name__ == "__main__":
    main()
