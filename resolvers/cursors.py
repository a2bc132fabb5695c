"""Opaque Relay cursors for the listings (``search``, ``searchByImage``, ``shopProducts``).

A cursor is base64url (unpadded) of a small JSON object: the absolute offset of the edge in
the upstream's result, the upstream page and page size it came from, and a fingerprint of
the query that produced it (channel, keyword, filter, sort…, but not the page size, so a
client may change ``first`` between pages). A cursor handed to another query — another
keyword, filter, sort or channel — is refused with ``INVALID_CURSOR`` instead of silently
paging through a different result.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from resolvers.errors import UserInputError

MAX_CURSOR_LENGTH = 256
INVALID_CURSOR = "INVALID_CURSOR"


def fingerprint(*parts: Any) -> str:
    """A short stable hash of what defines a listing's result set and order."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(offset: int, page_size: int, query: str) -> str:
    payload = {"o": offset, "p": offset // page_size + 1, "s": page_size, "q": query}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, query: str, *, argument: str = "after") -> int:
    """The offset of the edge ``cursor`` names; ``INVALID_CURSOR`` if it is not one of
    this query's cursors."""
    def refuse(why: str) -> UserInputError:
        return UserInputError(f"`{argument}` is not a cursor of this query: {why}. Start "
                              "again without `after`, or pass an `endCursor` this same query "
                              "returned.", argument=argument, code=INVALID_CURSOR)

    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise refuse("malformed")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
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
