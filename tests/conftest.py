"""Shared fixtures: no real backoff in retries, and a tiny ASGI app served on a real loopback
port (real pools, real sockets)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import anyio.lowlevel
import pytest
import respx.mocks

from aiospaces.core import attempts as core_attempts
from aiospaces.emulator.app import serve_asgi

# The default Session ("auto") sends through aiohttp, which respx's default mocker (it patches
# httpcore's pool) never sees; its "httpx" mocker replaces the client's transport, whatever the
# backend. What users are told to do too (docs/concepts.md, "Testing with respx").
respx.mocks.DEFAULT_MOCKER = respx.mocks.HTTPXMocker.name

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the waits between retry attempts instead of waiting (a checkpoint stands in)."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(core_attempts, "_sleep", fake_sleep)
    return recorded


async def _reply(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": raw})


async def loopback_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a handful of paths the core tests need."""
    assert scope["type"] == "http"
    path: str = scope["path"]
    query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    if path.startswith("/things/"):
        thing = {"id": path.rsplit("/", 1)[1], "name": "Thing", "eTag": "e1"}
        await _reply(send, 200, {"data": thing}, [(b"x-request-id", b"req-ok")])
    elif path == "/slow":
        await asyncio.sleep(float(query.get("seconds", "2")))
        await _reply(send, 200, {"data": {"id": "slow", "name": "Slow"}}, [])
    elif path.startswith("/status/"):
        code = int(path.rsplit("/", 1)[1])
        body = {"error": {"type": "boom", "messages": [f"status {code}"]}}
        await _reply(send, code, body, [(b"x-request-id", b"req-err")])
    elif path == "/upload":
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await _reply(send, 200, {"size": size}, [])
    elif path == "/download":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(4):
            await asyncio.sleep(0.05)
            await send({"type": "http.response.body", "body": b"x" * 1000, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    else:
        await _reply(send, 404, {"error": {"type": "not_found", "messages": ["nope"]}}, [])


@pytest.fixture(scope="session")
def loopback_url() -> Iterator[str]:
    """Serve ``loopback_app`` with uvicorn on a free 127.0.0.1 port for the whole test run."""
    with serve_asgi(loopback_app) as url:
        yield url
