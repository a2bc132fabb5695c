"""Webhook targets, signatures, and who may connect: what a consumer and an operator rely on."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from resolvers.watch.webhooks import WebhookUrlRefused, check_target, sign, verify_signature
from tests.acceptance.test_watch_feed import verify_webhook
from tests.conftest import sandboxed_app


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://192.168.0.7/hook",
    "https://169.254.169.254/latest", "https://[::1]/hook", "https://localhost/hook",
    "http://example.com/hook", "ftp://example.com/hook", "https://user:pw@example.com/",
])
async def test_private_loopback_and_plain_http_targets_are_refused(url: str) -> None:
    with pytest.raises(WebhookUrlRefused):
        await check_target(url, allow_private=False)


async def test_private_targets_allowed_by_configuration() -> None:
    assert await check_target("http://127.0.0.1:9/hook", allow_private=True)
    with pytest.raises(WebhookUrlRefused):
        await check_target("ftp://127.0.0.1/hook", allow_private=True)


def test_signature_verifies_the_raw_body_within_the_replay_window() -> None:
    body = b'{"productId":"taobao_1","sequence":3}'
    now = int(time.time())
    header = sign("whsec_abc", now, body)
    documented = verify_webhook()
    for verify in (verify_signature, documented):
        assert verify("whsec_abc", header, body)
        assert not verify("whsec_abc", header, body + b" ")          # body altered
        assert not verify("whsec_other", header, body)               # another secret
        assert not verify("whsec_abc", sign("whsec_abc", now - 3600, body), body)  # replayed
        assert not verify("whsec_abc", "garbage", body)


def test_websocket_needs_an_api_key_when_keys_are_configured(tmp_path: Path) -> None:
    app, _ = sandboxed_app({"PRODUCTGRAPH_API_KEYS": "k-123",
                            "PRODUCTGRAPH_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"})
    with TestClient(app) as client:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": {"apiKey": "wrong"}})
            message = ws.receive()
            assert message["type"] == "websocket.close" and message["code"] == 4403
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": {"apiKey": "k-123"}})
            message = ws.receive()  # the view sends binary frames (orjson)
            assert json.loads(message.get("bytes") or message["text"])["type"] == "connection_ack"


def test_registering_a_webhook_in_production_needs_api_keys(tmp_path: Path) -> None:
    app, _ = sandboxed_app({"PRODUCTGRAPH_ENV": "production",
                            "PRODUCTGRAPH_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"})
    with TestClient(app) as client:
        answer = client.post("/graphql", json={"query": 'mutation { registerWebhook(url: '
                                                        '"https://example.com/h", ids: '
                                                        '["taobao_680123456789"]) { secret } }'})
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
