"""Operations, on real processes: SIGTERM lets an in-flight query finish before the
server exits, and ``productgraph serve`` writes one JSON access-log line per request."""

from __future__ import annotations

import json
import signal
import threading
import time

import httpx

from tests.processes import free_port, productgraph, running, sandbox_env

QUERY = '{ product(id: "taobao_680123456789") { id title { original } } }'


def test_sigterm_lets_the_in_flight_query_finish_and_the_access_log_is_json() -> None:
    gateway_port, port = free_port(), free_port()
    gateway = f"http://127.0.0.1:{gateway_port}"
    server = f"http://127.0.0.1:{port}"
    with running(productgraph("sandbox", "--port", str(gateway_port), "--latency-ms", "1500"),
                 ready_url=gateway + "/_sandbox/stats"), \
         running(productgraph("serve", "--port", str(port)), ready_url=server + "/healthz",
                 env=sandbox_env(gateway)) as process:
        answers: list[httpx.Response] = []
        client = threading.Thread(target=lambda: answers.append(httpx.post(
            server + "/graphql", json={"query": QUERY},
            headers={"x-request-id": "in-flight-1"}, timeout=30)))
        client.start()
        # Until the query is waiting on the slow gateway (its stats say so), not a guess.
        for _ in range(300):
            if httpx.get(gateway + "/_sandbox/stats").json()["inFlight"]:
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        client.join(timeout=30)
        # uvicorn re-raises the signal once it has shut down cleanly: exit status -15.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        output = process.stdout.read().decode() if process.stdout else ""
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["data"]["product"]["id"] == "taobao_680123456789"
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    logged = [line for line in lines if line.get("request_id") == "in-flight-1"]
    assert len(logged) == 1
    assert logged[0]["status"] == 200 and logged[0]["upstream_calls"] == 1
    assert logged[0]["duration_ms"] >= 1500
