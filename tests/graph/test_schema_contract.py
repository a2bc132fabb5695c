"""``schema.graphql`` is the exported SDL of the code's schema, a standalone document any
GraphQL library loads, and (after its federation definitions) what ``_service`` serves."""

from __future__ import annotations

from pathlib import Path

import graphql

from graph.export_schema import FEDERATION_DEFINITIONS, sdl, subgraph_sdl
from graph.schema import schema

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), (
        "schema.graphql is stale: run `python -m graph.export_schema > schema.graphql`"
    )


async def test_service_sdl_is_the_committed_contract() -> None:
    result = await schema.execute("{ _service { sdl } }")
    assert result.errors is None
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed.startswith(FEDERATION_DEFINITIONS)
    served = result.data["_service"]["sdl"]
    assert served.strip() == subgraph_sdl().strip()
    assert committed.removeprefix(FEDERATION_DEFINITIONS).strip() == served.strip()


def test_the_committed_file_loads_in_graphql_core_with_nothing_added() -> None:
    """graphql-core is a second library beside strawberry's printer: what a Python client
    (gql) or a schema linter builds from the file, without knowing federation."""
    built = graphql.build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    assert built.directives and {d.name for d in built.directives} >= {
        "link", "key", "shareable", "tag", "specifiedBy"}
    assert built.type_map["DateTime"].specified_by_url  # type: ignore[union-attr]
    assert built.type_map["Decimal"].specified_by_url  # type: ignore[union-attr]
    product = built.type_map["Product"]
    assert graphql.is_object_type(product) and "variants" in product.fields  # type: ignore[union-attr]


def test_every_type_and_field_is_described() -> None:
    missing = []
    for name, gtype in schema._schema.type_map.items():
        # Federation's own spec types (`link__Import`, `_Service`…) are Apollo's, not ours.
        if "__" in name or name.startswith("_") or name in {
                "String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not gtype.description and name not in {"Query"}:
            missing.append(name)
        for field_name, field in getattr(gtype, "fields", {}).items():
            if field_name.startswith("_"):
                continue
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert not missing, f"undescribed: {missing}"
