"""GraphiQL works with no internet: headless Chromium, cut off from every address but
loopback, loads productgraph's GraphiQL page, its scripts and styles from productgraph
itself (checked against their integrity hashes by the browser), and runs a query.

Driven over the Chrome DevTools protocol (the ``websockets`` package). Needs Debian's
``chromium`` (``.ci/test`` installs it); a missing browser fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.processes import free_port, productgraph, running, stop

QUERY = '{ product(id: "taobao_680123456789") { id title { original } } }'
TITLE = "2026 Summer New Casual Cotton Short Sleeve T-shirt"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(productgraph("serve", "--port", str(port)), ready_url=url + "/healthz",
                 env={"PRODUCTGRAPH_ENV": "development"}):
        yield url


@contextlib.contextmanager
def chromium() -> Iterator[str]:
    """Headless Chromium with only loopback reachable; yields its DevTools HTTP origin."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail("chromium is not installed: run `apt-get install -y chromium`")
    port = free_port()
    # Chromium's helper processes may still be writing the profile as it exits.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",
             f"--remote-debugging-port={port}", "--remote-allow-origins=*", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        origin = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(origin + "/json/version", timeout=1)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("chromium did not start its DevTools endpoint")
                    time.sleep(0.2)
            yield origin
        finally:
            stop(process)


class DevTools:
    """A minimal Chrome DevTools protocol session on one page."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        await self.socket.send(json.dumps({"id": message_id, "method": method,
                                           "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), 30))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})  # type: ignore[no-any-return]
            self.events.append(message)

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression,
                                 returnByValue=True)
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, timeout_s: float = 30) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}")


@contextlib.asynccontextmanager
async def page(devtools_origin: str) -> AsyncIterator[DevTools]:
    async with httpx.AsyncClient() as http:
        targets = (await http.get(devtools_origin + "/json/list")).json()
    target = next(t for t in targets if t["type"] == "page")
    async with websockets.connect(target["webSocketDebuggerUrl"], max_size=None) as socket:
        yield DevTools(socket)


async def test_graphiql_loads_from_productgraph_and_runs_a_query_offline(server: str) -> None:
    # The page's own assets are pinned: every one is served by productgraph.
    async with httpx.AsyncClient() as http:
        html = (await http.get(server + "/graphql", headers={"accept": "text/html"})).text
    assert "https://" not in html and "unpkg" not in html
    assert html.count('integrity="sha384-') == 8
    assert "<script>" not in html  # no inline script: the CSP allows none

    with chromium() as devtools_origin:
        async with page(devtools_origin) as tab:
            await tab.call("Network.enable")
            await tab.call("Page.enable")
            # A page on the internet cannot be reached: the browser really is offline.
            await tab.call("Page.navigate", url="https://unpkg.com/react@18.2.0/")
            await asyncio.sleep(1.0)
            assert "react" not in str(await tab.evaluate("document.body.innerText")).lower()

            # The page reads `q` with decodeURIComponent: spaces as %20, not `+`.
            url = server + "/graphql?q=" + urllib.parse.quote(QUERY, safe="")
            await tab.call("Page.navigate", url=url)
            await tab.wait_for("document.querySelector('.graphiql-execute-button') !== null")
            await tab.evaluate("document.querySelector('.graphiql-execute-button').click()")
            response_text = await tab.wait_for(
                "(() => { const r = document.querySelector('.graphiql-response');"
                f" return r && r.innerText.includes({json.dumps(TITLE)}) && r.innerText; }})()")
    assert '"id": "taobao_680123456789"' in response_text

    requested = [e["params"]["request"]["url"] for e in tab.events
                 if e.get("method") == "Network.requestWillBeSent"]
    page_requests = [u for u in requested if u.startswith(server)]
    assert any(u.endswith("/graphiql/static/graphiql.min.js") for u in page_requests)
    assert any(u.endswith("/graphiql/static/react.production.min.js") for u in page_requests)
    posts = [e for e in tab.events if e.get("method") == "Network.requestWillBeSent"
             and e["params"]["request"]["method"] == "POST"]
    assert any(e["params"]["request"]["url"] == server + "/graphql" for e in posts)
    # Nothing on the GraphiQL page asked for anything but productgraph.
    start = next(i for i, u in enumerate(requested) if u.startswith(server + "/graphql?q="))
    after_navigation = requested[start:]
    assert all(u.startswith((server, "data:")) for u in after_navigation), after_navigation


async def test_graphiql_opens_on_a_working_example_with_the_explorer_under_its_csp(
        server: str) -> None:
    async with httpx.AsyncClient() as http:
        page_response = await http.get(server + "/graphql", headers={"accept": "text/html"})
    policy = page_response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0]
    assert page_response.headers["x-frame-options"] == "DENY"
    assert page_response.headers["x-content-type-options"] == "nosniff"

    with chromium() as devtools_origin:
        async with page(devtools_origin) as tab:
            await tab.call("Page.enable")
            # Every CSP violation the page causes is recorded, from its first script on.
            await tab.call("Page.addScriptToEvaluateOnNewDocument", source=(
                "window.__violations = [];"
                "document.addEventListener('securitypolicyviolation', e =>"
                " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"))
            await tab.call("Page.navigate", url=server + "/graphql")
            await tab.wait_for("document.querySelector('.graphiql-execute-button') !== null")
            editors = str(await tab.wait_for(
                "(() => { const t = document.body.innerText;"
                " return t.includes('ProductWithVariants') && t; })()"))
            assert "taobao_680123456789" in editors  # the example's variables
            # The explorer is open beside the editor, listing the root fields.
            assert await tab.wait_for(
                "document.querySelector('.graphiql-explorer-root') !== null"
                " || document.querySelector('.docExplorerWrap') !== null")
            await tab.evaluate("document.querySelector('.graphiql-execute-button').click()")
            # The whole answer, not just the lines CodeMirror has drawn.
            response_text = await tab.wait_for(
                "(() => { const r = document.querySelector('.graphiql-response .CodeMirror');"
                " const text = r && r.CodeMirror.getValue();"
                " return text && text.includes('availableForSale') && text; })()")
            violations = await tab.evaluate("window.__violations")
    assert '"id": "taobao_680123456789_123456789001"' in response_text
    assert TITLE in response_text
    assert violations == []
