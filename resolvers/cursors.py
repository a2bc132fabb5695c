"""Opaque Relay cursors for the listings (``search``, ``searchByImage``, ``shopProducts``).

A cursor is base64url (unpadded) of a small JSON object: the absolute offset of the edge in
the upstream's result, the upstream page and page size it came from, and a fingerprint of
the query that produced it (channel, keyword, filter, sort…, but not the page size, so a
client may change ``first`` between pages). A cursor handed to another query — another
keyword, filter, sort or channel — is refused with ``INVALID_CURSOR`` instead of silently
paging through a different result.

A cursor is signed: ``<payload>.<HMAC-SHA256 of it, 16 bytes>``, both base64url, so a
forged or altered cursor is INVALID_CURSOR too, never a silently empty page. The key is
``PRODUCTGRAPH_CURSOR_SECRET`` (``configure_secret`` at start-up); without it each
process draws a random one (``productgraph serve --workers N`` draws one for all its
workers). Instances behind one load balancer must share the configured secret, or a
cursor from one is refused by the next; after a restart without it, old cursors are
refused (clients start again without ``after``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import Any

from resolvers.errors import UserInputError

MAX_CURSOR_LENGTH = 256
INVALID_CURSOR = "INVALID_CURSOR"
_SIGNATURE_BYTES = 16
_secret = secrets.token_bytes(32)


def configure_secret(secret: str | bytes | None) -> None:
    """Sign cursors with ``secret`` (``None`` or empty: keep this process's random key)."""
    global _secret
    if secret:
        _secret = secret.encode() if isinstance(secret, str) else secret


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _sign(payload: str) -> str:
    digest = hmac.new(_secret, payload.encode("ascii"), hashlib.sha256).digest()
    return _b64(digest[:_SIGNATURE_BYTES])


def fingerprint(*parts: Any) -> str:
    """A short stable hash of what defines a listing's result set and order."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(offset: int, page_size: int, query: str) -> str:
    payload = {"o": offset, "p": offset // page_size + 1, "s": page_size, "q": query}
    encoded = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{encoded}.{_sign(encoded)}"


def decode_cursor(cursor: str, query: str, *, argument: str = "after") -> int:
    """The offset of the edge ``cursor`` names; ``INVALID_CURSOR`` if it is not one of
    this query's cursors."""
    def refuse(why: str) -> UserInputError:
        return UserInputError(f"`{argument}` is not a cursor of this query: {why}. Start "
                              "again without `after`, or pass an `endCursor` this same query "
                              "returned.", argument=argument, code=INVALID_CURSOR)

    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise refuse("malformed")
    encoded, _, signature = cursor.partition(".")
    if not hmac.compare_digest(signature, _sign(encoded)):
        raise refuse("its signature does not match (altered, forged, or from another "
                     "server)")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise refuse("malformed") from None
    if not isinstance(payload, dict):
        raise refuse("malformed")
    offset = payload.get("o")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise refuse("malformed")
    if payload.get("q") != query:
        raise refuse("it was issued for another query (keyword, filter, sort or channel)")
    return offset
