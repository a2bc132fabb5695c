"""Relay details (issue 18): ``node(id:)`` names ``id``; ``first: 0`` is an empty page
with a true pageInfo; a cursor is signed, so an altered or forged one is INVALID_CURSOR."""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import GraphQLClient

SEARCH = """
query($first: Int!, $after: String) {
  search(channel: TAOBAO, query: "", first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}"""


@pytest.mark.parametrize("bad", ["", "nochannel", "taobao_"])
async def test_node_names_its_argument_id(gql: GraphQLClient, bad: str) -> None:
    result = await gql.execute('query($id: ID!) { node(id: $id) { id } }', {"id": bad})
    [error] = result["errors"]
    assert error["extensions"]["code"] == "INVALID_ID"
    assert error["extensions"]["argument"] == "id"


async def test_nodes_names_the_index(gql: GraphQLClient) -> None:
    result = await gql.execute('{ nodes(ids: ["taobao_680123456789", ""]) { id } }')
    [error] = result["errors"]
    assert error["extensions"]["argument"] == "ids[1]"


async def test_first_zero_is_an_empty_page_with_a_true_page_info(gql: GraphQLClient) -> None:
    full = (await gql.execute(SEARCH, {"first": 5}))["data"]["search"]
    empty = (await gql.execute(SEARCH, {"first": 0}))["data"]["search"]
    assert empty["edges"] == []
    assert empty["totalCount"] == full["totalCount"] > 0
    assert empty["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False,
                                 "startCursor": None, "endCursor": None}
    # After the last item there is nothing more: first: 0 says so too.
    last = (await gql.execute(SEARCH, {"first": 100}))["data"]["search"]
    while last["pageInfo"]["hasNextPage"]:
        last = (await gql.execute(SEARCH, {"first": 100,
                                           "after": last["pageInfo"]["endCursor"]}))
        last = last["data"]["search"]
    at_end = (await gql.execute(SEARCH, {"first": 0,
                                         "after": last["pageInfo"]["endCursor"]}))
    assert at_end["data"]["search"]["pageInfo"]["hasNextPage"] is False
    assert at_end["data"]["search"]["pageInfo"]["hasPreviousPage"] is True


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_an_altered_or_forged_cursor_is_invalid(gql: GraphQLClient) -> None:
    page = (await gql.execute(SEARCH, {"first": 5}))["data"]["search"]
    cursor = page["pageInfo"]["endCursor"]
    encoded, signature = cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    moved = _b64(json.dumps({**payload, "o": payload["o"] + 1000}).encode())
    unsigned = _b64(json.dumps(payload).encode())
    for forged in (f"{moved}.{signature}", unsigned, f"{encoded}.{'A' * len(signature)}"):
        result = await gql.execute(SEARCH, {"first": 5, "after": forged})
        [error] = result["errors"]
        assert error["extensions"]["code"] == "INVALID_CURSOR", forged
    # The genuine one still pages on.
    next_page = await gql.execute(SEARCH, {"first": 5, "after": cursor})
    assert len(next_page["data"]["search"]["edges"]) == 5


async def test_a_seller_node_is_answered_from_its_id_alone(gql: GraphQLClient) -> None:
    """What the field's description promises: no upstream call, the id as the name."""
    result = await gql.execute(
        '{ node(id: "taobao_shop_anyone") { id ... on Seller { name shopUrl location '
        "{ city } } } }")
    assert result["data"]["node"] == {"id": "taobao_shop_anyone", "name": "anyone",
                                      "shopUrl": None, "location": None}
    assert sum(gql.sandbox.calls.values()) == 0
