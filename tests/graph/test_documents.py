"""A repeated operation is parsed and validated once, whether it comes over HTTP or through a
direct ``schema.execute``; the limits are judged with the document and stay applied."""

from __future__ import annotations

import pytest

import graph.limits
from graph.schema import create_schema

QUERY = "query Q { __typename }"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query text graph.limits (the cache's parser) parses."""
    calls: list[str] = []
    real = graph.limits.parse

    def counting(source: str, **kwargs: object) -> object:
        calls.append(source)
        return real(source, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(graph.limits, "parse", counting)
    return calls


async def test_schema_execute_parses_a_repeated_operation_once(parses: list[str]) -> None:
    schema = create_schema()
    for _ in range(3):
        result = await schema.execute(QUERY)
        assert result.errors is None, result.errors
        assert result.data == {"__typename": "Query"}
    assert parses == [QUERY]


async def test_schema_execute_reports_validation_errors_from_the_cache() -> None:
    schema = create_schema()
    for _ in range(2):
        result = await schema.execute("{ product(id: \"taobao_1\") { nope } }")
        assert result.data is None
        assert [e.message for e in result.errors or ()] == [
            "Cannot query field 'nope' on type 'Product'."]


async def test_schema_execute_refuses_an_operation_over_the_limits() -> None:
    schema = create_schema()
    deep = "{ product(id: \"taobao_1\") { " + "seller { location { " * 10 + "city" \
        + " } }" * 10 + " } }"
    for _ in range(2):
        result = await schema.execute(deep)
        assert result.data is None
        assert [(e.extensions or {}).get("code") for e in result.errors or ()] == [
            "MAX_DEPTH_LIMIT"]


async def test_schema_execute_still_reports_syntax_errors() -> None:
    result = await create_schema().execute("{ product(id: ")
    assert result.data is None
    assert "Syntax Error" in (result.errors or [])[0].message
