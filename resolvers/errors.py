"""How failures reach a GraphQL client: a message that names what went wrong and
``extensions.code`` (plus the channel, the upstream request id and sub-code when known).

    GraphQLError (graphql-core)
     ├── UserInputError          BAD_USER_INPUT, or the code given (TOO_MANY_IDS,
     │                           INVALID_CURSOR, INVALID_REPRESENTATION …); names the argument
     └── to_graphql_error(exc)   a channel's typed error (``channels.errors``) with its code,
                                 channel, request id; anything else INTERNAL_SERVER_ERROR

The resolvers raise these, or put them in the slot of a failed id; ``graph/`` lets
graphql-core place them. A request refused before execution is ``graph.refusal``'s.
"""

from __future__ import annotations

from graphql import GraphQLError

from channels.errors import BadRequest, ChannelError


class UserInputError(GraphQLError):
    """A bad argument; the message names it."""

    def __init__(self, message: str, *, argument: str | None = None,
                 code: str = "BAD_USER_INPUT") -> None:
        extensions: dict[str, object] = {"code": code}
        if argument:
            extensions["argument"] = argument
        super().__init__(message, extensions=extensions)


def to_graphql_error(exc: BaseException, *, argument: str | None = None) -> GraphQLError:
    """A ``GraphQLError`` carrying the typed error's code; unknown errors stay opaque."""
    if isinstance(exc, GraphQLError):
        return exc
    if isinstance(exc, ChannelError):
        extensions = exc.extensions()
        if isinstance(exc, BadRequest):
            extensions["code"] = "BAD_USER_INPUT"
        if argument:
            extensions["argument"] = argument
        return GraphQLError(exc.message, extensions=extensions, original_error=exc)
    return GraphQLError("Internal server error", extensions={"code": "INTERNAL_SERVER_ERROR"},
                        original_error=exc if isinstance(exc, Exception) else None)
