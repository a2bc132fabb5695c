"""Parse, limit-check and validate each query text once; hand strawberry the result.

``DocumentCache.prepare(query)`` parses with the token limit, applies the shape limits of
``graph.limits`` and validates against the schema (without "Did you mean" suggestions,
and without introspection, when the mode says so). Its verdict depends only on the query
text and the settings, so it is kept in a bounded LRU keyed by the query's SHA-256: a
refused query is refused again without parsing, a good one is not parsed again.

The view prepares each query with its own cache and hands the document to the plain path
(graph/plain_execution.py). ``PreparedDocumentExtension`` does the same for what takes
strawberry's own path (a direct ``schema.execute`` of a query that is not valid, a schema
the plain path does not apply to): it asks the schema's cache
(``ProductGraphSchema.documents``, default limits) for the query's verdict, so strawberry
never parses or validates a repeated operation, and an operation over the limits is
refused there too.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    ValidationRule,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from graph.limits import OperationLimits, check_document, parse_operation
from graph.refusal import RequestRefused

#: Federation's SDL field: the whole schema, so it counts as introspection.
SERVICE_FIELDS = frozenset({"_service"})


class NoServiceSdlRule(ValidationRule):
    """Refuses ``_service { sdl }`` (the subgraph's full SDL) when introspection is off.
    Compose the supergraph from the committed schema.graphql instead."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value in SERVICE_FIELDS:
            self.report_error(GraphQLError(
                "GraphQL introspection has been disabled, but the requested query "
                f"contained the field '{node.name.value}'.", node))


@dataclass(frozen=True)
class PreparedDocument:
    document: DocumentNode
    errors: tuple[GraphQLError, ...]   # validation errors; empty when the query is valid


class DocumentCache:
    """Query text → parsed, limit-checked, validated document (or the refusal)."""

    def __init__(self, schema: GraphQLSchema, limits: OperationLimits, *,
                 introspection: bool, suggestions: bool, size: int = 1000) -> None:
        self.schema = schema
        self.limits = limits
        self.suggestions = suggestions
        self.rules = (*specified_rules, MaybeNullValidationRule, OneOfInputValidationRule)
        if not introspection:
            self.rules = (*self.rules, NoSchemaIntrospectionCustomRule, NoServiceSdlRule)
        self.size = size
        self._entries: OrderedDict[bytes, PreparedDocument | Exception] = OrderedDict()

    def prepare(self, query: str) -> PreparedDocument:
        """Raise ``RequestRefused`` (a limit) or ``GraphQLSyntaxError``; else the document
        with its validation errors."""
        key = hashlib.sha256(query.encode()).digest()
        entry = self._entries.get(key)
        if entry is None:
            entry = self._prepare(query)
            self._entries[key] = entry
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        if isinstance(entry, Exception):
            raise entry
        return entry

    def _prepare(self, query: str) -> PreparedDocument | Exception:
        try:
            document = parse_operation(query, self.limits)
            check_document(document, self.limits)
        except (RequestRefused, GraphQLSyntaxError) as exc:
            exc.__traceback__ = None  # cached: keep no frames alive
            return exc
        errors = validate(self.schema, document, self.rules,
                          hide_suggestions=not self.suggestions)
        return PreparedDocument(document, tuple(errors))


class PreparedDocumentExtension(SchemaExtension):
    """Hands strawberry the cached document and validation verdict of the query, so a
    repeated operation is neither parsed nor validated again. A query over the limits is
    refused with its code; a syntax error is left to strawberry's own parse to report."""

    _prepared: PreparedDocument | None = None

    def _documents(self) -> DocumentCache | None:
        documents = getattr(self.execution_context.schema, "documents", None)
        return documents if isinstance(documents, DocumentCache) else None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        documents = self._documents()
        if context.query is not None and context.graphql_document is None \
                and documents is not None:
            try:
                self._prepared = documents.prepare(context.query)
            except RequestRefused as refusal:
                raise GraphQLError(refusal.message,
                                   extensions={"code": refusal.code}) from None
            except GraphQLSyntaxError:
                pass  # strawberry parses it and reports the error as usual
            else:
                context.graphql_document = self._prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        if self._prepared is not None:
            self.execution_context.pre_execution_errors = list(self._prepared.errors)
        yield
