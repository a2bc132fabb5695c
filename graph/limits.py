"""Operation limits: refuse an expensive or hostile operation before any resolver runs.

Every check here is a pure function of a parsed document (plus the limits and, for the
cost, the variables), with no schema and no I/O, so its verdict can be cached with the
parsed document. The order the view applies them, cheapest first:

    body size (while reading, graph/serving.py) → REQUEST_TOO_LARGE (413)
    parse_operation: token count, while lexing  → MAX_TOKENS_LIMIT (400)
                     numbers of > 64 digits     → NUMBER_TOO_LONG (400)
    check_document: depth, aliases, root fields, directives per field
                                                → MAX_DEPTH_LIMIT, MAX_ALIASES_LIMIT,
                                                  MAX_ROOT_FIELDS_LIMIT, MAX_DIRECTIVES_LIMIT
    requested_cost (needs the variables)        → COST_ESTIMATED_TOO_EXPENSIVE
    validation (graphql-core, in the view)      → GRAPHQL_VALIDATION_FAILED

Fragments are expanded where they are spread (aliases inside a fragment spread five times
count five times), each fragment is measured once (a "fragment bomb" costs linear time),
and a fragment that spreads itself contributes nothing to the walk: validation refuses it
(``NoFragmentCyclesRule``) and the walker never loops.

The cost: every field costs 1; a field with ``first``/``last`` (a page size) or
``ids``/``representations`` (a list of keys) returns that many items, so what is selected
under it counts that many times. ``actual_cost`` recounts the same way from the data that
came back: one per field value present, per list item.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    parse,
)

from graph.refusal import RequestRefused

#: Arguments whose value is the number of items a list field returns.
PAGE_SIZE_ARGUMENTS = ("first", "last")
KEY_LIST_ARGUMENTS = ("ids", "representations")

# GraphQL's lexical tokens (comments included, commas ignored), for a C-speed count that
# stops at the limit: graphql-core's lexer is Python, slow on a long hostile query.
_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'            # block string
    r'|"(?:[^"\\\n]|\\.)*"'                     # string
    r"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"  # number
    r"|[_A-Za-z][_0-9A-Za-z]*"                     # name
    r"|\.\.\.|[!$&()\[\]{}:=@|]"                   # punctuators
    r"|#[^\n\r]*"                                  # comment
)

#: Longer than any Int (32 bits) or Float a client means; Python refuses to convert an
#: integer of 4,300 digits or more, and graphql-core converts every Int literal.
MAX_NUMBER_DIGITS = 64
# Strings and comments (skipped), or a digit run too long for a number.
_LONG_NUMBER = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n\r]*'
    r"|(?<![_0-9A-Za-z])([0-9]{" + str(MAX_NUMBER_DIGITS + 1) + ",})")

# Nested fields plus fragment spreads: past this the walk stops whatever max_depth is, so
# a chain of thousands of fragments cannot exhaust the interpreter's stack.
_MAX_NESTING = 200


@dataclass(frozen=True)
class OperationLimits:
    """The limits, all configurable (``PRODUCTGRAPH_MAX_*``); see docs/operations.md."""

    max_body_bytes: int = 2 * 1024 * 1024
    max_tokens: int = 4000
    max_depth: int = 15
    max_aliases: int = 30
    max_root_fields: int = 20
    max_directives: int = 5
    max_operations: int = 1
    max_cost: int = 20_000


def refused(code: str, message: str, status: int = 400) -> RequestRefused:
    return RequestRefused(status, code, message)


def parse_operation(query: str, limits: OperationLimits) -> DocumentNode:
    """Parse ``query``, refusing it when it has more than ``max_tokens`` tokens (comments
    count): first by a regex count that stops at the limit, then by graphql-core's parser
    itself (``max_tokens``), which aborts as soon as it reads one token too many. A
    syntax error is graphql-core's ``GraphQLSyntaxError``."""
    if sum(1 for _ in islice(_TOKEN.finditer(query), limits.max_tokens + 1)) \
            > limits.max_tokens:
        raise _too_many_tokens(limits)
    if any(match.group(1) for match in _LONG_NUMBER.finditer(query)):
        raise refused("NUMBER_TOO_LONG",
                      f"The operation holds a number of more than {MAX_NUMBER_DIGITS} digits.")
    try:
        return parse(query, max_tokens=limits.max_tokens)
    except GraphQLSyntaxError as exc:
        if "tokens. Parsing aborted" in exc.message:
            raise _too_many_tokens(limits) from None
        raise


def _too_many_tokens(limits: OperationLimits) -> RequestRefused:
    return refused("MAX_TOKENS_LIMIT",
                   f"The operation has more than {limits.max_tokens} tokens; parsing aborted.")


@dataclass
class _Shape:
    depth: int = 0
    aliases: int = 0
    fields: int = 0          # field selections at this level, fragments expanded
    directives: int = 0      # the most directives on one selection


class _ShapeWalker:
    def __init__(self, document: DocumentNode, limits: OperationLimits) -> None:
        self.limits = limits
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.memo: dict[str, _Shape] = {}
        self.visiting: set[str] = set()

    def selection_set(self, node: SelectionSetNode | None, level: int) -> _Shape:
        shape = _Shape()
        if node is None:
            return shape
        if level > _MAX_NESTING:
            raise refused("MAX_DEPTH_LIMIT",
                          f"The operation nests fields and fragments more than {_MAX_NESTING} "
                          "levels deep.")
        for selection in node.selections:
            shape.directives = max(shape.directives, len(selection.directives or ()))
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set, level + 1)
                shape.depth = max(shape.depth, inner.depth + 1)
                shape.aliases += inner.aliases + (selection.alias is not None)
                shape.fields += 1
            else:
                if isinstance(selection, FragmentSpreadNode):
                    inner = self.fragment(selection.name.value, level + 1)
                elif isinstance(selection, InlineFragmentNode):
                    inner = self.selection_set(selection.selection_set, level + 1)
                else:  # pragma: no cover - graphql-core has no other selection kind
                    continue
                shape.depth = max(shape.depth, inner.depth)
                shape.aliases += inner.aliases
                shape.fields += inner.fields
            shape.directives = max(shape.directives, inner.directives)
            # Refuse as soon as a limit is passed: no need to measure the rest.
            if shape.depth > self.limits.max_depth:
                raise refused("MAX_DEPTH_LIMIT",
                              f"The operation is deeper than {self.limits.max_depth} levels.")
            if shape.aliases > self.limits.max_aliases:
                raise refused("MAX_ALIASES_LIMIT",
                              f"The operation has more than {self.limits.max_aliases} aliases "
                              "(fragments counted where they are spread).")
            if shape.directives > self.limits.max_directives:
                raise refused("MAX_DIRECTIVES_LIMIT",
                              f"A field has more than {self.limits.max_directives} directives.")
        return shape

    def fragment(self, name: str, level: int) -> _Shape:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return _Shape()  # unknown or circular: validation refuses the document
        self.visiting.add(name)
        try:
            shape = self.selection_set(definition.selection_set, level)
        finally:
            self.visiting.discard(name)
        self.memo[name] = shape
        return shape


def check_document(document: DocumentNode, limits: OperationLimits) -> None:
    """Raise ``RequestRefused`` when any operation of ``document`` passes a shape limit:
    depth, aliases, root fields or directives per field. Pure: cacheable with the document.
    """
    walker = _ShapeWalker(document, limits)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        shape = walker.selection_set(definition.selection_set, 0)
        if shape.fields > limits.max_root_fields:
            raise refused("MAX_ROOT_FIELDS_LIMIT",
                          f"The operation selects more than {limits.max_root_fields} root "
                          "fields.")
        if len(definition.directives or ()) > limits.max_directives:
            raise refused("MAX_DIRECTIVES_LIMIT",
                          f"The operation has more than {limits.max_directives} directives.")
    # Fragments never spread are still walked: their directives and depth are the
    # document's too, and validation would otherwise be the first to see them.
    for name in walker.fragments:
        walker.fragment(name, 0)


def select_operation(document: DocumentNode,
                     operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs, or None when the name does not pick one."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((o for o in operations
                     if o.name is not None and o.name.value == operation_name), None)
    return operations[0] if len(operations) == 1 else None


class _CostWalker:
    def __init__(self, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.variables = variables
        self.memo: dict[str, int] = {}
        self.visiting: set[str] = set()
        #: The variables the walk looked at: the cost depends on nothing else.
        self.read: set[str] = set()

    def value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            self.read.add(node.name.value)
            return self.variables.get(node.name.value)
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, ListValueNode):
            return node.values
        return None

    def multiplier(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            name = argument.name.value
            if name not in PAGE_SIZE_ARGUMENTS and name not in KEY_LIST_ARGUMENTS:
                continue  # its value does not count (nor is a variable of it read)
            value = self.value(argument.value)
            if name in PAGE_SIZE_ARGUMENTS and isinstance(value, int):
                return max(0, value)
            if name in KEY_LIST_ARGUMENTS and isinstance(value, Sequence) \
                    and not isinstance(value, str):
                return len(value)
        return 1

    def selection_set(self, node: SelectionSetNode | None, level: int = 0) -> int:
        if node is None or level > _MAX_NESTING:
            return 0
        total = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set, level + 1)
                total += 1 + self.multiplier(selection) * inner
            elif isinstance(selection, InlineFragmentNode):
                total += self.selection_set(selection.selection_set, level + 1)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, level + 1)
        return total

    def fragment(self, name: str, level: int) -> int:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return 0
        self.visiting.add(name)
        try:
            cost = self.selection_set(definition.selection_set, level)
        finally:
            self.visiting.discard(name)
        self.memo[name] = cost
        return cost


def estimate_cost(document: DocumentNode, operation_name: str | None,
                  variables: Mapping[str, Any] | None) -> int:
    """The requested cost of the operation ``operation_name`` picks
    (``requested_cost``)."""
    return requested_cost(document, select_operation(document, operation_name), variables)


def requested_cost(document: DocumentNode, operation: OperationDefinitionNode | None,
                   variables: Mapping[str, Any] | None) -> int:
    """The requested cost of the operation a request runs (``select_operation``'s pick; of
    the costliest operation when that is ``None``): fields, times the list sizes asked for
    above them."""
    variables = variables or {}
    entry = _REQUESTED.get(id(document))
    if entry is None or entry[0] is not document:
        entry = _REQUESTED[id(document)] = (document, {})
        if len(_REQUESTED) > _REQUESTED_DOCUMENTS:
            _REQUESTED.popitem(last=False)
    else:
        _REQUESTED.move_to_end(id(document))
    known = entry[1]
    reads = known.get(id(operation))
    if reads is not None:
        cost = reads[1].get(_variable_shapes(reads[0], variables))
        if cost is not None:
            return cost
    walker = _CostWalker(document, variables)
    operations = [operation] if operation is not None else [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    cost = max((walker.selection_set(o.selection_set) for o in operations), default=0)
    names = tuple(sorted(walker.read))
    if reads is None or reads[0] != names:
        reads = known[id(operation)] = (names, {})
    if len(reads[1]) >= _REQUESTED_SHAPES:
        reads[1].clear()
    reads[1][_variable_shapes(names, variables)] = cost
    return cost


# ``requested_cost`` per parsed document (the view's document cache keeps each query's
# parse, so a document is the same object on every request of that query): per operation
# the variables its walk read, and the costs by what the walk saw of them. The walk reads
# a variable only as a page size (an int) or a key list (its length), so requests that
# differ only in, say, the product id share one count.
_REQUESTED: OrderedDict[int, tuple[DocumentNode, dict[int, tuple[tuple[str, ...],
                                                                  dict[Any, int]]]]] = \
    OrderedDict()
_REQUESTED_DOCUMENTS = 1000
_REQUESTED_SHAPES = 256


def _variable_shapes(names: tuple[str, ...], variables: Mapping[str, Any]) -> Any:
    """What ``_CostWalker.multiplier`` can see of each variable: an int's value, a
    non-string sequence's length, nothing of anything else."""
    shapes = []
    for name in names:
        value = variables.get(name)
        shapes.append((value if isinstance(value, int) else None,
                       len(value) if isinstance(value, Sequence)
                       and not isinstance(value, str) else None))
    return tuple(shapes)


def check_cost(cost: int, limits: OperationLimits) -> None:
    if cost > limits.max_cost:
        raise refused("COST_ESTIMATED_TOO_EXPENSIVE",
                      f"The operation's estimated cost {cost} is over the limit of "
                      f"{limits.max_cost} (fields times the list sizes asked with "
                      "`first` or `ids`).")


_LEAF_TYPES = frozenset({str, int, float, bool, type(None)})


def actual_cost(data: Any, known: Mapping[int, tuple[Any, int]] | None = None) -> int:
    """The cost recounted from the response's ``data``: one per field value present, for
    every list item (a null product costs 1, not its selection). ``known``: root answers
    already counted (``id`` → the answer and its count, as the generated plan of
    graph/compiled_codegen.py counts them while building them), not walked again."""
    if known and type(data) is dict:
        stack = []
        cost = len(data)
        for value in data.values():
            entry = known.get(id(value))
            if entry is not None and entry[0] is value:
                cost += entry[1]
            elif type(value) not in _LEAF_TYPES:
                stack.append(value)
        return cost + _walk(stack)
    return _walk([data])


def _walk(stack: list[Any]) -> int:
    # Runs on every answer: a loop over containers only, leaves skipped by their exact type
    # (an ABC isinstance per leaf costs more than the whole count otherwise).
    cost = 0
    while stack:
        value = stack.pop()
        if type(value) is dict or isinstance(value, Mapping):
            cost += len(value)
            for item in value.values():
                if type(item) not in _LEAF_TYPES:
                    stack.append(item)
        elif isinstance(value, list):
            for item in value:
                if type(item) not in _LEAF_TYPES:
                    stack.append(item)
    return cost
