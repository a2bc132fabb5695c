"""A request refused before execution: an HTTP status, a GraphQL-shaped body with
``extensions.code`` and ``extensions.requestId``, and headers (``Retry-After``,
``WWW-Authenticate`` …).

Raised by the limits, the request-body checks, access control and persisted-query checks;
the view and the access middleware turn it into the response with ``refusal_response``.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from graph.observability import current_stats


class RequestRefused(Exception):
    """Refused with ``status`` and a coded error; nothing of the operation ran."""

    def __init__(self, status: int, code: str, message: str,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def as_error(self) -> dict[str, object]:
        extensions: dict[str, object] = {"code": self.code}
        stats = current_stats()
        if stats is not None:
            extensions["requestId"] = stats.request_id
        return {"message": self.message, "extensions": extensions}


def refusal_response(refusal: RequestRefused, headers: Mapping[str, str] | None = None,
                     media_type: str = "application/json") -> JSONResponse:
    return JSONResponse({"errors": [refusal.as_error()]}, status_code=refusal.status,
                        headers={**refusal.headers, **(headers or {})},
                        media_type=media_type)
