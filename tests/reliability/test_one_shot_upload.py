"""A one-shot stream that storage refuses: the error says it was not retried, and why."""

from __future__ import annotations

import os
import pickle
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import respx

import aiospaces
from aiospaces.emulator import Emulator, Fault
from tests.pubnub.test_files_wire import CHANNEL, Routes, produce
from tests.pubnub.test_files_wire import client as wire_client

if TYPE_CHECKING:
    from pathlib import Path

    from aiospaces.pubnub.client import PubNub

pytestmark = pytest.mark.usefixtures("retry_waits")

CONTENT = os.urandom(50_000)
EXPLAINED = "not retried: the file is a one-shot stream"
HOW = "pass a path, bytes or a seekable file"


def s3_error(status: int, code: str) -> httpx.Response:
    body = f"<Error><Code>{code}</Code><Message>m</Message><RequestId>R1</RequestId></Error>"
    return httpx.Response(status, text=body, headers={"x-amz-request-id": "R1"})


@pytest.mark.parametrize(
    ("answer", "error_class"),
    [
        (s3_error(503, "SlowDown"), aiospaces.ServerError),
        (s3_error(500, "InternalError"), aiospaces.ServerError),
        (s3_error(429, "TooManyRequests"), aiospaces.RateLimitError),
        (s3_error(408, "RequestTimeout"), aiospaces.APIError),
        (httpx.ConnectError("connection reset"), aiospaces.TransportError),
    ],
    ids=["503", "500", "429", "408", "reset"],
)
@respx.mock
async def test_a_transient_failure_says_why_it_was_not_retried(
    answer: Any, error_class: type[aiospaces.AiospacesError]
) -> None:
    routes = Routes(upload=[answer])
    async with wire_client() as pn:
        with pytest.raises(error_class) as caught:
            await pn.send_file(
                channel=CHANNEL, file_name="a.txt", file_object=produce(CONTENT), size=len(CONTENT)
            )
    error = caught.value
    assert routes.upload.call_count == 1
    assert EXPLAINED in str(error)
    assert HOW in str(error)
    if isinstance(answer, httpx.Response):  # the storage error keeps what it carried
        assert isinstance(error, aiospaces.APIError)
        assert type(error) is error_class or error_class is aiospaces.APIError
        assert error.status_code == answer.status_code
        assert error.request_id == "R1"
        assert str(error).startswith(f"{answer.status_code} pubnub ")
        assert "R1" in error.body
        copy = pickle.loads(pickle.dumps(error))  # still pickles, as its class
        assert type(copy) is type(error)
        assert copy.status_code == error.status_code
    else:
        assert "failed: ConnectError: connection reset; not retried" in str(error)
        assert isinstance(error.__cause__, httpx.ConnectError)


@respx.mock
async def test_a_refusal_that_is_never_retried_is_left_as_it_is() -> None:
    routes = Routes(upload=[s3_error(403, "AccessDenied")])
    async with wire_client() as pn:
        with pytest.raises(aiospaces.PermissionDeniedError) as caught:
            await pn.send_file(
                channel=CHANNEL, file_name="a.txt", file_object=produce(CONTENT), size=len(CONTENT)
            )
    assert routes.upload.call_count == 1
    assert "retried" not in str(caught.value)


@respx.mock
async def test_a_replayable_body_that_fails_every_time_has_no_such_note() -> None:
    routes = Routes(upload=[s3_error(503, "SlowDown")] * 3)
    async with wire_client() as pn:
        with pytest.raises(aiospaces.ServerError) as caught:
            await pn.send_file(channel=CHANNEL, file_name="a.txt", file_object=CONTENT)
    assert routes.upload.call_count == 3  # the first try and two retries
    assert "one-shot" not in str(caught.value)


def _pubnub(session: aiospaces.Session, emulator: Emulator) -> PubNub:
    endpoint: dict[str, Any] = emulator.settings("http://emulator.test")["pubnub"]
    return session.pubnub(
        subscribe_key="sub-c-one", publish_key="pub-c-one", user_id="t", **endpoint
    )


async def test_against_the_emulator_a_stream_is_sent_once_and_the_error_explains(
    emulator_session: aiospaces.Session, emulator: Emulator, tmp_path: Path
) -> None:
    fault = emulator.faults.add(Fault(method="POST", path="/_storage/*", status=503, times=1))
    pn = _pubnub(emulator_session, emulator)
    with pytest.raises(aiospaces.ServerError) as caught:
        await pn.send_file(
            channel="c", file_name="a.bin", file_object=produce(CONTENT), size=len(CONTENT)
        )
    assert caught.value.status_code == 503
    assert EXPLAINED in str(caught.value)
    assert fault.fired == 1
    assert emulator.storage.list("") == []

    # what the message advises: the same content from a path is retried past the same fault
    fault.times = 2
    path = tmp_path / "a.bin"
    path.write_bytes(CONTENT)
    envelope = await pn.send_file(channel="c", file_name="a.bin", file_object=path).future()
    assert fault.fired == 2
    assert envelope.status.attempts == 4  # reserve, a refused upload, the retry, publish
    (stored,) = emulator.storage.list("")
    assert stored.size == len(CONTENT)
