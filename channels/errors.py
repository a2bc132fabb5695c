"""Typed errors every channel raises or returns, each with the public ``code`` it maps to.

    ChannelError                      code
     ├── InvalidId                    INVALID_ID
     ├── NotFound                     NOT_FOUND
     ├── CapabilityNotSupported       CAPABILITY_NOT_SUPPORTED
     ├── BadRequest                   BAD_REQUEST
     ├── PageDepthExceeded            PAGE_DEPTH_EXCEEDED (a listing paged past its limit)
     └── UpstreamFailure              (an upstream call went wrong)
          ├── UpstreamError           UPSTREAM_ERROR
          │    └── CircuitOpen        UPSTREAM_ERROR   (not sent: circuit open, breaker.py)
          ├── UpstreamTimeout         UPSTREAM_TIMEOUT
          ├── RateLimited             RATE_LIMITED     (+ retry_after seconds)
          ├── Unauthenticated         UNAUTHENTICATED  (bad key, secret, token or session)
          └── PermissionDenied        FORBIDDEN

Adapters map an upstream's status and error body to the most specific class through one
table per upstream, never by matching on human-readable messages. Messages are written for
the API's users: they name what went wrong and never carry a secret, session or token.
"""

from __future__ import annotations

from typing import Any

from channels.model import Channel


class ChannelError(Exception):
    code = "INTERNAL_ERROR"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        channel: Channel | None = None,
        request_id: str | None = None,
        sub_code: str | None = None,
        upstream_code: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.channel = channel
        self.request_id = request_id
        self.sub_code = sub_code
        self.upstream_code = upstream_code
        self.http_status = http_status
        self.retry_after = retry_after
        if retryable is not None:
            self.retryable = retryable

    def extensions(self) -> dict[str, Any]:
        """The ``extensions`` of a GraphQL error for this failure; no secret is ever here."""
        ext: dict[str, Any] = {"code": self.code}
        if self.channel is not None:
            ext["channel"] = self.channel.name
        if self.request_id:
            ext["requestId"] = self.request_id
        if self.upstream_code is not None:
            ext["upstreamCode"] = self.upstream_code
        if self.sub_code:
            ext["subCode"] = self.sub_code
        if self.retry_after is not None:
            ext["retryAfter"] = round(self.retry_after, 3)
        return ext

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code})"


class InvalidId(ChannelError):
    code = "INVALID_ID"


class NotFound(ChannelError):
    code = "NOT_FOUND"


class CapabilityNotSupported(ChannelError):
    code = "CAPABILITY_NOT_SUPPORTED"


class BadRequest(ChannelError):
    code = "BAD_REQUEST"


class PageDepthExceeded(ChannelError):
    """A listing was paged deeper than the upstream allows (TOP: ``page_no*page_size``)."""

    code = "PAGE_DEPTH_EXCEEDED"


class UpstreamFailure(ChannelError):
    code = "UPSTREAM_ERROR"


class UpstreamError(UpstreamFailure):
    code = "UPSTREAM_ERROR"


class UpstreamTimeout(UpstreamFailure):
    code = "UPSTREAM_TIMEOUT"
    retryable = True


class RateLimited(UpstreamFailure):
    code = "RATE_LIMITED"


class Unauthenticated(UpstreamFailure):
    code = "UNAUTHENTICATED"


class PermissionDenied(UpstreamFailure):
    code = "FORBIDDEN"
