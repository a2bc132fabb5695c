"""Malformed requests are a client's mistake: 4xx JSON with a code and the request id,
never a 500, never a traceback in the log (issue 18), in both modes."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import serve_app

QUERY_VARIABLE = "query($a: String) { product(id: $a) { id } }"
DEEP = 100_000

MALFORMED: dict[str, tuple[bytes, str]] = {
    "null body": (b"null", "BAD_REQUEST"),
    "string body": (b'"x"', "BAD_REQUEST"),
    "number body": (b"5", "BAD_REQUEST"),
    "boolean body": (b"true", "BAD_REQUEST"),
    "array of non-objects": (b"[1]", "BAD_REQUEST"),
    "empty body": (b"", "INVALID_JSON"),
    "not JSON": (b"{query", "INVALID_JSON"),
    "deep variables": (b'{"query":"{__typename}","variables":{"a":' + b"[" * DEEP
                       + b"]" * DEEP + b"}}", "REQUEST_TOO_DEEP"),
    "deep extensions": (b'{"query":"{__typename}","extensions":' + b'{"a":' * DEEP + b"1"
                        + b"}" * DEEP + b"}", "REQUEST_TOO_DEEP"),
    "deep body": (b"[" * DEEP + b"]" * DEEP, "REQUEST_TOO_DEEP"),
    "65 levels": (b'{"query":"{__typename}","variables":{"a":' + b"[" * 64 + b"]" * 64
                  + b"}}", "REQUEST_TOO_DEEP"),
    "lone surrogate in a variable": (
        json.dumps({"query": QUERY_VARIABLE, "variables": {"a": "x"}}).replace(
            '"x"', '"\\ud800"').encode(), "INVALID_ENCODING"),
    "lone surrogate in the query": (b'{"query":"{ __typename } # \\udfff"}',
                                    "INVALID_ENCODING"),
    "not UTF-8": (b'{"query":"{ __typename \xff }"}', "INVALID_ENCODING"),
    "5,000-digit variable": (b'{"query":"query($n: Int) { __typename }","variables":{"n":'
                             + b"9" * 5000 + b"}}", "NUMBER_TOO_LONG"),
    "4,300-digit literal": (json.dumps({"query": '{ search(query: "x", first: '
                                                 + "9" * 4300 + ") { totalCount } }"}).encode(),
                            "NUMBER_TOO_LONG"),
    "variables not an object": (b'{"query":"{__typename}","variables":[1]}', "BAD_REQUEST"),
}


@pytest.fixture(params=["development", "production"])
async def http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app({"PRODUCTGRAPH_ENV": request.param}) as client:
        yield client.http


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_a_malformed_body_is_a_coded_400_with_the_request_id(
        http: httpx.AsyncClient, name: str, caplog: pytest.LogCaptureFixture) -> None:
    body, code = MALFORMED[name]
    with caplog.at_level(logging.WARNING):
        response = await http.post("/graphql", content=body,
                                   headers={"content-type": "application/json",
                                            "x-request-id": "malformed-1"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": code, "requestId": "malformed-1"}
    assert not [r for r in caplog.records if r.exc_info], "a client's mistake was logged"


async def test_a_long_digit_string_is_no_number(http: httpx.AsyncClient) -> None:
    digits = "9" * 200
    response = await http.post("/graphql", json={
        "query": f'{{ product(id: "taobao_{digits}") {{ id }} }}'})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] != "NUMBER_TOO_LONG"


async def test_a_valid_surrogate_pair_is_an_ordinary_character(
        http: httpx.AsyncClient) -> None:
    body = b'{"query":"{ __typename } # \\ud83d\\ude00"}'
    response = await http.post("/graphql", content=body,
                               headers={"content-type": "application/json"})
    assert response.json() == {"data": {"__typename": "Query"},
                               "extensions": {"cost": {"requested": 1, "actual": 1}}}


async def test_a_bad_get_variables_parameter_is_a_coded_400(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={
        "query": "{ __typename }", "variables": "[" * 1000 + "]" * 1000})
    assert response.status_code in (400, 405)
    assert response.json()["errors"][0]["extensions"]["code"] in (
        "REQUEST_TOO_DEEP", "METHOD_NOT_ALLOWED")
