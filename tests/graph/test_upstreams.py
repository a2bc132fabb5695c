"""What graph/upstreams.py builds from the settings: one budget per upstream, the sandbox's
budget wherever the sandbox answers, and the upstream deadline on every client."""

from __future__ import annotations

import pytest

from channels.model import Channel
from graph.settings import Settings, SettingsError
from graph.upstreams import SANDBOX_QPS, build_registry
from sandbox import credentials

TOP_CONFIGURED = {
    "PRODUCTGRAPH_TAOBAO_APP_KEY": credentials.TOP_APP_KEY,
    "PRODUCTGRAPH_TAOBAO_APP_SECRET": credentials.TOP_APP_SECRET,
    "PRODUCTGRAPH_TAOBAO_GATEWAY_URL": "http://127.0.0.1:9/router/rest",
}
STANDARD = {"PRODUCTGRAPH_STANDARD_URL": "http://127.0.0.1:9/v1",
            "PRODUCTGRAPH_STANDARD_TOKEN": "t0ken"}


async def test_the_aggregator_fetches_and_searches_within_one_budget_apart_from_top() -> None:
    registry = build_registry(Settings.from_env({**TOP_CONFIGURED, **STANDARD}))
    try:
        top = registry.adapter(Channel.TAOBAO).client            # type: ignore[attr-defined]
        fetching = registry.adapter(Channel.WEIDIAN).client      # type: ignore[attr-defined]
        searching = registry.searcher(Channel.TAOBAO).client     # type: ignore[attr-defined]
        # Fetching Weidian and searching Taobao spend one aggregator budget of 10/s …
        assert fetching is searching
        assert (fetching.upstream, fetching.policy.qps) == ("standard", 10.0)
        # … and neither touches TOP's 40/s, although both serve Taobao.
        assert (top.upstream, top.policy.qps) == ("taobao", 40.0)
        assert top.limiter is not fetching.limiter
    finally:
        await registry.aclose()


async def test_sandbox_search_has_the_sandbox_budget_like_every_sandboxed_adapter() -> None:
    settings = Settings.from_env({"PRODUCTGRAPH_UPSTREAM_TIMEOUT": "1"})
    registry = build_registry(settings)
    try:
        clients = [a.client for a in registry.adapters]               # type: ignore[attr-defined]
        clients.append(registry.searcher(Channel.TAOBAO).client)     # type: ignore[attr-defined]
        assert {c.policy.qps for c in clients} == {SANDBOX_QPS}
        assert {c.policy.deadline_s for c in clients} == {2.0}
    finally:
        await registry.aclose()


@pytest.mark.parametrize(("env", "deadline"), [
    ({}, 15.0),                                                       # 10 s attempts
    ({"PRODUCTGRAPH_UPSTREAM_TIMEOUT": "1"}, 2.0),                    # one retry's room
    ({"PRODUCTGRAPH_UPSTREAM_TIMEOUT": "20"}, 20.0),                  # never under one attempt
    ({"PRODUCTGRAPH_UPSTREAM_TIMEOUT": "1", "PRODUCTGRAPH_UPSTREAM_DEADLINE": "1.5"}, 1.5),
])
def test_the_upstream_deadline_defaults_to_twice_the_timeout_at_most_15_s(
        env: dict[str, str], deadline: float) -> None:
    assert Settings.from_env(env).upstream_call_deadline_s == deadline


def test_a_bad_upstream_deadline_stops_the_server_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="PRODUCTGRAPH_UPSTREAM_DEADLINE"):
        Settings.from_env({"PRODUCTGRAPH_UPSTREAM_DEADLINE": "0"})


def test_a_worker_with_every_credential_never_builds_the_sandbox() -> None:
    """Importing the app and building it with every channel configured loads no part of
    the sandbox (its catalogs cost a quarter of a second and megabytes per worker)."""
    import subprocess
    import sys

    env = {**credentials.environment("http://127.0.0.1:9"), "PYTHONPATH": "."}
    code = ("import sys; from graph.app import create_app; create_app(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, timeout=60).stdout
    assert out.strip() == "[]"


async def test_an_unconfigured_channel_keeps_its_other_settings_in_the_sandbox() -> None:
    """Only the credentials and the gateway are the sandbox's: the sign method and the
    item methods stay as configured (the sandbox checks the HMAC signature)."""
    import httpx

    from graph.app import create_app
    from sandbox.app import create_sandbox_app

    sandbox_app = create_sandbox_app()
    app = create_app(Settings.from_env({"PRODUCTGRAPH_TAOBAO_BATCH_METHOD": "",
                                        "PRODUCTGRAPH_TAOBAO_SIGN_METHOD": "hmac"}),
                     sandbox_transport=httpx.ASGITransport(app=sandbox_app))
    ids = ["taobao_680123456789", "taobao_621795452502"]
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://productgraph.test") as http:
            answer = (await http.post("/graphql", json={
                "query": "query ($ids: [ID!]!) { products(ids: $ids) { id } }",
                "variables": {"ids": ids}})).json()
    finally:
        await app.state.registry.aclose()
    assert answer["data"]["products"] == [{"id": i} for i in ids]
    calls = sandbox_app.state.sandbox.stats()["calls"]
    assert calls == {"taobao.item.seller.get": 2}                 # no batch method
    assert sandbox_app.state.sandbox.last_params["taobao.item.seller.get"]["sign_method"] \
        == "hmac"
