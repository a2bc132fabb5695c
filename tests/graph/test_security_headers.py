"""Every response says ``nosniff``; the GraphiQL page has its CSP and is never framed."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/graphql", b'{"query": "{ __typename }"}'),
    ("POST", "/graphql", b"null"),
    ("GET", "/healthz", None),
    ("GET", "/metrics", None),
    ("GET", "/graphiql/static/graphiql-setup.js", None),
    ("GET", "/nowhere", None),
])
async def test_every_response_says_nosniff(gql: GraphQLClient, method: str, path: str,
                                           body: bytes | None) -> None:
    response = await gql.http.request(method, path, content=body,
                                      headers={"content-type": "application/json"})
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_graphiql_page_is_never_framed_and_runs_only_its_own_scripts(
        gql: GraphQLClient) -> None:
    response = await gql.http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in
                  response.headers["content-security-policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self'"
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in response.text
