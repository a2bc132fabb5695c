"""The request headers ``/graphql`` decides on, read in one pass over the ASGI scope.

The fast lane (graph/fast_lane.py) and the response cache's lookup
(graph/response_cache.py ``HttpLookup.begin``) both look at a request's headers on every
request; ``RequestHeaders.of`` reads them once for both.
"""

from __future__ import annotations

from collections.abc import Iterable


class RequestHeaders:
    """The values of the headers that matter here (ASGI names are lower case); ``None``
    when absent. ``cache_control`` and ``pragma`` are lower-cased; ``x_request_id`` is
    the first one (as graph/observability.py ``request_id_of`` reads it), the others the
    last."""

    __slots__ = ("accept", "authorization", "cache_control", "content_length",
                 "content_type", "if_none_match", "origin", "pragma", "transfer_encoding",
                 "x_api_key", "x_request_id")

    def __init__(self) -> None:
        self.content_type: bytes | None = None
        self.content_length: bytes | None = None
        self.accept: bytes | None = None
        self.origin: bytes | None = None
        self.transfer_encoding: bytes | None = None
        self.cache_control: bytes | None = None
        self.pragma: bytes | None = None
        self.if_none_match: bytes | None = None
        self.authorization: bytes | None = None
        self.x_api_key: bytes | None = None
        self.x_request_id: bytes | None = None

    @classmethod
    def of(cls, headers: Iterable[tuple[bytes, bytes]]) -> RequestHeaders:
        found = cls()
        for name, value in headers:
            if name == b"content-type":
                found.content_type = value
            elif name == b"content-length":
                found.content_length = value
            elif name == b"accept":
                found.accept = value
            elif name == b"origin":
                found.origin = value
            elif name == b"transfer-encoding":
                found.transfer_encoding = value
            elif name == b"cache-control":
                found.cache_control = value.lower()
            elif name == b"pragma":
                found.pragma = value.lower()
            elif name == b"if-none-match":
                found.if_none_match = value
            elif name == b"authorization":
                found.authorization = value
            elif name == b"x-api-key":
                found.x_api_key = value
            elif name == b"x-request-id" and found.x_request_id is None:
                found.x_request_id = value
        return found

    def no_store(self) -> bool:
        """``Cache-Control: no-store``: the answer may not be stored."""
        return self.cache_control is not None and b"no-store" in self.cache_control

    def no_cache(self) -> bool:
        """The request may not be answered from a cache: ``Cache-Control: no-cache`` or
        ``no-store``, or ``Pragma: no-cache``."""
        cache_control, pragma = self.cache_control, self.pragma
        return (cache_control is not None and (b"no-cache" in cache_control
                                               or b"no-store" in cache_control)) \
            or (pragma is not None and b"no-cache" in pragma)
