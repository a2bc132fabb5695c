"""Prices and stock that change: the sandbox side of the watch feed.

``CatalogDrift`` holds, per item, a price and a stock that override the bundled catalog's
in every answer (TOP items, 1688 offers, Weidian items), and counts how often each item
was served — the upstream calls one watched product costs. Set an item now with
``POST /_sandbox/items/{id}`` (``{"price": "59.00", "stock": 3}``), or let chosen items
drift: ``productgraph sandbox --drift <ids|all> --drift-interval 5`` moves each one's
price by up to ±5 % and its stock by a few units every interval.

The catalogs themselves are never modified: one process may hold several sandboxes (the
tests' in-process ones), each with its own drift.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox import catalog_1688, catalog_top, catalog_weidian

CENT = Decimal("0.01")
PREFIXES = ("taobao_", "tmall_", "1688_", "weidian_")


def source_id_of(item_id: str) -> str:
    """``taobao_680123456789`` → ``680123456789``; a bare source id stays as it is."""
    for prefix in PREFIXES:
        if item_id.startswith(prefix):
            return item_id[len(prefix):]
    return item_id


def base_price(source_id: str) -> Decimal | None:
    """The bundled catalog's price of an item (TOP, then 1688, then Weidian)."""
    if source_id.isdigit() and int(source_id) in catalog_top.TOP_ITEMS:
        return Decimal(str(catalog_top.TOP_ITEMS[int(source_id)]["price"]))
    if source_id.isdigit() and int(source_id) in catalog_1688.OFFERS:
        infos = catalog_1688.OFFERS[int(source_id)].get("skuInfos") or []
        ranges = catalog_1688.OFFERS[int(source_id)].get("saleInfo", {}).get("priceRanges") or []
        for entry in [*infos, *ranges]:
            if entry.get("price") is not None:
                return Decimal(str(entry["price"]))
        return None
    item = catalog_weidian.ITEMS.get(source_id)
    return item.price if item is not None else None


def all_item_ids() -> list[str]:
    return ([str(i) for i in catalog_top.TOP_ITEMS] + [str(i) for i in catalog_1688.OFFERS]
            + list(catalog_weidian.ITEMS))


@dataclass
class Override:
    price: Decimal | None = None
    stock: int | None = None


@dataclass
class CatalogDrift:
    overrides: dict[str, Override] = field(default_factory=dict)
    #: Times each item (source id) was served in an answer.
    served: Counter[str] = field(default_factory=Counter)
    rng: random.Random = field(default_factory=lambda: random.Random(17))

    def set(self, item_id: str, *, price: Decimal | None = None,
            stock: int | None = None) -> Override:
        entry = self.overrides.setdefault(source_id_of(item_id), Override())
        if price is not None:
            entry.price = price.quantize(CENT, ROUND_HALF_UP)
        if stock is not None:
            entry.stock = stock
        return entry

    def step(self, item_ids: Iterable[str]) -> None:
        """One drift step of each item: price ±5 %, stock ±3 (never below 0)."""
        for item_id in item_ids:
            source_id = source_id_of(item_id)
            entry = self.overrides.get(source_id)
            price = entry.price if entry and entry.price is not None else base_price(source_id)
            if price is None:
                continue
            factor = Decimal(str(round(1 + self.rng.uniform(-0.05, 0.05), 4)))
            stock = entry.stock if entry and entry.stock is not None else 100
            self.set(source_id, price=max(CENT, price * factor),
                     stock=max(0, stock + self.rng.randint(-3, 3)))

    async def drift_forever(self, item_ids: list[str], interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            self.step(item_ids)

    # -- applied to answers --------------------------------------------------------------

    def top_item(self, item: dict[str, Any]) -> dict[str, Any]:
        source_id = str(item.get("num_iid", ""))
        self.served[source_id] += 1
        entry = self.overrides.get(source_id)
        if entry is None:
            return item
        item = copy.deepcopy(item)
        found = item.get("skus")
        skus: list[dict[str, Any]] = found if isinstance(found, list) else []
        if entry.price is not None:
            price = f"{entry.price:.2f}"
            item["price"] = price
            if "promotion_price" in item:
                item["promotion_price"] = price
            for sku in skus:
                sku["price"] = price
        if entry.stock is not None:
            for sku in skus:
                sku["quantity"] = entry.stock
            item["num"] = entry.stock * max(1, len(skus))
        return item

    def top_body(self, body: dict[str, Any]) -> dict[str, Any]:
        if isinstance(body.get("item"), dict):
            return {**body, "item": self.top_item(body["item"])}
        if isinstance(body.get("items"), list):
            return {**body, "items": [self.top_item(i) for i in body["items"]]}
        return body

    def offer(self, offer_id: int, offer: dict[str, Any]) -> dict[str, Any]:
        self.served[str(offer_id)] += 1
        entry = self.overrides.get(str(offer_id))
        if entry is None:
            return offer
        offer = copy.deepcopy(offer)
        infos = offer.get("skuInfos") or []
        sale = offer.get("saleInfo") or {}
        if entry.price is not None:
            for sku in infos:
                sku["price"] = float(entry.price)
            for tier in sale.get("priceRanges") or []:
                tier["price"] = float(entry.price)
        if entry.stock is not None:
            for sku in infos:
                sku["amountOnSale"] = entry.stock
            sale["amountOnSale"] = entry.stock * max(1, len(infos))
        return offer

    def weidian_item(self, item: catalog_weidian.WeidianItem) -> catalog_weidian.WeidianItem:
        self.served[item.itemid] += 1
        entry = self.overrides.get(item.itemid)
        if entry is None:
            return item
        price = entry.price if entry.price is not None else item.price
        skus = tuple(dataclasses.replace(
            s, price=price if entry.price is not None else s.price,
            stock=entry.stock if entry.stock is not None else s.stock) for s in item.skus)
        stock = (entry.stock * max(1, len(skus)) if entry.stock is not None else item.stock)
        return dataclasses.replace(item, price=price, stock=stock, skus=skus)
