"""Write the schema's SDL: ``python -m graph.export_schema > schema.graphql``.

``schema.graphql`` is this output, committed; a test fails when the two differ.
"""

from graph.schema import schema


def sdl() -> str:
    return schema.as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
