"""Generated completion of a root field's value: Python source written per operation and
``exec``'d once at compile time (graphql-jit's ``new Function``), building the answer of
each object in one function body — attribute reads and direct method calls inlined, leaf
fast paths as inline type checks, nested objects inlined, lists as comprehensions over
generated item functions — and counting the answer's ``actual_cost`` as it goes.

It is optimistic. The generated code has no per-field ``try``/``except`` and records no
error: anything unusual — an exception from a read or a resolver, a value that is an
``Exception``, a ``None`` at a non-null position, a value of an unexpected class, a list
that is not a ``list``/``tuple``, a leaf that takes a slow coercion path to a non-JSON
value — raises, and the caller (graph/compiler.py) re-completes the whole root field
through the closure plan of graph/compiled_plan.py, which stays the semantic reference:
it records each error at its path and propagates nulls exactly as graphql-core does.

Where graph/record_reads.py declares how a type's fields read the records its strawberry
class wraps, an object of that type is held as those records (``_Records``): a declared
field is its declared expression inlined (``Money.amount`` is ``amount.quantize(CENT)``
on the yuan ``Decimal``, ``Product.title.original`` is ``record.core.title.original``), no
wrapper is built for it, and the wrapper is built (``wrap``) only for a selected field
that is not declared. A wrapper a resolver returns (``Query.product``'s ``Product``) is
read back into its records (``unwrap``) when a declared field of it is selected. Which
fields are read so is decided per field at generation time, from the declarations alone.

Running a root field's reads twice on such a fallback is sound because what the generated
code runs are pure reads: the fields below the root read immutable records (the frozen
models of ``channels.model`` wrapped by graph/types.py and graph/values.py); a field with
arguments or ``info`` calls its resolver exactly as the closure plan does
(``PlanBuilder.resolver_call``: synchronous resolvers that build wrappers or read
settings, never write), so calling it again on the fallback answers the same. Async
resolvers are not compiled at all.

The count: ``actual_cost`` (graph/limits.py) is the number of keys of every object of the
answer, list items included. An object reached unconditionally adds its keys to the
function's constant; one behind a null check adds them at run time (``n += K``); a list
of items whose cost is constant adds ``C * len``; an item function with a varying cost
adds its own total to the plan's counter ``_k``, which the root function returns with the
answer. Nothing is counted for a leaf: its fast paths give ``str``/``int``/``bool``, and
a slow path giving anything but a JSON leaf falls back.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from decimal import Decimal
from string import Template
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    Undefined,
    get_nullable_type,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.executor import Executor

from graph.compiled_plan import _BACKREF, INT_MAX, INT_MIN, NotCompilable, PlanBuilder
from graph.record_reads import NAMES, RECORD_TYPES, FieldRead, RecordType

#: A root field's generated completer: ``(value, path) -> (answer, actual cost)``.
Generated = Callable[[Any, Any], tuple[Any, int]]
_JSON_LEAVES = frozenset({str, int, float, bool})
#: A declared part that is a constant or one attribute read of a record: skipped unread.
_PLAIN_READ = re.compile(r"(\$\w+(\.\w+)?|None)\Z")
_ALIAS = re.compile(r"\$(\w+)\Z")


class Fallback(Exception):
    """The generated code met something only the closure plan completes exactly."""


class _Records:
    """An object held as the records that stand for it (graph/record_reads.py): its
    declaration, the variables of its parts and lets, and the variable of its strawberry
    object where one exists (else it is built for the first field not declared)."""

    def __init__(self, declared: RecordType, names: dict[str, str],
                 wrapper: str | None) -> None:
        self.declared = declared
        self.names = names
        self.wrapper = wrapper


class _Function:
    """One generated function being written: its lines and what its cost adds up to."""

    def __init__(self, name: str, params: str = "v, p") -> None:
        self.name = name
        self.params = params
        self.lines: list[str] = []
        self.static = 0          # keys of the objects it always builds
        self.dynamic = False     # whether ``n`` (a run-time count) is used
        self.uses_path = False   # whether it builds a path (for a resolver's ``info``)
        self.temps = 0

    def temp(self, prefix: str = "t") -> str:
        self.temps += 1
        return f"{prefix}{self.temps}"

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def count(self, indent: int, conditional: bool, term: str | int) -> None:
        """Add ``term`` (keys, or an expression) to the function's cost."""
        if isinstance(term, int) and not conditional:
            self.static += term
        else:
            self.dynamic = True
            self.emit(indent, f"n += {term}")


class Generator:
    """Writes the generated completers of one operation; one namespace for all of them
    (their constants, and the counter ``_k`` that item functions add to)."""

    def __init__(self, builder: PlanBuilder) -> None:
        self.builder = builder
        self.namespace: dict[str, Any] = {"_F": Fallback, "_k": [0], "_str": str,
                                          "_list": list, "_tuple": tuple,
                                          "_enumerate": enumerate, "_len": len, "_id": id}
        assert not NAMES.keys() & self.namespace.keys()
        self.namespace.update(NAMES)
        self.functions: list[_Function] = []
        self.names = 0
        self._constants: dict[int, str] = {}
        self._memo: dict[tuple[Any, ...], str] = {}

    def constant(self, value: Any, prefix: str) -> str:
        """The namespace name holding ``value`` (one name per object)."""
        name = self._constants.get(id(value))
        if name is None or self.namespace.get(name) is not value:
            self.names += 1
            name = f"_{prefix}{self.names}"
            self.namespace[name] = value
            self._constants[id(value)] = name
        return name

    def memo(self, key: tuple[Any, ...], make: Callable[[], Any], prefix: str) -> str:
        """The namespace name of ``make()``, made once per ``key``."""
        name = self._memo.get(key)
        if name is None:
            name = self._memo[key] = self.constant(make(), prefix)
        return name

    def root(self, type_: GraphQLOutputType, parent: GraphQLObjectType, field_name: str,
             details: list[FieldDetails]) -> Generated:
        """The generated completer of a root field's value. A defect of the generator (an
        exception other than the compiler's own limits) must not fail the operation: the
        completer then always gives up, and the closures complete that root alone."""
        mark = len(self.functions)
        try:
            return self._root(type_, parent, field_name, details)
        except (SyntaxError, RecursionError, MemoryError):
            del self.functions[mark:]
            raise  # graph/compiler.py: the closures alone
        except Exception as defect:
            del self.functions[mark:]
            return _giving_up(f"{parent.name}.{field_name}: {defect!r}")

    def _root(self, type_: GraphQLOutputType, parent: GraphQLObjectType, field_name: str,
              details: list[FieldDetails]) -> Generated:
        function = self.new_function()
        answer = self.value(function, 1, False, type_, "v", "p", parent, field_name,
                            details)
        head = ["_k[0] = 0"] + (["n = 0"] if function.dynamic else [])
        function.lines[:0] = ["    " + line for line in head]
        dynamic = " + n" if function.dynamic else ""
        function.emit(1, f"return {answer}, {function.static}{dynamic} + _k[0]")
        source = "\n\n".join(
            f"def {f.name}({f.params}):\n" + "\n".join(f.lines) for f in self.functions)
        exec(compile(source, f"<productgraph plan {parent.name}.{field_name}>", "exec"),
             self.namespace)
        generated: Generated = self.namespace[function.name]
        generated.source = source  # type: ignore[attr-defined]  # for tests and debugging
        return generated

    def new_function(self, params: str = "v, p") -> _Function:
        self.names += 1
        function = _Function(f"_g{self.names}", params)
        self.functions.append(function)
        return function

    # -- values by type --------------------------------------------------------------

    def value(self, function: _Function, indent: int, conditional: bool,
              type_: GraphQLOutputType, var: str, path: str, parent: GraphQLObjectType,
              field_name: str, details: list[FieldDetails], non_null: bool = False) -> str:
        """Statements completing the value in ``var`` (a plain name); returns the
        expression of the answer (valid after those statements)."""
        if isinstance(type_, GraphQLNonNull):
            return self.value(function, indent, conditional, type_.of_type, var, path,
                              parent, field_name, details, non_null=True)
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            return self.leaf(type_, var, non_null)
        if isinstance(type_, GraphQLList):
            return self.list_of(function, indent, conditional, type_.of_type, var, path,
                                parent, field_name, details, non_null)
        if isinstance(type_, GraphQLObjectType):
            return self.object_of(function, indent, conditional, type_, var, path,
                                  details, non_null)
        raise NotCompilable(f"{parent.name}.{field_name}: abstract type {type_}")

    def leaf(self, type_: GraphQLScalarType | GraphQLEnumType, var: str,
             non_null: bool) -> str:
        """An inline fast path, else the closure plan's leaf coercion (its errors raised),
        refusing a ``None`` at a non-null position and a non-JSON answer."""
        slow = self.memo(("leaf", type_, non_null),
                         lambda: _slow_leaf(self.builder.leaf(type_), non_null), "l")
        call = f"{slow}({var})"
        if type_ is GraphQLString or type_ is GraphQLID:
            return f"({var} if type({var}) is _str else {call})"
        if type_ is GraphQLInt:
            return (f"({var} if type({var}) is int and {INT_MIN} <= {var} <= {INT_MAX} "
                    f"else {call})")
        if type_ is GraphQLBoolean:
            return f"({var} if {var} is True or {var} is False else {call})"
        if isinstance(type_, GraphQLEnumType):
            member_type = getattr((type_.extensions or {}).get(_BACKREF), "wrapped_cls",
                                  None)
            names = self.memo(("enum", type_), lambda: _enum_names(type_, member_type), "e")
            if self.namespace[names]:
                return (f"({names}[_id({var})] if type({var}) is "
                        f"{self.constant(member_type, 'c')} else {call})")
            return call
        origin = getattr((type_.extensions or {}).get(_BACKREF), "origin", None)
        if type_.coerce_output_value is str and origin is Decimal:
            return f"(_str({var}) if type({var}) is {self.constant(Decimal, 'c')} else {call})"
        return call

    def list_of(self, function: _Function, indent: int, conditional: bool,
                item_type: GraphQLOutputType, var: str, path: str,
                parent: GraphQLObjectType, field_name: str, details: list[FieldDetails],
                non_null: bool) -> str:
        answer = function.temp("r")
        if not non_null:  # at a non-null position, None fails the type check below
            indent, conditional = self.none_check(function, indent, conditional, var,
                                                  answer)
        function.emit(indent, f"if type({var}) is not _list and type({var}) is not _tuple:")
        function.emit(indent + 1, "raise _F")
        entry = function.temp("e")
        inner = get_nullable_type(item_type)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            item = self.leaf(inner, entry, inner is not item_type)
            function.emit(indent, f"{answer} = [{item} for {entry} in {var}]")
            return answer
        items = self.new_function()
        item_answer = self.value(items, 1, False, item_type, "v", "p", parent, field_name,
                                 details)
        return self.map_items(function, indent, items, item_answer, entry, entry, var,
                              answer, path)

    def object_of(self, function: _Function, indent: int, conditional: bool,
                  type_: GraphQLObjectType, var: str, path: str,
                  details: list[FieldDetails], non_null: bool) -> str:
        answer = function.temp("r")
        subfields = self.builder.subfields(type_, details)
        if not non_null:  # at a non-null position, None fails the check below
            indent, conditional = self.none_check(function, indent, conditional, var,
                                                  answer)
        own_class = getattr((type_.extensions or {}).get(_BACKREF), "origin", None)
        declared = self.record_type(type_)
        if declared is not None and declared.unwrap is not None \
                and self.reads_declared(declared, type_, subfields):
            # The resolver built the wrapper; its fields read the records it holds.
            function.emit(indent, f"if type({var}) is not {self.constant(own_class, 'c')}:")
            function.emit(indent + 1, "raise _F")
            names = {}
            for part in declared.parts:
                names[part] = function.temp()
                function.emit(indent, f"{names[part]} = "
                                      f"{_fill(declared.unwrap[part], {'self': var})}")
            return self.object_of_records(function, indent, conditional, type_,
                                          _Records(declared, names, var), path, subfields,
                                          answer)
        check = self.memo(("object", type_), lambda: _object_check(type_), "o")
        if own_class is None:
            function.emit(indent, f"{check}({var})")
        else:
            function.emit(indent, f"if type({var}) is not {self.constant(own_class, 'c')}:")
            function.emit(indent + 1, f"{check}({var})")
        entries = []
        for key, sub in subfields.items():
            entries.append(f"{key!r}: " + self.field(function, indent, conditional, type_,
                                                     key, sub, var, path))
        function.count(indent, conditional, len(subfields))
        function.emit(indent, f"{answer} = {{{', '.join(entries)}}}")
        return answer

    # -- objects held as records (graph/record_reads.py) --------------------------------

    def record_type(self, type_: Any) -> RecordType | None:
        """The records declaration of an object type, where its strawberry class is the
        declared one."""
        if not isinstance(type_, GraphQLObjectType):
            return None
        declared = RECORD_TYPES.get(type_.name)
        origin = getattr((type_.extensions or {}).get(_BACKREF), "origin", None)
        return declared if declared is not None and declared.cls is origin else None

    def declared_read(self, declared: RecordType, field_def: Any, node: Any
                      ) -> FieldRead | None:
        """The declared read of a field selected without arguments, where the field's type
        is what the declaration reads (a leaf; an object, or a list of objects, with
        records declarations of their own)."""
        read = declared.fields.get(node.name.value)
        if read is None or node.arguments:
            return None
        type_ = get_nullable_type(field_def.type)
        if read.value is not None:
            return read if isinstance(type_, GraphQLScalarType | GraphQLEnumType) else None
        if read.items is not None:
            if not isinstance(type_, GraphQLList):
                return None
            type_ = get_nullable_type(type_.of_type)
        return read if self.record_type(type_) is not None else None

    def reads_declared(self, declared: RecordType, type_: GraphQLObjectType,
                       subfields: dict[str, list[FieldDetails]]) -> bool:
        """Whether any selected field of the object has a declared read."""
        for details in subfields.values():
            node = details[0].node
            field_def = type_.fields.get(node.name.value)
            if field_def is not None and self.declared_read(declared, field_def, node):
                return True
        return False

    def names_used(self, declared: RecordType, type_: GraphQLObjectType,
                   subfields: dict[str, list[FieldDetails]]) -> tuple[set[str], bool]:
        """The parts and lets the declared reads of the selected fields use, and whether
        a selected field is not declared (the wrapper is built, from every part)."""
        used: set[str] = set()
        undeclared = False
        for details in subfields.values():
            node = details[0].node
            if node.name.value == "__typename":
                continue
            field_def = type_.fields.get(node.name.value)
            read = None if field_def is None else self.declared_read(declared, field_def,
                                                                    node)
            if read is None:
                undeclared = True
                continue
            for template in (read.value, read.items, read.null,
                             *(read.parts or {}).values()):
                if template is not None:
                    used.update(Template(template).get_identifiers())
        return used, undeclared

    def object_of_records(self, function: _Function, indent: int, conditional: bool,
                          type_: GraphQLObjectType, records: _Records, path: str,
                          subfields: dict[str, list[FieldDetails]],
                          answer: str | None = None) -> str:
        """Statements building the answer of an object held as records into ``answer``
        (default: a new variable); returns the variable. Its lets are read first (one
        giving ``None`` gives up), and the strawberry object is built only when a selected
        field is not declared."""
        declared = records.declared
        used, undeclared = self.names_used(declared, type_, subfields)
        names = dict(records.names)
        for let, template in declared.lets.items():
            if let in used:
                names[let] = function.temp()
                function.emit(indent, f"{names[let]} = {_fill(template, names)}")
                function.emit(indent, f"if {names[let]} is None:")
                function.emit(indent + 1, "raise _F")
        wrapper = records.wrapper
        if undeclared and wrapper is None:
            wrapper = function.temp("w")
            function.emit(indent, f"{wrapper} = {_fill(declared.wrap, names)}")
        held = _Records(declared, names, wrapper)
        entries = []
        for key, sub in subfields.items():
            entries.append(f"{key!r}: " + self.field(function, indent, conditional, type_,
                                                     key, sub, wrapper or "None", path,
                                                     held))
        answer = answer or function.temp("r")
        function.count(indent, conditional, len(subfields))
        function.emit(indent, f"{answer} = {{{', '.join(entries)}}}")
        return answer

    def declared_field(self, function: _Function, indent: int, conditional: bool,
                       parent: GraphQLObjectType, key: str, details: list[FieldDetails],
                       field_def: Any, read: FieldRead, records: _Records, path: str
                       ) -> str:
        """Statements completing a field from its declared read; returns the expression
        of its answer."""
        name = details[0].node.name.value
        names = records.names
        if read.value is not None:
            raw = function.temp()
            function.emit(indent, f"{raw} = {_fill(read.value, names)}")
            return self.value(function, indent, conditional, field_def.type, raw, path,
                              parent, name, details)
        type_ = field_def.type
        non_null = isinstance(type_, GraphQLNonNull)
        if non_null:
            type_ = type_.of_type
        assert read.parts is not None
        if read.items is not None:
            return self.declared_list(function, indent, type_, read, records, path,
                                      parent, name, details)
        declared = self.record_type(type_)
        assert declared is not None and isinstance(type_, GraphQLObjectType)
        subfields = self.builder.subfields(type_, details)
        needed, undeclared = self.names_used(declared, type_, subfields)
        # A part no one reads is not read (a plain read: it cannot raise), unless a later
        # part, the null check or the wrapper reads it.
        for template in (read.null, *read.parts.values()):
            if template is not None:
                needed.update(Template(template).get_identifiers())
        child: dict[str, str] = {}
        for part in declared.parts:
            template = read.parts[part]
            if not undeclared and part not in needed and _PLAIN_READ.match(template):
                continue
            alias = _ALIAS.match(template)
            if alias is not None:  # the variable already holding it
                child[part] = {**names, **child}[alias[1]]
                continue
            child[part] = function.temp()
            function.emit(indent, f"{child[part]} = {_fill(template, {**names, **child})}")
        answer = function.temp("r")
        if read.null is not None:
            condition = _fill(read.null, {**names, **child})
            if non_null:
                function.emit(indent, f"if {condition}:")
                function.emit(indent + 1, "raise _F")
            else:
                indent, conditional = self.none_check(function, indent, conditional,
                                                      f"({condition})", answer, test="")
        self.object_of_records(function, indent, conditional, type_,
                               _Records(declared, child, None), path, subfields, answer)
        return answer

    def declared_list(self, function: _Function, indent: int, type_: Any, read: FieldRead,
                      records: _Records, path: str, parent: GraphQLObjectType, name: str,
                      details: list[FieldDetails]) -> str:
        """A list of objects held as records: the declared sequence, each item built by a
        generated function taking the item's parts."""
        assert isinstance(type_, GraphQLList) and read.items is not None \
            and read.parts is not None
        item_type = get_nullable_type(type_.of_type)
        declared = self.record_type(item_type)
        assert declared is not None and isinstance(item_type, GraphQLObjectType)
        sequence = function.temp("s")
        function.emit(indent, f"{sequence} = {_fill(read.items, records.names)}")
        function.emit(indent, f"if type({sequence}) is not _list and "
                              f"type({sequence}) is not _tuple:")
        function.emit(indent + 1, "raise _F")
        params = [f"a{i}" for i in range(len(declared.parts))]
        items = self.new_function(", ".join([*params, "p"]))
        built = self.object_of_records(items, 1, False, item_type,
                                       _Records(declared, dict(zip(declared.parts, params,
                                                                   strict=True)), None),
                                       "p", self.builder.subfields(item_type, details))
        entry = function.temp("e")
        arguments = [_fill(read.parts[part], {**records.names, "item": entry})
                     for part in declared.parts]
        return self.map_items(function, indent, items, built, ", ".join(arguments), entry,
                              sequence, function.temp("r"), path)

    @staticmethod
    def map_items(function: _Function, indent: int, items: _Function, item_answer: str,
                  arguments: str, entry: str, sequence: str, answer: str, path: str) -> str:
        """End ``items`` (one list item's completer: it returns ``item_answer`` and counts
        its cost — itself when the cost varies per item, else once for the whole list)
        and emit, in ``function``, ``answer`` as ``items`` called over ``sequence``
        (``arguments``: its arguments, over ``entry``), with each item's path when
        ``items`` uses one."""
        per_item = 0
        if items.dynamic:  # e.g. nullable items, or lists inside: each item counts itself
            items.lines.insert(0, "    n = 0")
            items.emit(1, f"_k[0] += {items.static} + n")
        else:
            per_item = items.static
        items.emit(1, f"return {item_answer}")
        if items.uses_path:
            function.uses_path = True
            index = function.temp("i")
            function.emit(indent, f"{answer} = [{items.name}({arguments}, ({path}, {index}, "
                                  f"None)) for {index}, {entry} in _enumerate({sequence})]")
        else:
            function.emit(indent, f"{answer} = [{items.name}({arguments}, None) "
                                  f"for {entry} in {sequence}]")
        if per_item:
            function.count(indent, True, f"{per_item} * _len({answer})")
        return answer

    def none_check(self, function: _Function, indent: int, conditional: bool, var: str,
                   answer: str, test: str = " is None") -> tuple[int, bool]:
        """At a nullable position ``None`` answers ``None``; returns where the code for a
        present value goes (a branch: what it counts is counted at run time)."""
        function.emit(indent, f"if {var}{test}:")
        function.emit(indent + 1, f"{answer} = None")
        function.emit(indent, "else:")
        return indent + 1, True

    # -- fields ----------------------------------------------------------------------

    def field(self, function: _Function, indent: int, conditional: bool,
              parent: GraphQLObjectType, key: str, details: list[FieldDetails],
              source: str, path: str, records: _Records | None = None) -> str:
        """Statements reading one response key of the object in ``source`` (or held as
        ``records``: a declared read first); returns the expression of its answer."""
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            return repr(parent.name)
        field_def = parent.fields.get(name)
        if field_def is None:
            raise NotCompilable(f"{parent.name}.{name}: "
                                f"{'introspection' if name.startswith('__') else 'no such field'}")
        own_path = f"({path}, {key!r}, {parent.name!r})"
        if records is not None:
            read = self.declared_read(records.declared, field_def, node)
            if read is not None:
                return self.declared_field(function, indent, conditional, parent, key,
                                           details, field_def, read, records, own_path)
        resolve = field_def.resolve
        method = getattr(resolve, "direct_method", None)
        attribute = getattr(resolve, "direct_attribute", None)
        raw = function.temp()
        if attribute is not None and not node.arguments:
            if attribute.isidentifier() and not keyword.iskeyword(attribute):
                function.emit(indent, f"{raw} = {source}.{attribute}")
            else:
                function.emit(indent, f"{raw} = getattr({source}, {attribute!r})")
        elif method is not None and not node.arguments:
            function.emit(indent, f"{raw} = {self.constant(method, 'm')}({source})")
        else:
            call = self.builder.resolver_call(parent, key, details, field_def)
            takes_path = getattr(call, "takes_path", True)
            function.uses_path |= takes_path
            function.emit(indent, f"{raw} = {self.constant(call, 'r')}({source}, "
                                  f"{own_path if takes_path else None})")
        return self.value(function, indent, conditional, field_def.type, raw, own_path,
                          parent, name, details)


def _fill(template: str, names: dict[str, str]) -> str:
    """A declared expression with its ``$name``s replaced by the generated variables."""
    return Template(template).substitute(names)


def _enum_names(type_: GraphQLEnumType, member_type: Any) -> dict[int, str]:
    """The ``id`` of every member of the enum's Python class → its GraphQL name, as its
    coercion gives it (a member that does not coerce is left out: ``KeyError``, and the
    closures raise its error). By ``id``: members live as long as their class, and an
    ``Enum``'s ``__hash__`` is a Python call."""
    names: dict[int, str] = {}
    for member in getattr(member_type, "__members__", {}).values():
        try:
            names[id(member)] = Executor.complete_leaf_value(type_, member)
        except Exception:  # left to the slow path, which raises it
            continue
    return names


def _giving_up(reason: str) -> Generated:
    """A completer that always leaves the root to the closures; ``reason`` says why."""

    def give_up(value: Any, path: Any) -> tuple[Any, int]:
        raise Fallback(reason)

    give_up.source = f"# not generated: {reason}"  # type: ignore[attr-defined]
    return give_up


def _slow_leaf(coerce: Callable[[Any], Any], non_null: bool) -> Callable[[Any], Any]:
    """The closure plan's coercion of a leaf, refusing what the generated code leaves to
    the closures: ``None`` at a non-null position, an answer that is not a JSON leaf."""

    def slow(value: Any) -> Any:
        answer = coerce(value)
        if answer is None:
            if non_null:
                raise Fallback
            return None
        if type(answer) not in _JSON_LEAVES:
            raise Fallback
        return answer

    return slow


def _object_check(type_: GraphQLObjectType) -> Callable[[Any], None]:
    """Raises unless the value completes as an object of ``type_`` without an error (a
    ``None`` raises too: the check runs only where the value is not ``None`` or is at a
    non-null position)."""
    is_type_of = type_.is_type_of

    def check(value: Any) -> None:
        if value is None or isinstance(value, Exception) or value is Undefined:
            raise Fallback
        if is_type_of is not None and not is_type_of(value, None):  # type: ignore[arg-type]
            raise Fallback

    return check
