"""GraphQL over HTTP's two media types, chosen by ``Accept`` (graph/http_media.py)."""

from __future__ import annotations

import pytest

from graph.http_media import negotiate
from tests.conftest import GraphQLClient

NEW = "application/graphql-response+json"


@pytest.mark.parametrize(("accept", "chosen"), [
    (None, "application/json"),
    ("", "application/json"),
    ("*/*", "application/json"),
    ("application/json", "application/json"),
    (NEW, NEW),
    (f"{NEW}, application/json;q=0.9", NEW),
    (f"application/json, {NEW};q=0.5", "application/json"),
    (f"application/json, {NEW}", NEW),  # equal quality: the newer type
    (f"{NEW};q=0, application/json", "application/json"),
    ("text/plain", None),
    ("image/png, text/html", None),
])
def test_accept_picks_the_media_type(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept) == chosen


async def _post(gql: GraphQLClient, accept: str, query: str,
                variables: dict[str, object] | None = None) -> tuple[int, str, dict]:
    body: dict[str, object] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = await gql.http.post("/graphql", json=body, headers={"accept": accept})
    return response.status_code, response.headers["content-type"], response.json()


REQUEST_ERRORS = {
    "parse": ("{ product(", None, "GRAPHQL_PARSE_FAILED"),
    "validation": ("{ nope }", None, "GRAPHQL_VALIDATION_FAILED"),
    "variables": ("query($id: ID!) { product(id: $id) { id } }", {"id": None},
                  "BAD_USER_INPUT"),
}


@pytest.mark.parametrize("kind", list(REQUEST_ERRORS))
async def test_graphql_response_json_answers_request_errors_400_without_data(
        gql: GraphQLClient, kind: str) -> None:
    query, variables, code = REQUEST_ERRORS[kind]
    status, media, body = await _post(gql, NEW, query, variables)
    assert (status, media) == (400, NEW)
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["extensions"]["requestId"]


@pytest.mark.parametrize("kind", list(REQUEST_ERRORS))
async def test_application_json_keeps_200_with_data_null(gql: GraphQLClient,
                                                         kind: str) -> None:
    query, variables, code = REQUEST_ERRORS[kind]
    status, media, body = await _post(gql, "application/json", query, variables)
    assert (status, media) == (200, "application/json")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code


async def test_once_execution_started_it_is_200_with_the_new_type(gql: GraphQLClient) -> None:
    status, media, body = await _post(
        gql, NEW, '{ product(id: "taobao_1") { id } }')
    assert (status, media) == (200, NEW)
    assert body["data"] == {"product": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_an_accept_the_server_cannot_answer_is_406(gql: GraphQLClient) -> None:
    response = await gql.http.post("/graphql", json={"query": "{ __typename }"},
                                   headers={"accept": "text/plain"})
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


async def test_a_refusal_speaks_the_negotiated_type(gql: GraphQLClient) -> None:
    response = await gql.http.post("/graphql", content=b"[1]", headers={
        "accept": NEW, "content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == NEW
