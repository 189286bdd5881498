from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.core.request import RequestSpec
from aiospaces.core.transport import PoolStats
from tests.core.toy import OtherClient, ToyClient

BASE = "https://toy.example"


async def test_two_clients_share_one_http_client() -> None:
    async with aiospaces.Session() as session:
        toy = ToyClient(session, base_url=BASE)
        other = OtherClient(session, base_url="https://other.example")
        assert toy.session.http_client is other.session.http_client
        assert toy.session.http_client is session.http_client


async def test_closing_twice_is_harmless_and_closed_session_refuses_calls() -> None:
    session = aiospaces.Session(backend="httpx")
    toy = ToyClient(session, base_url=BASE)
    assert repr(session) == "<Session backend=httpx open>"
    await session.aclose()
    await session.aclose()
    assert session.closed
    with respx.mock(assert_all_mocked=True) as router:
        with pytest.raises(aiospaces.SessionClosedError, match="closed"):
            await toy.get_thing(thing_id="a")
        assert not router.calls
    assert repr(session) == "<Session backend=httpx closed>"


async def test_user_http_client_is_used_and_never_closed() -> None:
    async with httpx.AsyncClient() as mine:
        async with aiospaces.Session(http_client=mine) as session:
            assert session.http_client is mine
        assert not mine.is_closed


def test_http_client_excludes_other_pool_settings() -> None:
    with pytest.raises(aiospaces.ValidationError, match="http_client"):
        aiospaces.Session(http_client=httpx.AsyncClient(), http2=True)


@pytest.mark.parametrize("kwargs", [{"backend": "curl"}, {"retries": -1}, {"retries": True}])
def test_bad_session_arguments_raise_validation_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(aiospaces.ValidationError):
        aiospaces.Session(**kwargs)  # type: ignore[arg-type]


async def test_http2_and_aiohttp_backends_build_clients() -> None:
    async with aiospaces.Session(http2=True) as session:
        assert isinstance(session.http_client, httpx.AsyncClient)
    async with aiospaces.Session(backend="aiohttp") as session:
        wrapper: Any = session.http_client._transport
        assert type(wrapper).__name__ == "AiohttpErrorsTransport"
        assert type(wrapper.inner).__name__ == "LeanAiohttpTransport"  # httpx-aiohttp's, leaner
        assert session.pool_stats() == PoolStats(connections=0, in_flight=0)
    with pytest.raises(aiospaces.ValidationError, match=r"HTTP/1\.1"):
        aiospaces.Session(backend="aiohttp", http2=True).http_client  # noqa: B018


async def test_standalone_client_owns_and_closes_its_session() -> None:
    async with ToyClient(base_url=BASE) as toy:
        session = toy.session
        assert not session.closed
    assert session.closed


async def test_client_on_shared_session_leaves_it_open() -> None:
    async with aiospaces.Session() as session:
        async with ToyClient(session, base_url=BASE):
            pass
        assert not session.closed


async def test_pool_stats_unknown_for_mock_transport() -> None:
    async with aiospaces.Session(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as s:
        assert s.pool_stats() is None
    assert aiospaces.Session().pool_stats() == PoolStats(connections=0, in_flight=0)


async def test_auto_backend_is_aiohttp_when_installed_else_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiospaces.core import transport

    assert transport.aiohttp_installed()  # a dependency of aiospaces
    async with aiospaces.Session() as session:
        assert session.backend == "aiohttp"
        assert type(session.http_client._transport).__name__ == "AiohttpErrorsTransport"
    async with aiospaces.Session(http2=True) as session:  # aiohttp speaks HTTP/1.1 only
        assert session.backend == "httpx"
        assert type(session.http_client._transport).__name__ == "CancelSafeTransport"
    monkeypatch.setattr(transport, "aiohttp_installed", lambda: False)
    async with aiospaces.Session(backend="auto") as session:
        assert session.backend == "httpx"
        assert repr(session) == "<Session backend=httpx open>"
        assert type(session.http_client._transport).__name__ == "CancelSafeTransport"
    assert transport.resolve_backend("aiohttp") == "aiohttp"  # chosen, not resolved


def test_aiohttp_installed_needs_both_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from aiospaces.core import transport

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "httpx_aiohttp" else real(name)
    )
    assert not transport.aiohttp_installed()
    assert transport.resolve_backend("auto") == "httpx"


async def test_cookies_an_answer_sets_are_kept_and_others_are_not_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []
    real = httpx.Cookies.extract_cookies

    def spy(self: httpx.Cookies, response: httpx.Response) -> None:
        parsed.append(str(response.request.url))
        real(self, response)

    monkeypatch.setattr(httpx.Cookies, "extract_cookies", spy)
    with respx.mock(assert_all_mocked=True) as router:
        router.get(f"{BASE}/things/a").mock(return_value=httpx.Response(200, json={"data": {}}))
        router.get(f"{BASE}/things/b").mock(
            return_value=httpx.Response(200, json={"data": {}}, headers={"Set-Cookie": "k=v"})
        )
        async with aiospaces.Session() as session:
            toy = ToyClient(session, base_url=BASE)
            await toy.request(RequestSpec(method="GET", path="/things/a"))
            assert parsed == []  # no Set-Cookie: the jar is not asked
            await toy.request(RequestSpec(method="GET", path="/things/b"))
            assert parsed == [f"{BASE}/things/b"]
            assert session.http_client.cookies["k"] == "v"
