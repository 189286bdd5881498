"""The request log: what is recorded of each request, how it is filtered, what is masked."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx
import pytest

import aiospaces
from aiospaces.emulator import Emulator, Fault
from aiospaces.emulator.request_log import (
    RequestLog,
    RequestRecord,
    RequestRecorder,
    describe_fault,
    filters_from_query,
    redact,
    vendor_of,
)
from aiospaces.pubnub.report import UploadItem

SPACES = "/video/v1/spaces"
MUX = ("token-id", "token-secret")


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url="http://emu", auth=MUX
    ) as c:
        yield c


async def test_each_request_is_recorded_with_its_status_sizes_and_vendor(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    created = await client.post(SPACES, json={"type": "server"})
    assert created.status_code == 201
    await client.get("/nowhere")
    await client.get("/_emulator/state")  # the control API is not recorded
    post, nowhere = emulator.requests
    assert (post.id, post.method, post.path, post.vendor, post.status) == (
        1,
        "POST",
        SPACES,
        "mux",
        201,
    )
    assert post.bytes_in == len(b'{"type":"server"}')
    assert post.bytes_out == len(created.content)
    assert post.outcome == "answered"
    assert post.fault is None
    assert 0 < post.duration < 5
    assert (nowhere.vendor, nowhere.status) == ("", 404)
    assert len(emulator.requests) == 2


async def test_the_fault_that_fired_is_named(client: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="GET", path=SPACES, status=503, times=1))
    emulator.faults.add(Fault(method="POST", path=SPACES, lose_answer="drop", times=1))
    assert (await client.get(SPACES)).status_code == 503
    assert (await client.get(SPACES)).status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(SPACES, json={})
    faulted, plain, dropped = emulator.requests
    assert (faulted.status, faulted.fault) == (503, f"GET {SPACES} → status=503")
    assert plain.fault is None
    assert dropped.fault == f"POST {SPACES} → lose_answer=drop"
    assert (dropped.status, dropped.outcome) == (201, "dropped")


async def test_secrets_in_paths_and_queries_are_masked(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    await client.get("/v1/tokens/abcdef0123456789/", params={"token": "t0ken"})
    await client.get(
        "/v2/objects/sub-c-x/channels", params={"auth": "s3cret", "signature": "v2.sig", "limit": 5}
    )
    await client.get("/_storage/k", params={"X-Amz-Signature": "f00", "X-Amz-Credential": "AKIA"})
    tokens, objects, storage = emulator.requests
    assert (tokens.path, tokens.query) == ("/v1/tokens/***/", "token=***")
    assert objects.query == "auth=***&signature=***&limit=5"
    assert storage.query == "X-Amz-Signature=***&X-Amz-Credential=***"
    shown = " ".join(r.url for r in emulator.requests)
    for secret in ("abcdef0123456789", "t0ken", "s3cret", "v2.sig", "f00", "AKIA"):
        assert secret not in shown


def test_redact_keeps_numbers_after_tokens_and_plain_values() -> None:
    assert redact("/v1/tokens/42/", "") == ("/v1/tokens/42/", "")
    assert redact("/v1/tokens/", "permanent=true") == ("/v1/tokens/", "permanent=true")
    masked = ("/p", "PASSWORD=***&Secret_Key=***&a=%2F")  # the rest stays as sent
    assert redact("/p", "PASSWORD=x&Secret_Key=y&a=%2F") == masked
    assert redact("/video/v1/live-streams", "stream_key=sk-1&limit=2") == (
        "/video/v1/live-streams",
        "stream_key=***&limit=2",
    )


@pytest.mark.parametrize(
    ("path", "vendor"),
    [
        ("/v2/objects/s/channels", "pubnub"),
        ("/v1/files/s/channels/c/files", "pubnub"),
        ("/v2/subscribe/s/c/0", "pubnub"),
        ("/time/0", "pubnub"),
        ("/video/v1/spaces", "mux"),
        ("/v1/spaces/", "neuroio"),
        ("/api/apps", "pubnub_admin"),
        ("/_storage/", "storage"),
        ("/favicon.ico", ""),
    ],
)
def test_vendor_of_a_path(path: str, vendor: str) -> None:
    assert vendor_of(path) == vendor


async def test_an_upload_is_counted_as_it_streams_not_buffered(emulator: Emulator) -> None:
    size = 3 * 1024 * 1024
    chunks_seen: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(size // (64 * 1024)):
            # the log has not seen the request yet: it is recorded once, at the end
            chunks_seen.append(len(emulator.requests))
            yield b"x" * (64 * 1024)

    async with aiospaces.Session(transport=emulator.transport()) as session:
        pn = session.pubnub(subscribe_key="sub-c-log", publish_key="pub-c-log", user_id="u")
        report = await pn.upload_files(
            "ch", [UploadItem(body(), file_name="big.bin", size=size)], concurrency=1
        )
    assert len(report.succeeded) == 1
    [upload] = emulator.requests.select(vendor="storage")
    assert upload.bytes_in > size  # the file and the form fields around it
    assert upload.status == 204
    assert set(chunks_seen) == {1}  # only the generate-upload-url call was recorded meanwhile


async def test_a_cancelled_request_is_recorded_as_the_client_gone(emulator: Emulator) -> None:
    emulator.faults.add(Fault(path=SPACES, delay=30))
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url="http://emu", auth=MUX
    ) as client:
        with anyio.move_on_after(0.2):
            await client.get(SPACES)
    [record] = emulator.requests
    assert (record.status, record.outcome, record.bytes_out) == (None, "client_gone", 0)
    assert record.fault == f"* {SPACES} → delay=30s"
    assert 0.15 < record.duration < 5


async def test_a_disconnect_while_the_body_is_read_is_recorded(emulator: Emulator) -> None:
    messages: Iterator[dict[str, object]] = iter(
        [
            {"type": "http.request", "body": b'{"ty', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return next(messages)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": SPACES,
        "raw_path": SPACES.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"emu"),
            (b"content-type", b"application/json"),
            (b"authorization", b"Basic " + base64.b64encode(":".join(MUX).encode())),
        ],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("emu", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }
    await emulator.app(scope, receive, send)  # type: ignore[arg-type]
    [record] = emulator.requests
    assert (record.outcome, record.bytes_in, record.status) == ("client_gone", 4, None)
    assert sent == []


async def test_a_subscribe_poll_cut_short_is_recorded(emulator: Emulator) -> None:
    emulator.vendors["pubnub"].streams.subscribe_timeout = 30  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as client:
        with anyio.move_on_after(0.2):
            await client.get("/v2/subscribe/sub-c-x/ch/0", params={"tt": "1", "uuid": "u"})
    [record] = emulator.requests
    assert (record.vendor, record.outcome) == ("pubnub", "client_gone")


def test_the_ring_keeps_the_newest_and_ids_keep_increasing() -> None:
    log = RequestLog(3)
    fields = {
        "time": 0.0,
        "method": "GET",
        "path": "/p",
        "query": "",
        "vendor": "",
        "status": 200,
        "duration": 0.0,
        "fault": None,
        "bytes_in": 0,
        "bytes_out": 0,
        "outcome": "answered",
    }
    for _ in range(5):
        log.append(**fields)
    assert [r.id for r in log] == [3, 4, 5]
    assert (log.size, log.last_id) == (3, 5)
    log.clear()
    assert list(log) == []
    assert log.append(**fields).id == 6
    assert len(RequestLog(0).append(**fields).to_json()) == 12
    for bad in (-1, 1.5, True, "10"):
        with pytest.raises(ValueError, match="size"):
            RequestLog(bad)  # type: ignore[arg-type]


@pytest.mark.emulator(request_log_size=2)
async def test_the_size_is_set_on_the_emulator(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    for _ in range(3):
        await client.get(SPACES)
    assert [r.id for r in emulator.requests] == [2, 3]
    assert emulator.requests.size == 2


async def test_select_filters(client: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.faults.add(Fault(method="DELETE", path="*", status=500))
    await client.get(SPACES)
    await client.post(SPACES, json={})
    await client.get("/v1/whoami/")
    await client.delete(SPACES + "/nope")
    log = emulator.requests
    assert [r.id for r in log.select(vendor="mux")] == [1, 2, 4]
    assert [r.id for r in log.select(status=201)] == [2]
    assert [r.id for r in log.select(status="4xx")] == [3]
    assert [r.id for r in log.select(status="5XX")] == [4]
    assert [r.id for r in log.select(path="/video/v1/spaces/*")] == [4]
    assert [r.id for r in log.select(method="post")] == [2]
    assert [r.id for r in log.select(since=2)] == [3, 4]
    assert [r.id for r in log.select(limit=2)] == [3, 4]
    assert log.select(limit=0) == []
    assert [r.id for r in log.select(vendor="mux", since=1, limit=1)] == [4]


async def test_the_control_api_lists_and_clears_the_log(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    await client.get(SPACES)
    await client.post(SPACES, json={})
    answer = await client.get("/_emulator/requests", params={"method": "POST", "vendor": "mux"})
    assert answer.status_code == 200
    [entry] = answer.json()
    record = RequestRecord.from_json(entry)
    assert record == emulator.requests.select(method="POST")[0]
    assert (record.path, record.status, record.url) == (SPACES, 201, SPACES)
    assert (await client.get("/_emulator/requests?since=1&limit=5")).json() == [entry]
    assert (await client.delete("/_emulator/requests")).json() == {"cleared": True}
    assert (await client.get("/_emulator/requests")).json() == []


async def test_reset_forgets_the_log(client: httpx.AsyncClient, emulator: Emulator) -> None:
    await client.get(SPACES)
    await client.post("/_emulator/reset")
    assert list(emulator.requests) == []


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("colour=red", "unknown filters"),
        ("status=600", "status must be"),
        ("status=abc", "status must be"),
        ("status=5x", "status must be"),
        ("since=-1", "since must be a whole number"),
        ("limit=%C2%B2", "limit must be a whole number"),
        ("since=" + "9" * 30, "since must be"),
        ("path=" + "a" * 3000, "at most 2048"),
    ],
)
async def test_bad_filters_are_refused(client: httpx.AsyncClient, query: str, reason: str) -> None:
    answer = await client.get(f"/_emulator/requests?{query}")
    assert answer.status_code == 400
    assert reason in answer.json()["error"]


def test_empty_filters_are_no_filters() -> None:
    assert filters_from_query({"vendor": "", "status": "", "path": ""}) == {}
    assert filters_from_query({"status": "404", "since": "7"}) == {"status": 404, "since": 7}


async def test_an_app_that_raises_is_recorded_as_failed() -> None:
    async def broken(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("bug")

    log = RequestLog()
    recorder = RequestRecorder(broken, log)
    scope = {"type": "http", "method": "GET", "path": "/api/apps", "query_string": b"a=1"}

    async def nothing() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def ignore(message: object) -> None:
        return None

    with pytest.raises(RuntimeError, match="bug"):
        await recorder(scope, nothing, ignore)
    [record] = log
    assert (record.vendor, record.status, record.outcome, record.query) == (
        "pubnub_admin",
        500,
        "failed",
        "a=1",
    )


def test_describe_fault_names_every_action() -> None:
    rule = Fault(method="POST", path="/x", lose_answer="late", delay=1.5)
    assert describe_fault(rule) == "POST /x → lose_answer=late delay=1.5s"
    assert describe_fault(Fault(drop=True, status=200)) == "* * → drop status=200"
    assert describe_fault(Fault(times=1)) == "* * → pass"


@pytest.mark.emulator(fault_mode="all")
async def test_every_rule_that_fired_is_named(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.add(Fault(method="GET", path=SPACES, delay=0.01, times=1))
    emulator.faults.add(Fault(method="GET", path=SPACES, status=503, times=1))
    assert (await client.get(SPACES)).status_code == 503
    [record] = emulator.requests
    assert record.fault == f"GET {SPACES} → delay=0.01s; GET {SPACES} → status=503"
