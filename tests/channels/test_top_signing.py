"""TOP signing and timestamps against the published vectors (docs/protocols.md §1.4, §5.1)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels.top import TopAdapter, top_sign, top_timestamp

VECTORS = json.loads((Path(__file__).parent.parent / "fixtures" / "vectors.json").read_text())


@pytest.mark.parametrize(
    "vector", VECTORS["top"], ids=lambda v: f"{v['vector'][:2]}-{v['sign_method']}")
def test_every_published_vector_signs_to_its_expected_value(vector: dict[str, object]) -> None:
    params = vector["params"]
    assert isinstance(params, dict)
    sign = top_sign(params, str(vector["secret"]), str(vector["sign_method"]))
    assert sign == vector["expected_sign"]


def test_x1_node_client_vector() -> None:
    x1 = next(v for v in VECTORS["top_extra"] if v["vector"].startswith("X1"))
    assert top_sign(x1["params"], x1["secret"], "md5") == "A599E42DFE311554D1F1922126AC87E5"


def test_x2_empty_values_are_left_out_of_the_signature_like_the_java_sdk() -> None:
    x2 = next(v for v in VECTORS["top_extra"] if v["vector"].startswith("X2"))
    assert x2["params"]["target_app_key"] == ""
    sign = top_sign(x2["params"], x2["secret"], "md5")
    assert sign == x2["java_official_skips_empty"]
    assert sign != x2["py-taobao-open_includes_key"]


def test_sign_and_file_parameters_are_not_signed() -> None:
    params = {"method": "taobao.user.get", "app_key": "test", "v": "2.0"}
    expected = top_sign(params, "test")
    with_extras: dict[str, object] = {**params, "sign": "WHATEVER", "image": b"\x89PNG"}
    assert top_sign(with_extras, "test") == expected  # type: ignore[arg-type]


def test_unknown_sign_method_is_refused() -> None:
    with pytest.raises(ValueError, match="sign_method"):
        top_sign({"a": "1"}, "s", "sha1")


def test_timestamp_of_a_utc_instant_is_gmt_plus_8() -> None:
    assert top_timestamp(datetime(2024, 5, 20, 2, 0, 0, tzinfo=UTC)) == "2024-05-20 10:00:00"
    # Crossing midnight: 20:30 UTC is already the next day in Shanghai.
    assert top_timestamp(datetime(2024, 12, 31, 20, 30, 5, tzinfo=UTC)) == "2025-01-01 04:30:05"


def test_timestamp_now_is_shanghai_time_on_a_utc_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        stamp = datetime.strptime(top_timestamp(), "%Y-%m-%d %H:%M:%S")
        utc_now = datetime.now(UTC).replace(tzinfo=None)
        skew = (stamp - utc_now).total_seconds()
        assert abs(skew - 8 * 3600) < 5
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_request_puts_system_params_in_the_query_and_never_sends_empty_values() -> None:
    adapter = TopAdapter(app_key="12345678", app_secret="helloworld", sign_method="hmac",
                         simplify=True)
    query, form = adapter.build_request(
        "taobao.item.seller.get", {"fields": "num_iid,title", "num_iid": "1", "extra": ""},
        now=datetime(2024, 5, 20, 2, 0, tzinfo=UTC))
    assert form == {"fields": "num_iid,title", "num_iid": "1"}
    assert query["method"] == "taobao.item.seller.get"
    assert query["timestamp"] == "2024-05-20 10:00:00"
    assert (query["format"], query["v"], query["sign_method"], query["simplify"]) == (
        "json", "2.0", "hmac", "true")
    assert "session" not in query  # no session configured: not sent empty
    assert all(value != "" for value in {**query, **form}.values())
    unsigned = {k: v for k, v in query.items() if k != "sign"}
    assert query["sign"] == top_sign({**unsigned, **form}, "helloworld", "hmac")
