"""Webhooks: target URL checks, signatures, the payload, and the outbox deliverer.

**Signature** (as Stripe's): every delivery carries
``Productgraph-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``.
A consumer recomputes it over the raw body it received, compares in constant time, and
refuses a timestamp outside its replay window (docs/webhooks.md, ``verify_signature``).

**Delivery** is at least once: the outbox row is written in the transaction that records
the change (a restart loses nothing), marked delivered only after a 2xx answer, retried
after ``base × 2^(attempt-1)`` seconds otherwise, and dead-lettered after the last
attempt. A consumer must therefore be idempotent: ``Productgraph-Delivery`` (one id per
row) and ``(productId, sequence)`` in the body identify a delivery.

**Targets**: ``https://`` only, and never an address on loopback, a private range,
link-local or otherwise reserved (checked after DNS resolution, again before each
attempt) unless ``PRODUCTGRAPH_WEBHOOK_ALLOW_PRIVATE=true``, which also allows
``http://``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import httpx

from resolvers.storage import Delivery, WatchStore, Webhook, now_us
from resolvers.watch.events import ChangeEvent

log = logging.getLogger("productgraph.webhooks")

SIGNATURE_HEADER = "Productgraph-Signature"
DELIVERY_HEADER = "Productgraph-Delivery"
EVENT_HEADER = "Productgraph-Event"
EVENT_TYPE = "product.changed"
DEFAULT_TOLERANCE_S = 300


class WebhookUrlRefused(ValueError):
    """A target URL this server will not deliver to (the message says why)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Productgraph-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, *,
                     tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None) -> bool:
    """What a consumer does (docs/webhooks.md has the same code to copy)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


async def check_target(url: str, *, allow_private: bool) -> str:
    """``url`` if this server may deliver to it, else ``WebhookUrlRefused``."""
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise WebhookUrlRefused(
            "`url` must be an https:// URL" + (" or http://" if allow_private else ""))
    if parts.username or parts.password:
        raise WebhookUrlRefused("`url` must not carry credentials")
    if allow_private:
        return url
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        raise WebhookUrlRefused(f"`url`: the host {parts.hostname!r} does not resolve") from None
    if not infos or any(_refused_address(str(info[4][0])) for info in infos):
        raise WebhookUrlRefused(
            "`url` resolves to a loopback, private or link-local address; such targets are "
            "refused unless PRODUCTGRAPH_WEBHOOK_ALLOW_PRIVATE=true")
    return url


def outbox_for(event: ChangeEvent, hooks: Sequence[Webhook]) -> list[tuple[str, str]]:
    """The payload each webhook of ``event``'s product gets (its fields only), if any."""
    entries = []
    for hook in hooks:
        minimum = None
        if hook.min_price_change:
            with contextlib.suppress(InvalidOperation):
                minimum = Decimal(hook.min_price_change)
        wanted = event.filtered(hook.fields, minimum)
        if wanted is not None:
            body = {"type": EVENT_TYPE, "webhookId": hook.id, **wanted.as_json()}
            entries.append((hook.id, json.dumps(body, separators=(",", ":"))))
    return entries


class Deliverer:
    """Sends due outbox rows, one attempt each, and records the outcome."""

    def __init__(self, store: WatchStore, *, backoff_base_s: float, max_attempts: int,
                 timeout_s: float, allow_private: bool,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.store = store
        self.backoff_base_s = backoff_base_s
        self.max_attempts = max_attempts
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        self.client = httpx.AsyncClient(timeout=timeout_s, transport=transport,
                                        follow_redirects=False,
                                        headers={"User-Agent": "productgraph-webhooks/1"})
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._hooks: dict[str, Webhook] = {}

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.aclose()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.deliver_due()
                next_due = await self.store.next_due_us()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhooks: delivery round failed")
                next_due = None
            wait_s = 1.0 if next_due is None else (next_due - now_us()) / 1_000_000
            with contextlib.suppress(TimeoutError):
                # At most 1 s: rows another instance wrote are found within a second.
                await asyncio.wait_for(self._wake.wait(), timeout=min(1.0, max(0.02, wait_s)))

    async def deliver_due(self) -> int:
        due = await self.store.claim_due(50, hold_s=self.timeout_s + 5)
        if due:
            self._hooks = {h.id: h for h in await self.store.webhooks()}
            await asyncio.gather(*(self._attempt(d) for d in due))
        return len(due)

    async def _attempt(self, delivery: Delivery) -> None:
        hook = self._hooks.get(delivery.webhook_id)
        attempt = delivery.attempts + 1
        if hook is None:
            await self.store.mark_failed(delivery.id, error="webhook deleted",
                                         status_code=None, retry_at_us=None)
            return
        status: int | None = None
        try:
            await check_target(hook.url, allow_private=self.allow_private)
            body = delivery.payload.encode()
            response = await self.client.post(hook.url, content=body, headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(hook.secret, int(time.time()), body),
                DELIVERY_HEADER: delivery.id, EVENT_HEADER: EVENT_TYPE})
            status = response.status_code
            if 200 <= status < 300:
                await self.store.mark_delivered(delivery.id, status)
                return
            error = f"HTTP {status}"
        except WebhookUrlRefused as exc:
            error = str(exc)
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        retry_at = (None if attempt >= self.max_attempts else
                    now_us() + int(self.backoff_base_s * 2 ** (attempt - 1) * 1_000_000))
        if retry_at is None:
            log.warning("webhooks: delivery %s to %s dead-lettered after %d attempts (%s)",
                        delivery.id, hook.id, attempt, error)
        await self.store.mark_failed(delivery.id, error=error, status_code=status,
                                     retry_at_us=retry_at)
