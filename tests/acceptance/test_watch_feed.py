"""Issue 17's "done when", black-box: ``productgraph serve`` and ``productgraph sandbox`` as
real processes, a ``graphql-transport-ws`` client, a multipart-subscription client, and a
webhook consumer on loopback — against SQLite and against PostgreSQL.

Events are ordered by what the processes report (the sandbox's serve counters, the
consumer's received list, the watcher's round counter) with bounded waits, never by
sleeping. The latency itself is measured in bench/watch.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import websockets

from sandbox import catalog_top
from tests.databases import database_url, postgres_cluster
from tests.processes import ROOT, free_port, productgraph, running, sandbox_env
from tests.webhook_consumer import running_consumer

__all__ = ["database_url", "postgres_cluster"]

WAIT_S = 30.0
ITEM = "680123456789"
PRODUCT = f"taobao_{ITEM}"


def verify_webhook() -> Callable[..., bool]:
    """The consumer's verification code, exactly as docs/webhooks.md shows it."""
    text = (ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S)
                 if "def verify_webhook" in b)
    namespace: dict[str, Any] = {}
    exec(compile(block, "docs/webhooks.md", "exec"), namespace)
    return namespace["verify_webhook"]  # type: ignore[no-any-return]


async def until(condition: Callable[[], Any], what: str, timeout_s: float = WAIT_S) -> Any:
    """Wait for ``condition()`` to be truthy (awaiting it when it is a coroutine)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        value = condition()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Stack:
    """A sandbox process and a server process (restartable) over one database."""

    def __init__(self, tmp: Path, database: str, **env: str) -> None:
        self.tmp = tmp
        self.sandbox_port, self.port = free_port(), free_port()
        self.sandbox = f"http://127.0.0.1:{self.sandbox_port}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**sandbox_env(self.sandbox), "PRODUCTGRAPH_PORT": str(self.port),
                    "PRODUCTGRAPH_DATABASE_URL": database,
                    "PRODUCTGRAPH_WEBHOOK_ALLOW_PRIVATE": "true", **env}
        self.http = httpx.Client(timeout=10)
        self.starts = 0

    @contextlib.contextmanager
    def sandbox_running(self) -> Iterator[None]:
        with running(productgraph("sandbox", "--port", str(self.sandbox_port)),
                     ready_url=f"{self.sandbox}/_sandbox/stats"):
            yield

    @contextlib.contextmanager
    def server(self) -> Iterator[subprocess.Popen[bytes]]:
        self.starts += 1
        with running(productgraph("serve"), env=self.env, ready_url=f"{self.url}/healthz",
                     log=self.tmp / f"server-{self.starts}.log") as process:
            yield process

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(f"{self.url}/graphql",
                                  json={"query": query, "variables": variables or {}})
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]  # type: ignore[no-any-return]

    def stats(self) -> dict[str, Any]:
        return self.http.get(f"{self.sandbox}/_sandbox/stats").json()  # type: ignore[no-any-return]

    def served(self, item: str) -> int:
        return int(self.stats()["servedItems"].get(item, 0))

    def set_item(self, item: str, **values: Any) -> None:
        response = self.http.post(f"{self.sandbox}/_sandbox/items/{item}", json=values)
        assert response.status_code == 200, response.text

    def metric(self, name: str) -> float:
        text = self.http.get(f"{self.url}/metrics").text
        found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
        return float(found.group(1)) if found else 0.0

    def register(self, url: str, ids: list[str], fields: list[str] | None = None
                 ) -> dict[str, Any]:
        data = self.gql("""mutation($url: String!, $ids: [ID!]!, $fields: [WatchedField!]) {
            registerWebhook(url: $url, ids: $ids, fields: $fields) { webhook { id } secret } }""",
                        {"url": url, "ids": ids, "fields": fields})
        return data["registerWebhook"]  # type: ignore[no-any-return]

    def deliveries(self, status: str) -> list[dict[str, Any]]:
        return self.gql("""query($s: DeliveryStatus) { webhookDeliveries(status: $s) {
            id webhookId productId sequence status attempts lastStatusCode } }""",
                        {"s": status})["webhookDeliveries"]  # type: ignore[no-any-return]


SUBSCRIPTION = """subscription($ids: [ID!]!, $after: Int) {
  productChanges(ids: $ids, after: $after) {
    productId sequence observedAt changes { field variantId oldValue newValue } } }"""


@contextlib.asynccontextmanager
async def ws_subscription(stack: Stack, ids: list[str], after: int | None = None
                          ) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """A graphql-transport-ws client subscribed to ``ids``; its events arrive in the queue."""
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with websockets.connect(f"ws://127.0.0.1:{stack.port}/graphql",
                                  subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SUBSCRIPTION, "variables": {"ids": ids, "after": after}}}))

        async def read() -> None:
            async for message in ws:
                data = json.loads(message)
                if data["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif data["type"] == "next":
                    assert not data["payload"].get("errors"), data
                    await events.put(data["payload"]["data"]["productChanges"])
                elif data["type"] == "error":
                    raise AssertionError(data)

        reader = asyncio.create_task(read())
        try:
            yield events
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader


@contextlib.asynccontextmanager
async def multipart_subscription(stack: Stack, ids: list[str]
                                 ) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """The same subscription over HTTP multipart (Apollo Router's protocol)."""
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with httpx.AsyncClient(timeout=None) as client:

        async def read() -> None:
            async with client.stream(
                    "POST", f"{stack.url}/graphql",
                    json={"query": SUBSCRIPTION, "variables": {"ids": ids}},
                    headers={"accept": 'multipart/mixed;subscriptionSpec="1.0"'}) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("multipart/mixed")
                buffer = ""
                async for chunk in response.aiter_text():
                    buffer += chunk
                    while "\r\n\r\n" in buffer:
                        head, _, rest = buffer.partition("\r\n\r\n")
                        end = rest.find("\r\n--")
                        if end < 0:
                            break
                        part, buffer = rest[:end], rest[end + 2:]
                        if "application/json" in head and part.strip():
                            payload = json.loads(part).get("payload")
                            if payload:
                                await events.put(payload["data"]["productChanges"])

        reader = asyncio.create_task(read())
        try:
            yield events
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader


async def test_a_sandbox_price_change_reaches_subscribers_webhook_and_history(
        tmp_path: Path, database_url: str) -> None:
    interval = 1.0
    stack = Stack(tmp_path, database_url, PRODUCTGRAPH_WATCH_INTERVAL=str(interval))
    verify = verify_webhook()
    with running_consumer() as consumer, stack.sandbox_running(), stack.server():
        hook = stack.register(consumer.url + "/hook", [PRODUCT], ["PRICE"])
        async with ws_subscription(stack, [PRODUCT]) as ws_events, \
                multipart_subscription(stack, [PRODUCT]) as http_events:
            # The baseline: one poll answered after every watcher is in place.
            start = stack.served(ITEM)
            await until(lambda: stack.served(ITEM) > start, "a poll of the product")
            await until(lambda: stack.served(ITEM) > start + 1, "a second poll")
            stack.set_item(ITEM, price="41.50")
            # Within one poll interval plus a second.
            event = await asyncio.wait_for(ws_events.get(), timeout=interval + 1.0)
            http_event = await asyncio.wait_for(http_events.get(), timeout=interval + 1.0)
        assert event == http_event
        assert event["productId"] == PRODUCT and event["sequence"] == 1
        prices = {c["variantId"]: (c["oldValue"], c["newValue"])
                  for c in event["changes"] if c["field"] == "PRICE"}
        assert prices[None] == ("59.00", "41.50")
        assert prices["123456789001"] == ("59.00", "41.50")

        delivered = await until(lambda: consumer.at("/hook"), "the webhook delivery",
                                timeout_s=interval + 1.0)
        body = json.loads(delivered[0].body)
        assert body["productId"] == PRODUCT and body["sequence"] == 1
        assert {(c["variantId"], c["old"], c["new"]) for c in body["changes"]} >= {
            (None, "59.00", "41.50")}
        assert verify(hook["secret"], delivered[0].headers["Productgraph-Signature"],
                      delivered[0].body)
        assert not verify("whsec_wrong", delivered[0].headers["Productgraph-Signature"],
                          delivered[0].body)

        history = stack.gql("""query($id: ID!) { product(id: $id) {
            priceHistory(variantId: "123456789001") {
              variantId price { amount } previousPrice { amount } } } }""", {"id": PRODUCT})
        assert history["product"]["priceHistory"] == [{
            "variantId": "123456789001", "price": {"amount": "41.50"},
            "previousPrice": {"amount": "59.00"}}]

        # A reconnecting client resumes after the last sequence number it saw.
        stack.set_item(ITEM, price="40.00")
        latest = 'query($id: ID!) { product(id: $id) { priceHistory { price { amount } } } }'
        await until(lambda: stack.gql(latest, {"id": PRODUCT})["product"]["priceHistory"][-1]
                    ["price"]["amount"] == "40.00", "the second change stored")
        async with ws_subscription(stack, [PRODUCT], after=1) as resumed:
            replayed = await asyncio.wait_for(resumed.get(), timeout=WAIT_S)
        assert replayed["sequence"] == 2


async def test_two_subscribers_and_a_webhook_cost_what_one_watcher_costs(
        tmp_path: Path, database_url: str) -> None:
    qps, share = 4.0, 0.5
    stack = Stack(tmp_path, database_url, PRODUCTGRAPH_WATCH_INTERVAL="3",
                  PRODUCTGRAPH_TAOBAO_QPS=str(qps), PRODUCTGRAPH_WATCH_BUDGET_SHARE=str(share))
    items = [str(i) for i in catalog_top.TOP_ITEMS if not catalog_top.is_tmall(i)][:50]
    ids = [f"taobao_{i}" for i in items]
    with running_consumer() as consumer, stack.sandbox_running(), stack.server():
        known = stack.gql("query($ids: [ID!]!) { products(ids: $ids) { id } }", {"ids": ids})
        assert all(p is not None for p in known["products"])
        stack.register(consumer.url + "/hook", ids)
        async with ws_subscription(stack, ids), ws_subscription(stack, ids):
            # Count from the end of a round on: each later round polls each product once.
            rounds = stack.metric("productgraph_watch_rounds_total")
            await until(lambda: stack.metric("productgraph_watch_rounds_total") > rounds,
                        "a poll round")
            first = stack.metric("productgraph_watch_rounds_total")
            stack.http.post(f"{stack.sandbox}/_sandbox/reset")
            await until(lambda: stack.metric("productgraph_watch_rounds_total") >= first + 3,
                        "three more rounds")
            done = stack.metric("productgraph_watch_rounds_total") - first
            stats = stack.stats()
    served = [stats["servedItems"].get(i, 0) for i in items]
    # One watcher: every product once per round, 20 per TOP batch call → 3 calls a round.
    assert served == [done] * len(items)
    assert stats["total"] == 3 * done
    assert stats["peakPerSecondByGateway"]["top"] <= qps * share


async def test_a_webhook_survives_a_kill_between_change_and_delivery(
        tmp_path: Path, database_url: str) -> None:
    stack = Stack(tmp_path, database_url, PRODUCTGRAPH_WATCH_INTERVAL="1",
                  PRODUCTGRAPH_WEBHOOK_BACKOFF_BASE="0.2",
                  PRODUCTGRAPH_WEBHOOK_MAX_ATTEMPTS="100")
    verify = verify_webhook()
    with running_consumer() as consumer, stack.sandbox_running():
        consumer.answer("/hook", 500)
        with stack.server() as server:
            hook = stack.register(consumer.url + "/hook", [PRODUCT], ["PRICE"])
            start = stack.served(ITEM)
            await until(lambda: stack.served(ITEM) > start + 1, "the baseline poll")
            stack.set_item(ITEM, price="33.00")
            await until(lambda: consumer.at("/hook"), "a first (failed) attempt")
            server.kill()  # SIGKILL: no shutdown, the delivery still pending
            server.wait(timeout=10)
        before_restart = len(consumer.at("/hook"))
        consumer.answer("/hook", 200)
        with stack.server():
            await until(lambda: any(r.status == 200 for r in consumer.at("/hook")),
                        "the delivery after the restart")
            await until(lambda: stack.deliveries("DELIVERED"), "the delivery marked")
            [delivered] = stack.deliveries("DELIVERED")
            assert stack.deliveries("PENDING") == []
        attempts = consumer.at("/hook")
        ok = [r for r in attempts if r.status == 200]
        assert len(ok) == 1  # delivered once; at most one more attempt than before the kill
        assert len(attempts) <= before_restart + 2
        assert {r.headers["Productgraph-Delivery"] for r in attempts} == {delivered["id"]}
        assert json.loads(ok[0].body)["sequence"] == 1
        assert verify(hook["secret"], ok[0].headers["Productgraph-Signature"], ok[0].body)


async def test_retries_with_backoff_then_dead_letter(tmp_path: Path, database_url: str) -> None:
    stack = Stack(tmp_path, database_url, PRODUCTGRAPH_WATCH_INTERVAL="1",
                  PRODUCTGRAPH_WEBHOOK_BACKOFF_BASE="0.2",
                  PRODUCTGRAPH_WEBHOOK_MAX_ATTEMPTS="4")
    with running_consumer() as consumer, stack.sandbox_running(), stack.server():
        consumer.answer("/flaky", 500, 500, 500, 200)
        consumer.answer("/broken", 500)
        flaky = stack.register(consumer.url + "/flaky", [PRODUCT], ["PRICE"])
        broken = stack.register(consumer.url + "/broken", [PRODUCT], ["PRICE"])
        start = stack.served(ITEM)
        await until(lambda: stack.served(ITEM) > start + 1, "the baseline poll")
        stack.set_item(ITEM, price="21.00")
        await until(lambda: stack.deliveries("DEAD_LETTERED"), "a dead letter")
        await until(lambda: stack.deliveries("DELIVERED"), "the flaky delivery")
        [dead] = stack.deliveries("DEAD_LETTERED")
        [delivered] = stack.deliveries("DELIVERED")
    assert dead["webhookId"] == broken["webhook"]["id"] and dead["attempts"] == 4
    assert dead["lastStatusCode"] == 500
    assert delivered["webhookId"] == flaky["webhook"]["id"] and delivered["attempts"] == 4
    assert [r.status for r in consumer.at("/flaky")] == [500, 500, 500, 200]
    assert [r.status for r in consumer.at("/broken")] == [500] * 4
