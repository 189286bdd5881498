"""Hostile input to the NeuroIO client: dot token keys, odd answers, tokens that are no header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.neuroio import NeuroIO

IAM = "https://iam.example"
TOKEN = {"id": 7, "key": "k" * 40, "is_active": True, "created": "2024-05-01T10:00:00+00:00"}
DOTS = [".", "..", "a/../b", "../7", "7/.", "..\\x"]
Call = Callable[[NeuroIO, Any], Any]
CALLS: list[Call] = [
    lambda nio, bad: nio.tokens.get(bad),
    lambda nio, bad: nio.tokens.delete(bad),
    lambda nio, bad: nio.tokens.delete(token_id_or_key=bad),
    lambda nio, bad: nio.tokens.update(bad, is_active=False),
    lambda nio, bad: nio.tokens.get().token_id_or_key(bad),
]


def client(**extra: Any) -> NeuroIO:
    return NeuroIO(**{"api_token": "secret-token", "iam_url": IAM, **extra})


@pytest.mark.parametrize("bad", DOTS)
@pytest.mark.parametrize("call", CALLS)
@respx.mock
async def test_dot_token_keys_never_reach_the_network(call: Call, bad: str) -> None:
    anything = respx.route().respond(204)
    async with client() as nio:
        with pytest.raises(aiospaces.ValidationError, match="token_id_or_key"):
            await call(nio, bad)
    assert not anything.called


@respx.mock
async def test_deleting_the_token_dot_does_not_reach_the_bulk_delete() -> None:
    bulk = respx.delete(f"{IAM}/v1/tokens/").respond(204)
    async with client() as nio:
        with pytest.raises(aiospaces.ValidationError, match=r"cannot be '\.'"):
            await nio.tokens.delete(".")
    assert not bulk.called


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "", None, 2**63, "\ud800"])
@respx.mock
async def test_space_ids_are_positive_ints_and_token_refs_ints_or_keys(bad: Any) -> None:
    anything = respx.route().respond(204)
    async with client() as nio:
        with pytest.raises(aiospaces.ValidationError):
            await nio.spaces.delete(bad)
        if bad is not None and not isinstance(bad, str) and bad != 2**63:
            with pytest.raises(aiospaces.ValidationError):
                await nio.tokens.delete(bad)
    assert not anything.called


@pytest.mark.parametrize(
    ("call", "answer"),
    [
        (lambda nio: nio.whoami(), httpx.Response(200, text="Server Error")),
        (lambda nio: nio.tokens.create(), httpx.Response(201, json=[TOKEN])),
        (lambda nio: nio.tokens.get(7), httpx.Response(200, json={**TOKEN, "is_active": "no"})),
        (lambda nio: nio.tokens.list(), httpx.Response(200, json={"count": 1, "results": {}})),
        (lambda nio: nio.spaces.get(3), httpx.Response(200, json={"id": "three", "name": "x"})),
        (lambda nio: nio.spaces.list(), httpx.Response(200, json={"count": "many"})),
        (lambda nio: nio.lists.spaces.all(), httpx.Response(200, json="spaces")),
        (lambda nio: nio.auth.token("me", "pw"), httpx.Response(200, json={"token": None})),
    ],
)
@respx.mock
async def test_an_answer_of_the_wrong_shape_is_an_unexpected_response_error(
    call: Callable[[NeuroIO], Any], answer: httpx.Response
) -> None:
    answer.headers["x-request-id"] = "req-odd"
    respx.route().mock(return_value=answer)
    async with client() as nio:
        with pytest.raises(aiospaces.UnexpectedResponseError) as caught:
            await call(nio)
    error = caught.value
    assert (error.status_code, error.vendor, error.request_id) == (
        answer.status_code,
        "neuroio",
        "req-odd",
    )
    assert "expected a JSON" in error.message


@pytest.mark.parametrize("token", ["tökén-secret", "token secret", "token\r\nX: 1", "tok\ud800"])
@respx.mock
async def test_a_token_that_cannot_be_a_header_fails_at_construction(token: str) -> None:
    anything = respx.route().respond(200, json={})
    with pytest.raises(aiospaces.ValidationError, match="api_token") as caught:
        client(api_token=token)
    assert "secret" not in str(caught.value)
    async with client() as nio:
        with pytest.raises(aiospaces.ValidationError, match="api_token"):
            nio.with_token(token)
        with pytest.raises(aiospaces.ValidationError, match="password"):
            await nio.auth.token("me", "pw\ud800")
    assert not anything.called
