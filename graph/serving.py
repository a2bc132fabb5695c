"""The ``/graphql`` view: how one HTTP request is served, around strawberry's view.

``ProductGraphQL`` adds, in this order:

1. the response media type from ``Accept`` (graph/http_media.py): 406 NOT_ACCEPTABLE;
2. the body limit (``Content-Length`` first, then while reading): 413 REQUEST_TOO_LARGE;
   the body deadline (``PRODUCTGRAPH_BODY_TIMEOUT``): 408 REQUEST_TIMEOUT and the
   connection closed; a multipart request (``searchByImage(image:)``) must carry a
   preflight header (CSRF) and fit one image;
3. the request deadline (``PRODUCTGRAPH_REQUEST_TIMEOUT``), for slow execution: 504
   REQUEST_TIMEOUT; it is also handed to the channels (``channels.http.call_deadline``),
   which refuse a call with RATE_LIMITED and ``retryAfter`` at once when its budget slot
   would come too late;
4. the JSON itself (graph/request_body.py): bounded nesting and number length, strict
   UTF-8, an object (or a batch of objects): 400 with INVALID_JSON, REQUEST_TOO_DEEP,
   NUMBER_TOO_LONG, INVALID_ENCODING or BAD_REQUEST;
5. batches: at most ``max_operations`` operations (1 = batching off), else 400
   TOO_MANY_OPERATIONS;
6. per operation: GET only where allowed (405), persisted queries (graph/persisted.py),
   the parse/limits/validation verdict of ``graph.documents.DocumentCache`` and the cost
   estimate, all before anything executes; the query is prepared and its operation
   selected once, and both go to the plain path (graph/plain_execution.py);
7. on the result: ``extensions.cost {requested, actual}``, an ``extensions.code`` on every
   error, and in production no "Did you mean" text and no internal error messages;
8. the response cache (graph/response_cache.py), around all of it: a POST of JSON or a GET
   whose raw body (query string) and context are those of a fresh entry is answered with
   its bytes before anything is parsed; else the operation key is looked up once the
   query is known (a persisted query's text, another spelling); a query executed without
   errors under a cacheable freshness (resolvers/freshness.py) is stored and answered with
   ``ETag`` and ``Cache-Control``, anything else with ``Cache-Control: no-store``.

A refusal is a ``graph.refusal.RequestRefused``: a JSON body ``{"errors": [{message,
extensions: {code, requestId}}]}`` with its HTTP status. Syntax, validation and variable
errors (GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED / BAD_USER_INPUT, with the
request id) are answered as GraphQL over HTTP says for the negotiated media type: 200
for ``application/json``, 400 for ``application/graphql-response+json``. Anything else
that goes wrong is 500 INTERNAL_SERVER_ERROR, JSON, logged once with its traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import process_result as strawberry_process_result
from strawberry.http.types import HTTPMethod
from strawberry.schema import Schema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from channels.http import call_deadline
from graph.access import ApiKeys
from graph.documents import DocumentCache
from graph.http_media import GRAPHQL_RESPONSE_JSON, NEGOTIATED, negotiate
from graph.limits import actual_cost, check_cost, requested_cost
from graph.metrics import observe_operation
from graph.observability import current_stats
from graph.persisted import PersistedQueries
from graph.plain_execution import PreparedOperation, answer_cost, execute_plain
from graph.refusal import RequestRefused, refusal_response
from graph.request_body import check_request_shape, decode_request_json
from graph.request_headers import RequestHeaders
from graph.response_cache import (
    CachedResponse,
    HttpLookup,
    ResponseCache,
    ServeCached,
    api_key_context,
    buffered_body,
)
from graph.settings import Settings
from graph.tracing import end_operation_span, operation_span, tracing_active
from resolvers.context import Context, category_fetcher_for
from resolvers.fetcher import ProductFetcher
from resolvers.freshness import Freshness, begin_tracking, end_tracking, tracking
from resolvers.listings import MAX_IMAGE_BYTES
from resolvers.localization import Localization

log = logging.getLogger("productgraph.serving")
#: The results (by id) of this request that failed before execution (scope state).
_NOT_EXECUTED = "productgraph.not_executed"
#: The request's ``HttpLookup`` of the response cache (scope state).
_LOOKUP = "productgraph.response_cache"

#: The operation types a request may run, per (method, GET allows queries): strawberry's
#: ``OperationType.from_http``, made once.
_ALLOWED: dict[tuple[str, bool], frozenset[OperationType]] = {
    ("POST", True): frozenset(OperationType.from_http("POST")),
    ("POST", False): frozenset(OperationType.from_http("POST")),
    ("GET", True): frozenset(OperationType.from_http("GET")),
    ("GET", False): frozenset(OperationType.from_http("GET") - {OperationType.QUERY}),
}

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/graphiql/static"
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
_HTTP_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
               406: "NOT_ACCEPTABLE", 411: "LENGTH_REQUIRED", 413: "REQUEST_TOO_LARGE",
               415: "UNSUPPORTED_MEDIA_TYPE"}
#: The GraphiQL page loads only its own files (graph/static/, no inline script), talks only
#: to this server, and is never framed (clickjacking: it holds the API key headers).
#: Styles may be inline: GraphiQL and React set them as attributes.
GRAPHIQL_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "font-src 'self' data:; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; "
                               "object-src 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
#: Headers a cross-site HTML form cannot send; one must accompany a multipart request.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "graphql-preflight")
#: One image plus the operations and map fields.
MAX_MULTIPART_BYTES = MAX_IMAGE_BYTES + 64 * 1024


def strip_suggestions(message: str) -> str:
    """graphql-core's "Did you mean …?" hints name schema members: gone in production."""
    return _SUGGESTION.sub("", message)


def with_extensions(error: GraphQLError, message: str | None = None,
                    **extensions: Any) -> GraphQLError:
    return GraphQLError(message if message is not None else error.message,
                        nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, original_error=error.original_error,
                        extensions={**(error.extensions or {}), **extensions})


def with_code(error: GraphQLError, code: str, message: str | None = None) -> GraphQLError:
    return with_extensions(error, message, code=code)


def finish_error(error: GraphQLError, *, production: bool) -> GraphQLError:
    """The error as a client sees it: always an ``extensions.code``; in production no
    suggestion text, and no message of an exception that no resolver turned into a coded
    error (a bug: INTERNAL_SERVER_ERROR, details only in the server log)."""
    message = strip_suggestions(error.message) if production else error.message
    code = (error.extensions or {}).get("code")
    if code:
        return error if message == error.message else with_code(error, code, message)
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        return with_code(error, "INTERNAL_SERVER_ERROR",
                         "Internal server error" if production else message)
    # graphql-core's own pre-execution errors (variables that do not coerce, …).
    return with_code(error, "BAD_USER_INPUT", message)


class ProductGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with productgraph's per-request context, operation limits,
    modes and persisted queries."""

    #: The process's translations and rates (graph/app.py); None: the defaults.
    localization: Localization | None = None

    def __init__(self, schema: Schema, fetcher: ProductFetcher, settings: Settings,
                 persisted: PersistedQueries | None = None) -> None:
        serving = settings.serving
        #: The schema when it takes the plain path (``ProductGraphSchema.plain_path``).
        self.plain_schema = schema if getattr(schema, "plain_path", False) else None
        production = settings.production
        self.fetcher = fetcher
        #: The process's category fetcher beside ``fetcher`` (every context shares it).
        self.categories = category_fetcher_for(fetcher)
        self.max_ids = settings.max_ids
        self.limits = serving.limits
        self.production = production
        self.suggestions = not production
        self.request_timeout_s = serving.request_timeout_s
        self.body_timeout_s = serving.body_timeout_s
        self.persisted = persisted if persisted is not None else PersistedQueries()
        self.documents = DocumentCache(
            schema._schema, serving.limits, suggestions=self.suggestions,
            introspection=serving.switch("introspection", production))
        super().__init__(
            schema,
            graphql_ide="graphiql" if serving.switch("graphiql", production) else None,
            allow_queries_via_get=serving.switch("allow_get", production),
            # The GraphQL multipart request spec carries `searchByImage(image:)`.
            multipart_uploads_enabled=True,
            # Subscriptions (graph/subscriptions.py): over WebSocket, and over HTTP as Apollo
            # Router federates them (`Accept: multipart/mixed;subscriptionSpec="1.0"`).
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,
                                    MULTIPART_SUBSCRIPTION_PROTOCOL))
        #: The process's watch feature (set by ``create_app``), and the API keys a
        #: WebSocket connection must present (HTTP requests are checked by graph/access.py).
        self.watch: Any = None
        self.ws_keys: Any = None
        cached = settings.response_cache
        keys_configured = bool(ApiKeys(serving.api_keys))
        #: Answers replayed for identical operations (None: ``PRODUCTGRAPH_RESPONSE_CACHE``
        #: off); its clock is replaceable (tests).
        self.response_cache = ResponseCache(
            max_bytes=cached.max_bytes, max_entries=cached.max_entries,
            max_ttl_s=cached.max_ttl_s, private=keys_configured) if cached.enabled else None
        #: The response cache's context key of a request (graph/fast_lane.py too).
        self.identify_context = api_key_context(keys_configured)

    # -- the HTTP request -------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response: Response | None = None
        cached: CachedResponse | None = None
        media_type = self._negotiate(scope)
        scope.setdefault("state", {})[NEGOTIATED] = media_type or "application/json"
        lookup = self._begin_lookup(scope, media_type)
        # The channels refuse at once (RATE_LIMITED + retryAfter) a call whose budget slot
        # would come too late for this request, instead of waiting into its timeout; a
        # margin is left to build the answer.
        deadline = call_deadline.set(
            time.monotonic() + self.request_timeout_s - min(1.0, 0.1 * self.request_timeout_s))
        try:
            if media_type is None:
                raise RequestRefused(
                    406, "NOT_ACCEPTABLE", "Accept allows neither application/json nor "
                    f"{GRAPHQL_RESPONSE_JSON}, the media types GraphQL over HTTP answers "
                    "with.")
            limited = self._limited_receive(scope, receive)
            async with asyncio.timeout(self.request_timeout_s):
                if lookup is not None:
                    cached, limited = await self._read_cached(scope, lookup, limited)
                if cached is None:
                    try:
                        response = await self.run(Request(scope, receive=limited))
                    except HTTPException as exc:
                        raise RequestRefused(exc.status_code,
                                             _HTTP_CODES.get(exc.status_code, "BAD_REQUEST"),
                                             exc.reason) from None
                    except ServeCached as hit:   # the operation key hit (execute_single)
                        cached = hit.entry
                        if lookup is not None and lookup.raw is not None:
                            lookup.cache.alias(lookup.raw, hit.key)
        except RequestRefused as refusal:
            response = self._refuse(scope, refusal)
        except TimeoutError:
            response = self._refuse(scope, RequestRefused(
                504, "REQUEST_TIMEOUT",
                f"The request did not finish within {self.request_timeout_s:g} s."))
        except Exception:  # a bug: coded, logged once, never a plain-text 500
            stats = current_stats()
            log.exception("request %s failed", stats.request_id if stats else "-")
            response = self._refuse(scope, RequestRefused(
                500, "INTERNAL_SERVER_ERROR", "Internal server error"))
        finally:
            call_deadline.reset(deadline)
        if lookup is not None:
            if cached is None and response is not None:
                cached = self._store(lookup, response)
            if cached is not None:
                await lookup.replay(cached, send)
                return
        assert response is not None
        await response(scope, receive, send)

    # -- the response cache ------------------------------------------------------------

    def _begin_lookup(self, scope: Scope, media_type: str | None) -> HttpLookup | None:
        """The request's lookup; ``None``: the cache is off, a refusal is coming (406), or
        the request is no operation (GraphiQL's page) or not JSON (multipart)."""
        cache = self.response_cache
        if cache is None or media_type is None:
            return None
        method = scope.get("method", "")
        if method == "GET":
            query_string = scope.get("query_string", b"")
            if b"query=" not in query_string and b"extensions=" not in query_string:
                return None
        lookup = HttpLookup.begin(cache, method, RequestHeaders.of(scope.get("headers", ())),
                                  media_type, self.identify_context)
        if lookup is not None:
            scope["state"][_LOOKUP] = lookup
        return lookup

    async def _read_cached(self, scope: Scope, lookup: HttpLookup, receive: Receive
                           ) -> tuple[CachedResponse | None, Receive]:
        """The fresh entry of the request's raw key, if any, and the ``receive`` that
        executing it reads (a POST's body, read here within the limits, then replayed)."""
        if lookup.method == b"GET":
            return lookup.read(scope.get("query_string", b"")), receive
        body, replay = await buffered_body(receive)
        return lookup.read(body), replay

    def _store(self, lookup: HttpLookup, response: Response) -> CachedResponse | None:
        """The entry of an executed answer; ``None``, and ``no-store`` on the answer
        (unless it says otherwise already), when it may not be stored."""
        entry = lookup.finish(response.status_code, response.body,
                              response.headers.get("content-type", ""))
        if entry is None and "cache-control" not in response.headers:
            response.headers["cache-control"] = "no-store"
        return entry

    def _negotiate(self, scope: Scope) -> str | None:
        headers = dict(scope.get("headers", []))
        accept = headers.get(b"accept")
        text = accept.decode("latin-1") if accept is not None else None
        # A subscription over HTTP multipart (graph/subscriptions.py) streams its parts
        # as strawberry's transport writes them; a refusal before it is JSON.
        if text is not None and self._get_stream_transport_from_headers({"accept": text}):
            return "application/json"
        # GET with ``Accept: text/html`` and no operation is GraphiQL's page.
        return negotiate(text, html_ok=scope.get("method") == "GET")

    def _refuse(self, scope: Scope, refusal: RequestRefused) -> Response:
        stats = current_stats()
        if stats is not None:
            stats.error_codes.append(refusal.code)
        return refusal_response(refusal, media_type=scope["state"][NEGOTIATED])

    def body_limit(self, scope: Scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-type" and value.startswith(b"multipart/"):
                return max(MAX_MULTIPART_BYTES, self.limits.max_body_bytes)
        return self.limits.max_body_bytes

    def _limited_receive(self, scope: Scope, receive: Receive) -> Receive:
        limit = self.body_limit(scope)
        too_large = RequestRefused(
            413, "REQUEST_TOO_LARGE", f"The request body is larger than {limit} bytes.")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    raise RequestRefused(400, "BAD_REQUEST", "Invalid Content-Length") from None
                if declared > limit:
                    raise too_large
        received = 0
        body_done = False
        loop = asyncio.get_running_loop()
        body_deadline = loop.time() + self.body_timeout_s

        async def limited() -> Any:
            nonlocal received, body_done
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout_at(body_deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestRefused(
                    408, "REQUEST_TIMEOUT",
                    f"The request body did not arrive within {self.body_timeout_s:g} s.",
                    {"Connection": "close"}) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large
                body_done = not message.get("more_body", False)
            return message

        return limited

    # -- the request's JSON ------------------------------------------------------------

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        """Every JSON a request carries (the body, multipart ``operations`` and ``map``,
        GET ``variables``/``extensions``) is an object, or a batch of objects."""
        value = decode_request_json(data)
        check_request_shape(value)
        return value

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        params = dict(params)
        for name in ("variables", "extensions"):
            if params.get(name) == "null":
                params[name] = None
        return super().parse_query_params(params)

    async def get_sub_response(self, request: Any) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = request.scope.get("state", {}).get(NEGOTIATED)
        return sub_response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE_JSON:
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
        return response

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """CSRF and size guard for multipart. ``multipart/form-data`` is a "simple" content
        type: a browser sends it cross-site from any page's form without a CORS preflight,
        and this strawberry version does not check. So a multipart request must carry a
        header no plain form can set (``Apollo-Require-Preflight`` or
        ``X-Apollo-Operation-Name``, as Apollo clients send; ``GraphQL-Preflight``), which
        forces the preflight; and its declared length must fit one image upload."""
        headers = request.headers
        if not any(headers.get(name) for name in PREFLIGHT_HEADERS):
            raise HTTPException(400, "multipart requests must carry an "
                                     "Apollo-Require-Preflight: true header (CSRF protection)")
        try:
            length = int(headers.get("content-length") or "")
        except ValueError:
            raise HTTPException(411, "multipart requests need a Content-Length") from None
        if length > MAX_MULTIPART_BYTES:
            raise HTTPException(413, f"multipart requests are at most {MAX_MULTIPART_BYTES} "
                                     "bytes (one image of at most 5 MB)")
        return await super().parse_multipart(request)

    def encode_json(self, data: object) -> bytes:
        """Response bodies through orjson, the fastest encoder measured on a product page
        (bench/README.md). The data holds only JSON types (scalars serialize to str, int,
        float, bool); ``json.dumps`` stays for request bodies, whose big integers it keeps
        exact."""
        return orjson.dumps(data)

    # -- GraphiQL ----------------------------------------------------------------------

    def should_render_graphql_ide(self, request: Any) -> bool:
        params = request.query_params
        return (request.method == "GET" and params.get("query") is None
                and params.get("extensions") is None
                and "text/html" in request.headers.get("accept", ""))

    async def render_graphql_ide(self, request: Request) -> Response:
        page = (STATIC_DIR / "graphiql.html").read_text(encoding="utf-8")
        static = request.scope.get("root_path", "") + STATIC_PATH
        return HTMLResponse(page.replace("{{STATIC}}", static), headers=GRAPHIQL_HEADERS)

    # -- operations --------------------------------------------------------------------

    def _validate_batch_request(self, request_data: list[Any], protocol: Any) -> None:
        limit = self.limits.max_operations
        if limit <= 1:
            raise RequestRefused(400, "TOO_MANY_OPERATIONS",
                                 "Batched requests are off on this server: send one operation "
                                 "per request.")
        if len(request_data) > limit:
            raise RequestRefused(400, "TOO_MANY_OPERATIONS",
                                 f"A batch holds at most {limit} operations; this one has "
                                 f"{len(request_data)}.")

    async def get_context(self, request: Any, response: Any) -> Context:
        return self.new_context(request, response)

    def new_context(self, request: Any = None, response: Any = None) -> Context:
        """A request's context: its own loaders over the process's fetcher."""
        context = Context(fetcher=self.fetcher, registry=self.fetcher.registry,
                          max_ids=self.max_ids, request=request, response=response,
                          watch=self.watch, categories=self.categories)
        if self.localization is not None:  # set by graph/app.py from the settings
            context.localization = self.localization
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        """With API keys configured a WebSocket presents one: in the ``connection_init``
        payload (``{"apiKey": …}`` or ``{"Authorization": "Bearer …"}``) or on the upgrade
        request's headers; otherwise the connection is closed with 4403."""
        if not self.ws_keys:
            return await super().on_ws_connect(context)
        from starlette.datastructures import Headers
        from strawberry.exceptions import ConnectionRejectionError

        params = context.connection_params if isinstance(context.connection_params,
                                                         dict) else {}
        raw = {k.lower(): str(v) for k, v in params.items() if isinstance(v, str)}
        if "apikey" in raw:
            raw["x-api-key"] = raw.pop("apikey")
        upgrade = getattr(context.request, "headers", {})
        headers = Headers(raw or {k: v for k, v in upgrade.items()})
        try:
            self.ws_keys.identify(headers)
        except RequestRefused:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        return await super().on_ws_connect(context)

    async def execute_single(
        self, request: Request, request_adapter: Any, sub_response: Any, context: Context,
        root_value: Any, request_data: Any,
    ) -> ExecutionResult:
        started = time.perf_counter()
        if request_adapter.method == "GET" and not self.allow_queries_via_get:
            raise RequestRefused(405, "METHOD_NOT_ALLOWED",
                                 "Operations over GET are off on this server: POST them as "
                                 "JSON.", {"Allow": "POST"})
        query = await self.persisted.resolve(request_data.query, request_data.extensions)
        if query is None:  # strawberry answers "No GraphQL query found in the request"
            return await super().execute_single(request, request_adapter, sub_response,
                                                context, root_value, request_data)
        lookup: HttpLookup | None = request.scope.get("state", {}).get(_LOOKUP)
        key = None
        if lookup is not None:
            lookup.operations += 1
            # A name or variables of the wrong JSON type are refused below, uncached.
            if isinstance(request_data.operation_name, str | None) \
                    and isinstance(request_data.variables, dict | None):
                key = lookup.cache.key(query, request_data.operation_name,
                                       request_data.variables, lookup.media_type,
                                       lookup.context_key)
                entry = lookup.cache.get(key) if lookup.may_read else None
                if entry is not None and lookup.operations == 1:
                    raise ServeCached(entry, key)
        try:
            prepared = self.documents.prepare(query)
        except GraphQLSyntaxError as exc:
            # Answered here, strawberry never sees it: counted here.
            observe_operation(time.perf_counter() - started, [exc], None)
            return self._request_error(request, sub_response, self._finish(ExecutionResult(
                data=None, errors=[with_code(exc, "GRAPHQL_PARSE_FAILED")]), None))
        operation = PreparedOperation.select(query, prepared.document,
                                             request_data.operation_name)
        requested = requested_cost(prepared.document, operation.operation,
                                   request_data.variables)
        check_cost(requested, self.limits)
        if prepared.errors:
            observe_operation(time.perf_counter() - started, prepared.errors, None)
            return self._request_error(request, sub_response, self._finish(ExecutionResult(
                data=None,
                errors=[with_code(e, "GRAPHQL_VALIDATION_FAILED") for e in prepared.errors]),
                None))

        result = await self.run_prepared(
            request_adapter.method, operation, context, root_value, request_data.variables,
            request_data.extensions, requested,
            lookup.freshness if lookup is not None else None)
        if not_executed(result):
            return self._request_error(request, sub_response, result)
        selected = operation.operation
        if lookup is not None and not result.errors and selected is not None \
                and selected.operation.value == "query":
            # Only now is the answer a candidate (stored if its freshness allows).
            lookup.key = key
            lookup.operation = selected.name.value if selected.name else "anonymous"
        return result

    async def run_prepared(self, method: HTTPMethod, operation: PreparedOperation,
                           context: Context, root_value: Any,
                           variables: dict[str, Any] | None,
                           extensions: dict[str, Any] | None,
                           requested: int, freshness: Freshness | None = None
                           ) -> ExecutionResult:
        """Run a prepared, valid, affordable operation: counted, traced, executed (its reads
        noted in ``freshness``, for the response cache) and finished (cost, coded errors);
        also the fast lane's (graph/fast_lane.py)."""
        selected = operation.operation
        name = selected.name.value if selected and selected.name else None
        stats = current_stats()
        if stats is not None:
            stats.operations.append(name or "anonymous")
        if tracing_active():
            kind = selected.operation.value if selected else None
            with operation_span(name, kind, stats.request_id if stats else None) as span:
                with tracking(freshness) if freshness is not None \
                        else contextlib.nullcontext():
                    result = await self._execute(method, operation, context, root_value,
                                                 variables, extensions)
                result = self._finish(result, requested)
                end_operation_span(span, result)
            return result
        # No span would record anything (``operation_span`` yields ``None``): the same
        # steps without its context managers.
        token = begin_tracking(freshness) if freshness is not None else None
        try:
            result = await self._execute(method, operation, context, root_value, variables,
                                         extensions)
        finally:
            if token is not None:
                end_tracking(token)
        return self._finish(result, requested)

    def _request_error(self, request: Request, sub_response: Any,
                       result: ExecutionResult) -> ExecutionResult:
        """A request that failed before execution started: its errors carry the request
        id, and with ``application/graphql-response+json`` the status is 400 and the body
        has no ``data`` entry (``application/json`` keeps ``"data": null``)."""
        with_request_id(result)
        if getattr(sub_response, "media_type", None) == GRAPHQL_RESPONSE_JSON:
            sub_response.status_code = 400
            request.scope["state"].setdefault(_NOT_EXECUTED, set()).add(id(result))
        return result

    async def _execute(self, method: HTTPMethod, operation: PreparedOperation, context: Context,
                       root_value: Any, variables: dict[str, Any] | None,
                       extensions: dict[str, Any] | None) -> ExecutionResult:
        """Run the prepared operation: the plain path when the schema allows it, else
        strawberry's own ``execute``; strawberry's refusals as its view answers them."""
        allowed: AbstractSet[OperationType] | None = _ALLOWED.get(
            (method, self.allow_queries_via_get))
        if allowed is None:
            allowed = OperationType.from_http(method)
            if not self.allow_queries_via_get and method == "GET":
                allowed = allowed - {OperationType.QUERY}
        try:
            if self.plain_schema is not None:
                return await execute_plain(
                    self.plain_schema, operation, variable_values=variables,
                    context_value=context, root_value=root_value,
                    allowed_operation_types=allowed, operation_extensions=extensions)
            return await self.schema.execute(
                operation.query, root_value=root_value, variable_values=variables,
                context_value=context, operation_name=operation.name,
                allowed_operation_types=allowed, operation_extensions=extensions)
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason(method)) from exc

    def _finish(self, result: ExecutionResult, requested: int | None) -> ExecutionResult:
        if requested is not None:
            counted = answer_cost(result)
            cost = {"requested": requested,
                    "actual": actual_cost(result.data) if counted is None else counted}
            extensions = result.extensions
            result.extensions = {**extensions, "cost": cost} if extensions \
                else {"cost": cost}
        errors = [finish_error(e, production=self.production) for e in result.errors or ()]
        result.errors = errors or None
        stats = current_stats()
        if stats is not None:
            stats.error_codes.extend(str((e.extensions or {}).get("code")) for e in errors)
            if requested is not None:
                stats.cost.append(cost)
        return result

    async def process_result(self, request: Any, result: ExecutionResult) -> Any:
        data = await super().process_result(request, result)
        if id(result) in request.scope.get("state", {}).get(_NOT_EXECUTED, ()):
            data.pop("data", None)
        return self._last_word(data)

    def _last_word(self, data: Any) -> Any:
        if not self.suggestions:  # the last word: nothing names a schema member by guess
            for error in data.get("errors") or ():
                if isinstance(error, dict):
                    error["message"] = strip_suggestions(str(error.get("message", "")))
        return data

    def answer_data(self, result: ExecutionResult, media_type: str
                    ) -> tuple[dict[str, Any], int]:
        """The JSON answer of ``run_prepared``'s result and its status, as this view's
        ``execute_single``, ``process_result`` and the negotiated ``media_type`` make
        them (graph/fast_lane.py)."""
        status = 200
        if not_executed(result):
            with_request_id(result)
        data = strawberry_process_result(result)
        if media_type == GRAPHQL_RESPONSE_JSON and not_executed(result):
            status = 400
            data.pop("data", None)
        return self._last_word(data), status


def not_executed(result: ExecutionResult) -> bool:
    """Nothing executed: the variables did not coerce (no error has a path)."""
    return result.data is None and bool(result.errors) \
        and all(error.path is None for error in result.errors or ())


def with_request_id(result: ExecutionResult) -> None:
    """The request id on each error of a request that failed before execution."""
    stats = current_stats()
    if stats is not None:
        result.errors = [with_extensions(e, requestId=stats.request_id)
                         for e in result.errors or ()]
