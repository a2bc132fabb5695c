"""The one decoding policy (channels/decoding.py): absent is None, present but undecodable is
an error naming the field, never through float; and what an adapter makes of that error."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from channels.alibaba import Alibaba1688AggregatorAdapter
from channels.decoding import (
    SHANGHAI,
    UndecodableValue,
    integer,
    money,
    required,
    shanghai_time,
    text,
)
from channels.errors import UpstreamError
from channels.model import Channel, Part, ProductRecord
from channels.top import TopAdapter

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize("absent", [None, "", "  "])
def test_absent_is_none(absent: object) -> None:
    assert money(absent, "f") is None
    assert integer(absent, "f") is None
    assert text(absent, "f") is None
    assert shanghai_time(absent, "f") is None


def test_money_is_the_decimal_the_upstream_wrote() -> None:
    assert str(money("96.00", "price")) == "96.00"
    assert str(money(" 12.5 ", "price")) == "12.5"
    assert money(Decimal("39.0"), "price") == Decimal("39.0")
    assert money(12, "price") == Decimal(12)


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", 12.5, True, {"amount": 1}, [1]])
def test_undecodable_money_names_its_field(bad: object) -> None:
    with pytest.raises(UndecodableValue, match="`post_fee`") as caught:
        money(bad, "post_fee")
    assert caught.value.field == "post_fee"


def test_an_integral_value_in_any_spelling_is_an_integer() -> None:
    assert [integer(v, "num") for v in (12, "12", " 12 ", "12.0", Decimal("1000.0"), "-3")] \
        == [12, 12, 12, 12, 1000, -3]


@pytest.mark.parametrize("bad", ["12.5", Decimal("0.5"), "many", 12.0, False, "NaN"])
def test_a_fraction_or_garbage_is_not_an_integer(bad: object) -> None:
    with pytest.raises(UndecodableValue, match="`num` is not an integer"):
        integer(bad, "num")


def test_text_is_stripped_and_ids_may_be_numbers() -> None:
    assert text("  yad旗舰店 ", "nick") == "yad旗舰店"
    assert text(5192139988, "num_iid") == "5192139988"
    assert text(Decimal("1.50"), "value") == "1.50"
    for bad in ({"a": 1}, ["a"], True, 1.5):
        with pytest.raises(UndecodableValue, match="`nick` is not text"):
            text(bad, "nick")


def test_top_times_are_shanghai_wall_time() -> None:
    parsed = shanghai_time("2012-02-18 22:14:47", "list_time")
    assert parsed == datetime(2012, 2, 18, 22, 14, 47, tzinfo=SHANGHAI)
    assert parsed is not None and parsed.isoformat() == "2012-02-18T22:14:47+08:00"
    for bad in ("2012-02-18T22:14:47", "yesterday", 1329574487):
        with pytest.raises(UndecodableValue, match="`list_time`"):
            shanghai_time(bad, "list_time")


def test_required_refuses_an_absent_field() -> None:
    assert required(money("1", "price"), "price") == Decimal(1)
    with pytest.raises(UndecodableValue, match="`price` is missing"):
        required(money(None, "price"), "price")


def _answering(body: Any) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, json=body))


async def test_one_garbled_item_of_a_top_batch_fails_alone() -> None:
    """Its price was once read as no price (shown as 0); now the item is an UPSTREAM_ERROR
    naming the field, and its batch-mates load."""
    answer = json.loads((FIXTURES / "taobao" / "top_items_seller_list_get.json").read_text())
    (good,) = answer["items_seller_list_get_response"]["items"]["item"]
    bad = {**good, "num_iid": 1, "price": "面议"}
    answer["items_seller_list_get_response"]["items"]["item"] = [good, bad]
    adapter = TopAdapter(app_key="k", app_secret="s", session="x",
                         transport=_answering(answer))
    try:
        results = await adapter.fetch(Channel.TAOBAO, [str(good["num_iid"]), "1"],
                                      frozenset({Part.CORE}))
    finally:
        await adapter.aclose()
    assert isinstance(results[str(good["num_iid"])], ProductRecord)
    error = results["1"]
    assert isinstance(error, UpstreamError) and error.code == "UPSTREAM_ERROR"
    assert not error.retryable and "`price`" in error.message and "item 1" in error.message


async def test_a_garbled_1688_offer_is_an_upstream_error_naming_the_field() -> None:
    envelope = json.loads((FIXTURES / "1688" / "aggregator_584240750353.json").read_text())
    envelope["data"]["product_info"]["sale_info"]["amount_on_sale"] = "lots"
    adapter = Alibaba1688AggregatorAdapter(url="http://aggregator/get", token="t",
                                           transport=_answering(envelope))
    try:
        results = await adapter.fetch(Channel.ALIBABA_1688, ["584240750353"], frozenset(Part))
    finally:
        await adapter.aclose()
    error = results["584240750353"]
    assert isinstance(error, UpstreamError) and not error.retryable
    assert "`amountOnSale` is not an integer" in error.message
