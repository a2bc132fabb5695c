"""Write the schema's SDL: ``python -m graph.export_schema > schema.graphql``.

``schema.graphql`` is this output, committed; a test fails when the two differ. It is a
complete, standalone document: with introspection off in production it is a client's only
schema source, and tools that know nothing of federation (graphql-core's and graphql-js's
``buildSchema``, graphql-inspector, gql) must load it as it is. So it starts with the
definitions of what the federation ``@link`` imports (``@link`` itself, ``@key``,
``@shareable``, ``@tag`` and their scalars and enum), exactly as the Federation 2 and
link v1.0 specs define them, which Apollo's composition accepts beside the ``@link``.

``_service { sdl }`` stays as strawberry prints it (``subgraph_sdl()``): composition knows
those definitions already. The file is the prelude followed by that SDL.
"""

from __future__ import annotations

import re

from graph.schema import schema

#: specs.apollo.dev/link/v1.0 and /federation/v2.x, for the names the schema imports.
FEDERATION_DEFINITIONS = '''\
directive @link(url: String!, as: String, for: link__Purpose, import: [link__Import]) \
repeatable on SCHEMA

directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) \
repeatable on OBJECT | INTERFACE

directive @shareable repeatable on OBJECT | FIELD_DEFINITION

directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION \
| ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION \
| SCHEMA

"""A field set of an entity's key, as federation's `@key(fields:)` takes it."""
scalar federation__FieldSet

"""An element of `@link(import:)`: a name, or `{name, as}`."""
scalar link__Import

"""What a `@link`ed spec is for."""
enum link__Purpose {
  """`SECURITY` features provide metadata necessary to securely resolve fields."""
  SECURITY

  """`EXECUTION` features provide metadata necessary for operation execution."""
  EXECUTION
}

'''
_IMPORTED = re.compile(r'import: \[([^\]]*)\]')
DECLARED = frozenset({"@key", "@shareable", "@tag"})


def subgraph_sdl() -> str:
    """The SDL strawberry prints, as ``_service { sdl }`` serves it."""
    return schema.as_str() + "\n"


def sdl() -> str:
    """The standalone document: the federation definitions, then ``subgraph_sdl()``."""
    text = subgraph_sdl()
    imported = _IMPORTED.search(text)
    names = set(re.findall(r'"(@\w+)"', imported.group(1))) if imported else set()
    if not names <= DECLARED:  # a new federation directive: declare it above
        raise RuntimeError(f"schema.graphql would use undeclared {sorted(names - DECLARED)}")
    return FEDERATION_DEFINITIONS + text


if __name__ == "__main__":
    print(sdl(), end="")
