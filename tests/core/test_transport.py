from __future__ import annotations

import logging

import httpx
import pytest
import respx

import aiospaces
from aiospaces.core import attempts as core_attempts
from aiospaces.core.transport import redact_url
from tests.core.toy import ToyClient

BASE = "https://toy.example"


def test_redact_url_masks_secrets_only() -> None:
    url = "https://ps.example/v2/x?uuid=me&auth=tok-1&signature=v2.abc&token=t&limit=10"
    assert redact_url(url) == (
        "https://ps.example/v2/x?uuid=me&auth=***&signature=***&token=***&limit=10"
    )
    assert redact_url("https://ps.example/v2/x") == "https://ps.example/v2/x"


@respx.mock
async def test_retry_logs_never_show_secrets(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(core_attempts, "_sleep", no_sleep)
    respx.get(f"{BASE}/things/a").mock(
        side_effect=[httpx.Response(503), httpx.ReadError("x"), httpx.Response(200, json={})]
    )
    caplog.set_level(logging.INFO, logger="aiospaces")
    async with ToyClient(base_url=BASE) as toy:
        await toy.call(path="/things/a", query=[("auth", "SECRET-TOKEN"), ("q", "1")])
    assert len(caplog.records) == 2
    assert "SECRET-TOKEN" not in caplog.text
    assert "auth=***" in caplog.text
    assert "status 503" in caplog.text
    assert "ReadError" in caplog.text


async def test_a_streamed_body_breaking_off_raises_transport_error() -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b"partial"
            raise httpx.ReadError("connection reset")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Broken())

    async with aiospaces.Session(transport=httpx.MockTransport(handler)) as session:
        toy = ToyClient(session, base_url=BASE)
        with pytest.raises(aiospaces.TransportError, match="ReadError") as caught:
            await toy.download()
    assert isinstance(caught.value.__cause__, httpx.ReadError)


async def test_httpx_request_logs_mask_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    mock = httpx.MockTransport(lambda request: httpx.Response(200))
    async with aiospaces.Session(transport=mock) as session:
        url = "https://ps.example/v1/tokens/tok-secret/?uuid=me&auth=ak-secret&signature=v2.sig"
        await session.http_client.get(url)
    assert "HTTP Request" in caplog.text
    assert "uuid=me" in caplog.text
    for secret in ("tok-secret", "ak-secret", "v2.sig"):
        assert secret not in caplog.text


async def test_a_url_sent_again_is_parsed_once_and_each_request_is_its_own() -> None:
    async with aiospaces.Session(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as s:
        url = f"{BASE}/v2/objects/sub/channels/once-{id(s)}?include=custom&uuid=me"
        before = s.transport._parsed_url.cache_info()
        first = s.transport.build_request("GET", url, headers={}, content=None, timeout=None)
        second = s.transport.build_request("GET", url, headers={}, content=None, timeout=None)
        after = s.transport._parsed_url.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert first is not second
    assert str(first.url) == str(second.url) == url
    assert first.url.params["include"] == "custom"


async def test_a_malformed_url_raises_every_time_it_is_sent() -> None:
    async with aiospaces.Session(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as s:
        for _ in range(2):
            with pytest.raises(httpx.InvalidURL, match="non-printable"):
                s.transport.build_request(
                    "GET", f"{BASE}/a\nb", headers={}, content=None, timeout=None
                )
