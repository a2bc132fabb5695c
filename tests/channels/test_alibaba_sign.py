"""_aop_signature against the §5.2 vectors, and the alibaba.product.get request it signs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from channels.alibaba import aop_sign, product_get_form

VECTORS = json.loads((Path(__file__).parents[1] / "fixtures" / "vectors.json").read_text())["aop"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["vector"][:2] for v in VECTORS])
def test_vectors(vector: dict[str, object]) -> None:
    assert aop_sign(vector["urlPath"], vector["params"], vector["secret"]) == (  # type: ignore[arg-type]
        vector["expected_sign"])


def test_a5_official_variant_differs_from_key_sorted() -> None:
    a5 = next(v for v in VECTORS if v["vector"].startswith("A5"))
    signature = aop_sign(a5["urlPath"], a5["params"], a5["secret"])
    assert signature == "31C1F74EEFDD20A1964A6F4D8FD7F540D6494FFD"
    assert signature != a5["sort_by_key_variant(go1688 etc.)"]


def test_signature_ignores_an_existing_signature_param() -> None:
    params = {"b": "2", "a": "1"}
    signed = aop_sign("param2/1/system/currentTime/1000000", params, "test123")
    params["_aop_signature"] = "stale"
    assert aop_sign("param2/1/system/currentTime/1000000", params, "test123") == signed


def test_product_get_form_reproduces_vector_a2() -> None:
    path, form = product_get_form(
        app_key="1234567", app_secret="ABCdef123",
        access_token="a1b2c3d4-0000-4d5e-9f00-112233445566", product_id="610947572360",
        timestamp_ms=1700000000000)
    assert path == "param2/1/com.alibaba.product/alibaba.product.get/1234567"
    assert form == {
        "productID": "610947572360", "webSite": "1688",
        "access_token": "a1b2c3d4-0000-4d5e-9f00-112233445566",
        "_aop_timestamp": "1700000000000",
        "_aop_signature": "5FD40983455374FCDE256B99E0A1D0446A78D620",
    }


def test_timestamp_defaults_to_epoch_milliseconds() -> None:
    _, form = product_get_form(app_key="1", app_secret="s", access_token="t", product_id="1")
    assert len(form["_aop_timestamp"]) == 13 and form["_aop_timestamp"].isdigit()
