"""GraphQL over HTTP's media types: which one a request's ``Accept`` asks for.

The spec (graphql.github.io/graphql-over-http) defines two response media types:

- ``application/json``: the legacy one. Every well-formed request is answered 200, its
  parse, validation and variable errors in ``errors``;
- ``application/graphql-response+json``: the status says what happened. A request that
  fails before execution starts (a syntax error, a validation error, variables that do
  not coerce) is 400 with ``errors`` and no ``data``; once execution started it is 200.

No ``Accept``, ``*/*`` or ``application/*`` means ``application/json``, as the spec says
servers should during its watershed. An ``Accept`` that allows neither is 406
NOT_ACCEPTABLE. On equal quality the newer type wins: clients list it first.
"""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
NEGOTIATED = "productgraph.media_type"
#: On equal quality the higher wins.
_PREFERENCE = {GRAPHQL_RESPONSE_JSON: 2, APPLICATION_JSON: 1}


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept: str | None, *, html_ok: bool = False) -> str | None:
    """The response media type for ``accept``, or ``None`` when none fits (406)."""
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    best: tuple[float, int] = (0.0, 0)
    chosen: str | None = None
    for entry in accept.split(","):
        kind, *parameters = entry.split(";")
        kind = kind.strip().lower()
        quality = _quality(parameters)
        if quality <= 0:
            continue
        if kind in _PREFERENCE:
            candidate = kind
        elif kind in ("*/*", "application/*") or (html_ok and kind == "text/html"):
            candidate = APPLICATION_JSON
        else:
            continue
        rank = (quality, _PREFERENCE[candidate])
        if rank > best:
            best, chosen = rank, candidate
    return chosen
