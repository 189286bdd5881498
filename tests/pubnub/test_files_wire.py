"""Exact requests of the File Sharing calls (respx), per the protocol notes §3 and §4."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

import anyio
import httpx
import pytest
import respx

import aiospaces
from aiospaces.pubnub import PubNub
from aiospaces.pubnub.crypto import CryptoModule
from aiospaces.pubnub.models import FileInfo, FilePage, PublishedFile, SentFile
from aiospaces.pubnub.signing import sign_request
from tests.core.test_multipart import Part, parse_body

ORIGIN = "https://ps.example"
SUB = "sub-c-x"
PUB = "pub-c-x"
SDK = "pnsdk=aiospaces-Python%2F0.1.0"
KEY = "my-cipher-key"
CHANNEL = "photos 2026/ü"
ENC_CHANNEL = "photos%202026%2F%C3%BC"
FILES = f"{ORIGIN}/v1/files/{SUB}/channels/{ENC_CHANNEL}"
S3 = "https://pubnub-mnemosyne-files-us-east-1-prd.s3.dualstack.us-east-1.amazonaws.com/"
STORAGE = "https://files-us-east-1.pndsn.com"
PUBLISHED = httpx.Response(
    200,
    json=[1, "Sent", "17332374369988275"],
    headers={"Content-Type": 'text/javascript; charset="UTF-8"'},
)
ENTITY_TOO_LARGE = (
    "<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum "
    "allowed size</Message><ProposedSize>5244681</ProposedSize><MaxSizeAllowed>5242880"
    "</MaxSizeAllowed><RequestId>4VGNPE4EW8YH4JZ6</RequestId><HostId>h</HostId></Error>"
)


@pytest.fixture(autouse=True)
def no_waiting(retry_waits: list[float]) -> list[float]:
    """Skip the backoff between attempts (recording the waits)."""
    return retry_waits


def client(**extra: object) -> PubNub:
    settings: dict[str, object] = {
        "subscribe_key": SUB,
        "publish_key": PUB,
        "user_id": "me",
        "origin": "ps.example",
        **extra,
    }
    return PubNub(**settings)  # type: ignore[arg-type]


def policy(limit: int) -> str:
    document = {
        "expiration": "2024-12-12T09:15:50Z",
        "conditions": [{"bucket": "b"}, ["content-length-range", 0, limit]],
    }
    return base64.b64encode(json.dumps(document).encode()).decode()


def fields_of(file_id: str, name: str, limit: int = 5242880) -> list[tuple[str, str]]:
    return [
        (
            "tagging",
            "<Tagging><TagSet><Tag><Key>ObjectTTLInDays</Key><Value>1</Value></Tag></TagSet>"
            "</Tagging>",
        ),
        ("key", f"{SUB}/0MR1-z2w0nSJYxwEy74p5QjV85TmgNBKPrV71t55NT0/{file_id}/{name}"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20241212/us-east-1/s3/aws4_request"),
        ("X-Amz-Security-Token", ""),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Date", "20241212T091550Z"),
        ("Policy", policy(limit)),
        ("X-Amz-Signature", "0" * 64),
    ]


def ticket(
    file_id: str = "fid-1", name: str = "a b.txt", fields: list[tuple[str, str]] | None = None
) -> httpx.Response:
    form = fields if fields is not None else fields_of(file_id, name)
    return httpx.Response(
        200,
        json={
            "status": 200,
            "data": {"id": file_id, "name": name},
            "file_upload_request": {
                "url": S3,
                "method": "POST",
                "expiration_date": "2024-12-12T09:15:50Z",
                "form_fields": [{"key": k, "value": v} for k, v in form],
            },
        },
    )


class Routes:
    """The three routes of ``send_file``."""

    def __init__(self, generate: Any = None, upload: Any = None, publish: Any = None) -> None:
        self.generate = respx.post(f"{FILES}/generate-upload-url")
        if isinstance(generate, list):
            self.generate.side_effect = generate
        else:
            self.generate.return_value = generate if generate is not None else ticket()
        self.upload = respx.post(S3)
        if isinstance(upload, list):
            self.upload.side_effect = upload
        else:
            self.upload.return_value = upload if upload is not None else httpx.Response(204)
        self.publish = respx.get(url__startswith=f"{ORIGIN}/v1/files/publish-file/")
        if isinstance(publish, list):
            self.publish.side_effect = publish
        else:
            self.publish.return_value = publish if publish is not None else PUBLISHED


def uploaded(request: httpx.Request) -> list[Part]:
    """The multipart parts of a storage POST, after checking its framing headers."""
    content_type = request.headers["content-type"]
    prefix = "multipart/form-data; boundary="
    assert content_type.startswith(prefix)
    boundary = content_type.removeprefix(prefix)
    assert len(boundary) == 32
    assert int(request.headers["content-length"]) == len(request.content)
    assert "transfer-encoding" not in request.headers  # S3 refuses chunked bodies
    return parse_body(request.content, boundary)


# -- send_file --------------------------------------------------------------------------------


@respx.mock
async def test_send_file_sends_exactly_three_requests() -> None:
    routes = Routes()
    async with client() as pn:
        envelope = await (
            pn.send_file()
            .channel(CHANNEL)
            .file_name("a b.txt")
            .file_object(b"Knights who say Ni!")
            .message({"text": "hi"})
            .future()
        )
    assert envelope.result == SentFile("a b.txt", "fid-1", "17332374369988275")
    assert envelope.status.attempts == 3

    generate = routes.generate.calls.last.request
    assert generate.url.raw_path == (
        f"/v1/files/{SUB}/channels/{ENC_CHANNEL}/generate-upload-url?{SDK}&uuid=me".encode()
    )
    assert generate.content == b'{"name": "a b.txt"}'
    assert generate.headers["content-type"] == "application/json"

    upload = routes.upload.calls.last.request
    assert str(upload.url) == S3  # no query at all, not even pnsdk/uuid
    assert upload.url.raw_path == b"/"
    parts = uploaded(upload)
    assert [p.name for p in parts] == [k for k, _ in fields_of("fid-1", "a b.txt")] + ["file"]
    assert [p.data.decode() for p in parts[:-1]] == [v for _, v in fields_of("fid-1", "a b.txt")]
    assert parts[-1].headers == [
        ("Content-Disposition", 'form-data; name="file"; filename="a b.txt"'),
        ("Content-Type", "text/plain"),
    ]
    assert parts[-1].data == b"Knights who say Ni!"

    publish = routes.publish.calls.last.request
    assert (
        publish.url.raw_path
        == (
            f"/v1/files/publish-file/{PUB}/{SUB}/0/{ENC_CHANNEL}/0/"
            "%7B%22message%22%3A%20%7B%22text%22%3A%20%22hi%22%7D%2C%20%22file%22%3A%20%7B%22id"
            "%22%3A%20%22fid-1%22%2C%20%22name%22%3A%20%22a%20b.txt%22%7D%7D"
            f"?meta=null&ttl=0&store=0&{SDK}&uuid=me"
        ).encode()
    )


@respx.mock
async def test_auth_goes_to_pubnub_never_to_storage() -> None:
    routes = Routes()
    async with client(auth_key="ak-1") as pn:
        await pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"x")
    assert routes.generate.calls.last.request.url.query.endswith(b"&uuid=me&auth=ak-1")
    assert routes.publish.calls.last.request.url.query.endswith(b"&uuid=me&auth=ak-1")
    assert routes.upload.calls.last.request.url.query == b""


@respx.mock
async def test_publish_query_options_in_order() -> None:
    routes = Routes()
    async with client(token="tok") as pn:
        await (
            pn.send_file()
            .channel(CHANNEL)
            .file_name("a b.txt")
            .file_object(b"x")
            .meta({"kind": "photo"})
            .ttl(12)
            .should_store(True)
            .custom_message_type("file-msg")
        )
    assert (
        routes.publish.calls.last.request.url.query
        == (
            "meta=%7B%22kind%22%3A%20%22photo%22%7D&ttl=12&store=1&custom_message_type=file-msg"
            f"&{SDK}&uuid=me&auth=tok"
        ).encode()
    )


@pytest.mark.parametrize(
    ("file_name", "content_type", "expected"),
    [
        ("noext", None, "application/octet-stream"),
        ("clip.png", None, "image/png"),
        ("clip.png", "video/mp4", "video/mp4"),
    ],
)
@respx.mock
async def test_file_part_content_type(
    file_name: str, content_type: str | None, expected: str
) -> None:
    routes = Routes(generate=ticket(name=file_name))
    async with client() as pn:
        builder = pn.send_file(channel=CHANNEL, file_name=file_name, file_object=b"x")
        if content_type:
            builder.content_type(content_type)
        await builder
    parts = uploaded(routes.upload.calls.last.request)
    assert parts[-1].header("Content-Type") == expected
    assert parts[2].data == b"text/plain; charset=utf-8"  # the server's field stays apart


@pytest.mark.parametrize("crypto", ["aescbc", "legacy"])
@respx.mock
async def test_encrypted_upload_and_payload(crypto: str) -> None:
    routes = Routes()
    content = os.urandom(100_003)
    async with client(cipher_key=KEY, crypto=crypto) as pn:
        await pn.send_file(
            channel=CHANNEL, file_name="a b.txt", file_object=content, message={"t": "é"}
        )
    module = CryptoModule(KEY)  # decrypts either cryptor
    stored = uploaded(routes.upload.calls.last.request)[-1].data
    assert len(stored) == CryptoModule(KEY, default=crypto).encrypted_size(len(content))  # type: ignore[arg-type]
    assert stored.startswith(b"PNED\x01ACRH\x10") == (crypto == "aescbc")
    assert module.decrypt(stored) == content

    path = routes.publish.calls.last.request.url.raw_path.decode()
    head = f"/v1/files/publish-file/{PUB}/{SUB}/0/{ENC_CHANNEL}/0/"
    assert path.startswith(head + ("%22UE5FRAFBQ1JI" if crypto == "aescbc" else "%22"))
    segment, query = path.removeprefix(head).split("?")
    assert "/" not in segment
    assert "+" not in segment  # base64's + and / are percent-encoded
    text = json.loads(unquote(segment))
    assert isinstance(text, str)
    assert module.decrypt_message(text) == {
        "message": {"t": "é"},
        "file": {"id": "fid-1", "name": "a b.txt"},
    }
    assert query == f"meta=null&ttl=0&store=0&{SDK}&uuid=me"


@respx.mock
async def test_per_call_cipher_key_wins() -> None:
    routes = Routes()
    async with client(cipher_key="client-key") as pn:
        await pn.send_file(
            channel=CHANNEL, file_name="a b.txt", file_object=b"abc", cipher_key="call-key"
        )
    stored = uploaded(routes.upload.calls.last.request)[-1].data
    assert CryptoModule("call-key").decrypt(stored) == b"abc"
    with contextlib.suppress(aiospaces.DecryptionError):  # (a wrong key may unpad by chance)
        assert CryptoModule("client-key").decrypt(stored) != b"abc"


# The recorded encrypted upload (cassette send_and_download_encrypted_file_crypto_module): a
# legacy module with key "testKey", the IV patched to "knightsofni12345" (pubnub.md §4.5).
RECORDED_BOUNDARY = "61e1db329124eac3d9cd51e05d79fec6"
RECORDED_FILE_ID = "b32db05b-b3e6-4530-8b9b-bb01494f8eae"
RECORDED_UPLOAD = base64.b64decode(
    "LS02MWUxZGIzMjkxMjRlYWMzZDljZDUxZTA1ZDc5ZmVjNg0KQ29udGVudC1EaXNwb3NpdGlvbjogZm9ybS1kYXRh"
    "OyBuYW1lPSJ0YWdnaW5nIg0KDQo8VGFnZ2luZz48VGFnU2V0PjxUYWc+PEtleT5PYmplY3RUVExJbkRheXM8L0tl"
    "eT48VmFsdWU+MTwvVmFsdWU+PC9UYWc+PC9UYWdTZXQ+PC9UYWdnaW5nPg0KLS02MWUxZGIzMjkxMjRlYWMzZDlj"
    "ZDUxZTA1ZDc5ZmVjNg0KQ29udGVudC1EaXNwb3NpdGlvbjogZm9ybS1kYXRhOyBuYW1lPSJrZXkiDQoNCnN1Yi1j"
    "LWQwYjhlNTQyLTEyYTAtNDFjNC05OTlmLWEyZDU2OWRjNDI1NS8wTVIxLXoydzBuU0pZeHdFeTc0cDVRalY4NVRt"
    "Z05CS1ByVjcxdDU1TlQwL2IzMmRiMDViLWIzZTYtNDUzMC04YjliLWJiMDE0OTRmOGVhZS9raW5nX2FydGh1ci50"
    "eHQNCi0tNjFlMWRiMzI5MTI0ZWFjM2Q5Y2Q1MWUwNWQ3OWZlYzYNCkNvbnRlbnQtRGlzcG9zaXRpb246IGZvcm0t"
    "ZGF0YTsgbmFtZT0iQ29udGVudC1UeXBlIg0KDQp0ZXh0L3BsYWluOyBjaGFyc2V0PXV0Zi04DQotLTYxZTFkYjMy"
    "OTEyNGVhYzNkOWNkNTFlMDVkNzlmZWM2DQpDb250ZW50LURpc3Bvc2l0aW9uOiBmb3JtLWRhdGE7IG5hbWU9Ilgt"
    "QW16LUNyZWRlbnRpYWwiDQoNCkFLSUFJT1NGT0ROTjdFWEFNUExFLzIwMjQxMjEyL3VzLWVhc3QtMS9zMy9hd3M0"
    "X3JlcXVlc3QNCi0tNjFlMWRiMzI5MTI0ZWFjM2Q5Y2Q1MWUwNWQ3OWZlYzYNCkNvbnRlbnQtRGlzcG9zaXRpb246"
    "IGZvcm0tZGF0YTsgbmFtZT0iWC1BbXotU2VjdXJpdHktVG9rZW4iDQoNCg0KLS02MWUxZGIzMjkxMjRlYWMzZDlj"
    "ZDUxZTA1ZDc5ZmVjNg0KQ29udGVudC1EaXNwb3NpdGlvbjogZm9ybS1kYXRhOyBuYW1lPSJYLUFtei1BbGdvcml0"
    "aG0iDQoNCkFXUzQtSE1BQy1TSEEyNTYNCi0tNjFlMWRiMzI5MTI0ZWFjM2Q5Y2Q1MWUwNWQ3OWZlYzYNCkNvbnRl"
    "bnQtRGlzcG9zaXRpb246IGZvcm0tZGF0YTsgbmFtZT0iWC1BbXotRGF0ZSINCg0KMjAyNDEyMTJUMDkxNTUwWg0K"
    "LS02MWUxZGIzMjkxMjRlYWMzZDljZDUxZTA1ZDc5ZmVjNg0KQ29udGVudC1EaXNwb3NpdGlvbjogZm9ybS1kYXRh"
    "OyBuYW1lPSJQb2xpY3kiDQoNCkNuc0tDU0psZUhCcGNtRjBhVzl1SWpvZ0lqSXdNalF0TVRJdE1USlVNRGs2TVRV"
    "Nk5UQmFJaXdLQ1NKamIyNWthWFJwYjI1eklqb2dXd29KQ1hzaVluVmphMlYwSWpvZ0luQjFZbTUxWWkxdGJtVnRi"
    "M041Ym1VdFptbHNaWE10ZFhNdFpXRnpkQzB4TFhCeVpDSjlMQW9KQ1ZzaVpYRWlMQ0FpSkhSaFoyZHBibWNpTENB"
    "aVBGUmhaMmRwYm1jK1BGUmhaMU5sZEQ0OFZHRm5QanhMWlhrK1QySnFaV04wVkZSTVNXNUVZWGx6UEM5TFpYaytQ"
    "RlpoYkhWbFBqRThMMVpoYkhWbFBqd3ZWR0ZuUGp3dlZHRm5VMlYwUGp3dlZHRm5aMmx1Wno0aVhTd0tDUWxiSW1W"
    "eElpd2dJaVJyWlhraUxDQWljM1ZpTFdNdFpEQmlPR1UxTkRJdE1USmhNQzAwTVdNMExUazVPV1l0WVRKa05UWTVa"
    "R00wTWpVMUx6Qk5VakV0ZWpKM01HNVRTbGw0ZDBWNU56UndOVkZxVmpnMVZHMW5Ua0pMVUhKV056RjBOVFZPVkRB"
    "dllqTXlaR0l3TldJdFlqTmxOaTAwTlRNd0xUaGlPV0l0WW1Jd01UUTVOR1k0WldGbEwydHBibWRmWVhKMGFIVnlM"
    "blI0ZENKZExBb0pDVnNpWTI5dWRHVnVkQzFzWlc1bmRHZ3RjbUZ1WjJVaUxDQXdMQ0ExTWpReU9EZ3dYU3dLQ1Fs"
    "YkluTjBZWEowY3kxM2FYUm9JaXdnSWlSRGIyNTBaVzUwTFZSNWNHVWlMQ0FpSWwwc0Nna0pleUo0TFdGdGVpMWpj"
    "bVZrWlc1MGFXRnNJam9nSWtGTFNVRlpOMEZWTmtkUlJGWTFURU5RVmtWWUx6SXdNalF4TWpFeUwzVnpMV1ZoYzNR"
    "dE1TOXpNeTloZDNNMFgzSmxjWFZsYzNRaWZTd0tDUWw3SW5ndFlXMTZMWE5sWTNWeWFYUjVMWFJ2YTJWdUlqb2dJ"
    "aUo5TEFvSkNYc2llQzFoYlhvdFlXeG5iM0pwZEdodElqb2dJa0ZYVXpRdFNFMUJReTFUU0VFeU5UWWlmU3dLQ1Fs"
    "N0luZ3RZVzE2TFdSaGRHVWlPaUFpTWpBeU5ERXlNVEpVTURreE5UVXdXaUlnZlFvSlhRcDlDZz09DQotLTYxZTFk"
    "YjMyOTEyNGVhYzNkOWNkNTFlMDVkNzlmZWM2DQpDb250ZW50LURpc3Bvc2l0aW9uOiBmb3JtLWRhdGE7IG5hbWU9"
    "IlgtQW16LVNpZ25hdHVyZSINCg0KMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"
    "MDAwMDAwMDAwMDAwMDAwMDAwMA0KLS02MWUxZGIzMjkxMjRlYWMzZDljZDUxZTA1ZDc5ZmVjNg0KQ29udGVudC1E"
    "aXNwb3NpdGlvbjogZm9ybS1kYXRhOyBuYW1lPSJmaWxlIjsgZmlsZW5hbWU9ImtpbmdfYXJ0aHVyLnR4dCINCkNv"
    "bnRlbnQtVHlwZTogdGV4dC9wbGFpbg0KDQprbmlnaHRzb2ZuaTEyMzQ13dYe9uhJYYejEPECP9AFZ4fFrZOSq12O"
    "JP2HI/zRAiYNCi0tNjFlMWRiMzI5MTI0ZWFjM2Q5Y2Q1MWUwNWQ3OWZlYzYtLQ0K"
)
RECORDED_PAYLOAD = (
    "%22a25pZ2h0c29mbmkxMjM0NRV4jkZbYJKJpBh%2Ffy8gkkKwgHzJoLg%2FKPi4WjFBAQgYCqObP0j7BPevaNiSqFI"
    "Q%2Fyk0%2BYCdZpjyci2AeutbmGRudJBMlaZQEU10pZMiCDGZz1dIrZYjMhyDDpUJUo0wtYy91qz8QGtR%2FJCbXp"
    "E%2F4%2FQqsjYEnJ64Y9q7G%2B%2FtAWQD%22"
)


@respx.mock
async def test_recorded_encrypted_send_file_is_reproduced_byte_for_byte(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(RECORDED_UPLOAD) == 2358
    # the server's fields, in its order, exactly as the recording sent them back
    recorded_fields = [
        (p.name, p.data.decode()) for p in parse_body(RECORDED_UPLOAD, RECORDED_BOUNDARY)[:-1]
    ]
    channel = "files_asyncio_ch"
    generate = respx.post(f"{ORIGIN}/v1/files/{SUB}/channels/{channel}/generate-upload-url")
    generate.return_value = ticket(RECORDED_FILE_ID, "king_arthur.txt", recorded_fields)
    upload = respx.post(S3).mock(return_value=httpx.Response(204))
    publish = respx.get(url__startswith=f"{ORIGIN}/v1/files/publish-file/").mock(
        return_value=PUBLISHED
    )
    monkeypatch.setattr(secrets, "token_bytes", lambda n: b"knightsofni12345")
    monkeypatch.setattr(secrets, "token_hex", lambda n: RECORDED_BOUNDARY)
    async with client(cipher_key="testKey", crypto="legacy") as pn:
        await (
            pn.send_file()
            .channel(channel)
            .file_name("king_arthur.txt")
            .file_object(b"Knights who say Ni!")
            .message({"test_message": "test"})
            .should_store(True)
            .ttl(222)
        )
    assert generate.calls.last.request.content == b'{"name": "king_arthur.txt"}'  # 27 bytes
    sent = upload.calls.last.request
    assert sent.content == RECORDED_UPLOAD
    assert sent.headers["content-length"] == "2358"
    assert sent.headers["content-type"] == f"multipart/form-data; boundary={RECORDED_BOUNDARY}"
    assert (
        publish.calls.last.request.url.raw_path
        == (
            f"/v1/files/publish-file/{PUB}/{SUB}/0/{channel}/0/{RECORDED_PAYLOAD}"
            f"?meta=null&ttl=222&store=1&{SDK}&uuid=me"
        ).encode()
    )
    decrypted = CryptoModule("testKey", default="legacy").decrypt_message(
        json.loads(unquote(RECORDED_PAYLOAD))
    )
    assert decrypted == {
        "message": {"test_message": "test"},
        "file": {"id": RECORDED_FILE_ID, "name": "king_arthur.txt"},
    }


@respx.mock
async def test_signed_pubnub_requests_and_unsigned_storage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(time, "time", lambda: 1700000000.5)
    routes = Routes()
    async with client(secret_key="sec-c-x") as pn:
        await pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"x")
    generate = routes.generate.calls.last.request
    params = generate.url.params
    assert params["timestamp"] == "1700000000"
    query = [(k, v) for k, v in params.multi_items() if k != "signature"]
    assert params["signature"] == sign_request(
        "sec-c-x",
        PUB,
        "POST",
        f"/v1/files/{SUB}/channels/{ENC_CHANNEL}/generate-upload-url",
        query,
        '{"name": "a b.txt"}',
    )
    publish = routes.publish.calls.last.request.url
    assert publish.params["signature"].startswith("v2.")
    assert publish.params["timestamp"] == "1700000000"
    upload = routes.upload.calls.last.request
    assert upload.url.query == b""
    assert b"sec-c-x" not in upload.content


# -- failures of send_file --------------------------------------------------------------------


@respx.mock
async def test_generate_upload_url_denied() -> None:
    denied = httpx.Response(
        403,
        json={
            "message": "Forbidden",
            "payload": {"channels": [CHANNEL]},
            "error": True,
            "service": "Access Manager",
            "status": 403,
        },
    )
    routes = Routes(generate=denied)
    async with client() as pn:
        with pytest.raises(aiospaces.PermissionDeniedError) as caught:
            await pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"x")
    assert caught.value.status_code == 403
    assert caught.value.message == "Forbidden"
    assert routes.generate.call_count == 1  # a 403 is final
    assert not routes.upload.called
    assert not routes.publish.called


@respx.mock
async def test_storage_entity_too_large() -> None:
    too_large = httpx.Response(
        400, text=ENTITY_TOO_LARGE, headers={"Content-Type": "application/xml"}
    )
    routes = Routes(upload=too_large)
    async with client() as pn:
        with pytest.raises(aiospaces.PayloadTooLargeError) as caught:
            await pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"x" * 5000)
    error = caught.value
    assert (error.status_code, error.error_type) == (400, "EntityTooLarge")
    assert error.message == "Your proposed upload exceeds the maximum allowed size"
    assert routes.upload.call_count == 1
    assert not routes.publish.called


@pytest.mark.parametrize("cipher_key", [None, KEY])
@respx.mock
async def test_policy_limit_is_checked_before_uploading(cipher_key: str | None) -> None:
    # 16 bytes fit a 48-byte limit in plain; encrypted they take 26 + 32 = 58 bytes
    routes = Routes(generate=ticket(fields=fields_of("fid-1", "a b.txt", limit=48)))
    async with client(cipher_key=cipher_key) as pn:
        if cipher_key is None:
            await pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"x" * 16)
            assert routes.upload.call_count == 1
            return
        with pytest.raises(aiospaces.PayloadTooLargeError, match="58 bytes once encrypted"):
            await pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"x" * 16)
    assert not routes.upload.called


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"status": 500, "error": True}),
        httpx.Response(502, text="Bad Gateway"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("timed out"),
    ],
    ids=["500", "proxy 502", "dropped", "read timeout"],
)
async def test_a_publish_whose_answer_is_lost_is_sent_once(
    no_waiting: list[float], answer: httpx.Response | Exception
) -> None:
    routes = Routes(publish=httpx.Response(200))
    routes.publish.side_effect = [answer]
    async with client() as pn:
        with pytest.raises(aiospaces.FileUploadError) as caught:
            await pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"x")
    error = caught.value
    assert (error.step, error.file_id, error.announced) == ("publish", "fid-1", None)
    assert isinstance(error.__cause__, aiospaces.AmbiguousResultError)
    assert error.__cause__.attempts == 1
    assert routes.publish.call_count == 1
    assert no_waiting == []


@respx.mock
async def test_a_blind_retry_of_the_publish_is_an_opt_in(no_waiting: list[float]) -> None:
    routes = Routes(publish=httpx.Response(200))
    routes.publish.side_effect = [httpx.Response(502, text="Bad Gateway"), PUBLISHED]
    async with client() as pn:
        sent = await pn.send_file(
            channel=CHANNEL, file_name="a b.txt", file_object=b"x"
        ).retry_ambiguous()
    assert sent.file_id == "fid-1"
    assert routes.publish.call_count == 2


@respx.mock
async def test_publish_failing_raises_file_upload_error_then_resumes(
    no_waiting: list[float],
) -> None:
    routes = Routes(publish=httpx.Response(429, json={"status": 429, "error": True}))
    async with client() as pn:
        with pytest.raises(aiospaces.FileUploadError) as caught:
            await pn.send_file(
                channel=CHANNEL, file_name="a b.txt", file_object=b"x", message={"m": 1}
            )
        error = caught.value
        assert (error.step, error.file_id, error.file_name) == ("publish", "fid-1", "a b.txt")
        assert error.announced is False
        assert isinstance(error.__cause__, aiospaces.RateLimitError)
        assert error.__cause__.status_code == 429
        assert routes.publish.call_count == 6  # 1 try + 5 retries
        assert len(no_waiting) == 5  # with a backoff between them (skipped here)
        assert routes.upload.call_count == 1

        routes.publish.return_value = PUBLISHED
        assert error.file_id is not None
        assert error.file_name is not None
        published = await pn.publish_file_message(
            channel=CHANNEL, file_id=error.file_id, file_name=error.file_name, message={"m": 1}
        )
    assert published == PublishedFile("17332374369988275")
    assert routes.upload.call_count == 1  # resuming never uploads again
    first, last = routes.publish.calls[0].request, routes.publish.calls.last.request
    assert first.url.raw_path == last.url.raw_path  # the same file message


@respx.mock
async def test_publish_retries_are_configurable() -> None:
    routes = Routes(publish=httpx.Response(429))
    async with client() as pn:
        with pytest.raises(aiospaces.FileUploadError):
            await pn.send_file(
                channel=CHANNEL, file_name="a b.txt", file_object=b"x", publish_retries=0
            )
        assert routes.publish.call_count == 1
        routes.publish.side_effect = [httpx.Response(429), httpx.Response(429), PUBLISHED]
        envelope = await pn.send_file(
            channel=CHANNEL, file_name="a b.txt", file_object=b"x"
        ).future()
    assert envelope.status.attempts == 5  # generate, upload, 3 publishes


@respx.mock
async def test_publish_refused_in_the_body() -> None:
    Routes(publish=httpx.Response(200, json=[0, "Invalid Key", "17332374369988275"]))
    async with client() as pn:
        with pytest.raises(aiospaces.FileUploadError) as caught:
            await pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"x")
    assert isinstance(caught.value.__cause__, aiospaces.APIError)


@respx.mock
async def test_publish_file_message_request() -> None:
    routes = Routes()
    async with client(cipher_key=KEY) as pn:
        await pn.publish_file_message(
            channel=CHANNEL, file_id="fid-1", file_name="a b.txt", message="hello", ttl=3
        ).meta(None)
    path = routes.publish.calls.last.request.url.raw_path.decode()
    segment, query = path.split("/0/")[-1].split("?")
    assert CryptoModule(KEY).decrypt_message(json.loads(unquote(segment))) == {
        "message": "hello",
        "file": {"id": "fid-1", "name": "a b.txt"},
    }
    assert query == f"meta=null&ttl=3&store=0&{SDK}&uuid=me"
    assert not routes.generate.called


@contextlib.contextmanager
def pipe_with(content: bytes) -> Iterator[IO[bytes]]:
    read_fd, write_fd = os.pipe()

    def write() -> None:
        with open(write_fd, "wb") as writer, contextlib.suppress(BrokenPipeError):
            writer.write(content)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    reader: IO[bytes] = open(read_fd, "rb")  # noqa: SIM115 - closed below
    try:
        yield reader
    finally:
        reader.close()
        thread.join(timeout=10)


async def produce(content: bytes) -> AsyncIterator[bytes]:
    for offset in range(0, len(content), 10_000):
        yield content[offset : offset + 10_000]


@pytest.mark.parametrize("kind", ["pipe", "async iterable"])
@respx.mock
async def test_a_one_shot_stream_is_not_retried(kind: str) -> None:
    content = os.urandom(100_000)
    routes = Routes(upload=httpx.Response(500))
    async with client() as pn:
        with contextlib.ExitStack() as stack:
            source: Any = (
                stack.enter_context(pipe_with(content)) if kind == "pipe" else produce(content)
            )
            with pytest.raises(aiospaces.ServerError):
                await pn.send_file(
                    channel=CHANNEL, file_name="a b.txt", file_object=source, size=len(content)
                )
    assert routes.upload.call_count == 1  # exactly one POST
    assert uploaded(routes.upload.calls.last.request)[-1].data == content  # and it was whole
    assert not routes.publish.called


@pytest.mark.parametrize("kind", ["bytes", "path", "pipe without size"])
@respx.mock
async def test_a_replayable_source_is_retried_with_an_identical_body(
    kind: str, tmp_path: Path
) -> None:
    content = os.urandom(150_000)
    routes = Routes(upload=[httpx.Response(500), httpx.ConnectError("reset"), httpx.Response(204)])
    async with client() as pn:
        with contextlib.ExitStack() as stack:
            source: Any = content
            if kind == "path":
                source = tmp_path / "in.bin"
                source.write_bytes(content)
            elif kind == "pipe without size":
                source = stack.enter_context(pipe_with(content))
            envelope = await pn.send_file(
                channel=CHANNEL, file_name="a b.txt", file_object=source
            ).future()
    assert envelope.status.attempts == 5  # generate + 3 uploads + publish
    first, second, third = (call.request for call in routes.upload.calls)
    assert first.content == second.content == third.content
    assert first.headers["content-length"] == third.headers["content-length"]
    assert uploaded(third)[-1].data == content


@respx.mock
async def test_an_encrypted_retry_is_rebuilt_with_a_fresh_iv() -> None:
    routes = Routes(upload=[httpx.Response(503), httpx.Response(204)])
    async with client(cipher_key=KEY) as pn:
        await pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"z" * 70_000)
    first, second = (uploaded(call.request)[-1].data for call in routes.upload.calls)
    assert len(first) == len(second)
    assert first[:26] != second[:26]
    assert CryptoModule(KEY).decrypt(first) == CryptoModule(KEY).decrypt(second) == b"z" * 70_000


@respx.mock
async def test_progress_stays_true_across_a_retried_upload() -> None:
    Routes(upload=[httpx.Response(500), httpx.Response(204)])
    reports: list[int] = []
    async with client() as pn:
        await pn.send_file(
            channel=CHANNEL, file_name="a b.txt", file_object=b"x" * 100_000
        ).on_progress(reports.append)
    assert sum(reports) == 100_000


@respx.mock
async def test_progress_of_a_single_upload() -> None:
    Routes()
    reports: list[int] = []
    async with client(cipher_key=KEY) as pn:
        await pn.send_file(
            channel=CHANNEL, file_name="a b.txt", file_object=b"x" * 100_000
        ).on_progress(reports.append)
    assert sum(reports) == 100_000  # the file's own bytes, not the 100_042 encrypted ones


# -- list, get URL, download, delete ----------------------------------------------------------

RECORDED_PAGE = {
    "status": 200,
    "data": [
        {
            "name": "king_arthur.txt",
            "id": "07f33c9a-9c44-4a89-9aae-fbee4323deca",
            "size": 19,
            "created": "2025-05-05T17:40:08Z",
        },
        {
            "name": "king_arthur.txt",
            "id": "21ef2771-cd67-4b83-acdd-70cfbaacf210",
            "size": 48,
            "created": "2025-05-05T17:49:10Z",
        },
    ],
    "next": "16pYnDTriiXLVHUpd_1SO3eEr0p0hXwKb6hsIimOECSnjrA8H70WwCi-WUVjgg5xJa2S0NMlwG2fEfjDTKnk",
    "count": 2,
}
LAST_PAGE = {
    "status": 200,
    "data": [
        {
            "name": "a b.txt",
            "id": "2b48fb70-f3bb-48ae-b942-e9278e8c75c5",
            "size": 1,
            "created": "2025-05-05T17:49:09Z",
        }
    ],
    "next": None,
    "count": 1,
}


@respx.mock
async def test_list_files_one_page() -> None:
    route = respx.get(f"{FILES}/files").mock(return_value=httpx.Response(200, json=RECORDED_PAGE))
    async with client() as pn:
        page = await pn.list_files(channel=CHANNEL, limit=2)
        await pn.list_files().channel(CHANNEL).next(page.next)
        await pn.list_files().channel(CHANNEL)
    assert isinstance(page, FilePage)
    assert page.count == 2
    assert page.next == RECORDED_PAGE["next"]
    assert page.data[0] == FileInfo(
        id="07f33c9a-9c44-4a89-9aae-fbee4323deca",
        name="king_arthur.txt",
        size=19,
        created=datetime(2025, 5, 5, 17, 40, 8, tzinfo=UTC),
    )
    paths = [call.request.url.raw_path.decode() for call in route.calls]
    base = f"/v1/files/{SUB}/channels/{ENC_CHANNEL}/files"
    assert paths == [
        f"{base}?limit=2&{SDK}&uuid=me",
        f"{base}?next={RECORDED_PAGE['next']}&{SDK}&uuid=me",
        f"{base}?{SDK}&uuid=me",
    ]


@respx.mock
async def test_list_files_walks_every_page() -> None:
    route = respx.get(f"{FILES}/files").mock(
        side_effect=[
            httpx.Response(200, json=RECORDED_PAGE),
            httpx.Response(200, json=LAST_PAGE),
        ]
    )
    async with client() as pn:
        names = [f.name async for f in pn.list_files(channel=CHANNEL, limit=2)]
    assert names == ["king_arthur.txt", "king_arthur.txt", "a b.txt"]
    second = route.calls[1].request.url.params
    assert (second["limit"], second["next"]) == ("2", RECORDED_PAGE["next"])


@pytest.mark.parametrize("limit", [0, 101, True, "5"])
def test_list_files_limit_is_validated(limit: Any) -> None:
    with pytest.raises(aiospaces.ValidationError):
        client().list_files().limit(limit)


@pytest.mark.parametrize("store", ["yes", 1, None])
def test_send_file_should_store_takes_a_bool_only(store: Any) -> None:
    with pytest.raises(aiospaces.ValidationError, match="should_store"):
        client().send_file().should_store(store)


LOCATION = (
    f"{STORAGE}/{SUB}/0MR1-z2w0nSJYxwEy74p5QjV85TmgNBKPrV71t55NT0/fid-1/a%20b.txt"
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20241212"
    "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20241212T090000Z&X-Amz-Expires=3900"
    f"&X-Amz-SignedHeaders=host&X-Amz-Signature={'0' * 64}"
)
REDIRECT = httpx.Response(
    307, headers={"Location": LOCATION, "Cache-Control": "public, max-age=2949, immutable"}
)


@respx.mock
async def test_get_file_url_returns_the_location() -> None:
    route = respx.get(f"{FILES}/files/fid-1/a%20b.txt").mock(return_value=REDIRECT)
    async with client(auth_key="ak") as pn:
        url = await pn.get_file_url(channel=CHANNEL, file_id="fid-1", file_name="a b.txt")
    assert url == LOCATION
    assert (
        route.calls.last.request.url.raw_path
        == (
            f"/v1/files/{SUB}/channels/{ENC_CHANNEL}/files/fid-1/a%20b.txt?{SDK}&uuid=me&auth=ak"
        ).encode()
    )


@pytest.mark.parametrize("response", [httpx.Response(307), httpx.Response(200, json={})])
@respx.mock
async def test_get_file_url_without_location_is_an_error(response: httpx.Response) -> None:
    respx.get(f"{FILES}/files/fid-1/a%20b.txt").mock(return_value=response)
    async with client() as pn:
        with pytest.raises(aiospaces.APIError, match="Location"):
            await pn.get_file_url(channel=CHANNEL, file_id="fid-1", file_name="a b.txt")


@pytest.mark.parametrize("cipher_key", [None, KEY])
@respx.mock
async def test_download_is_two_requests(cipher_key: str | None, tmp_path: Path) -> None:
    content = os.urandom(300_001)
    stored = CryptoModule(cipher_key).encrypt(content) if cipher_key else content
    redirect = respx.get(f"{FILES}/files/fid-1/a%20b.txt").mock(return_value=REDIRECT)
    storage = respx.get(url__startswith=f"{STORAGE}/").mock(
        return_value=httpx.Response(200, content=stored)
    )
    async with client(cipher_key=cipher_key, auth_key="ak", secret_key="sec") as pn:
        download = pn.download_file(channel=CHANNEL, file_id="fid-1", file_name="a b.txt")
        envelope = await download.future()
        assert envelope.result == content
        assert envelope.status.attempts == 2
        out = await download.to_path(tmp_path / "out.bin")
        assert out.read_bytes() == content
        streamed = [chunk async for chunk in download.stream()]
        assert b"".join(streamed) == content
    assert redirect.call_count == storage.call_count == 3
    assert "signature" in redirect.calls.last.request.url.params
    fetched = storage.calls.last.request.url
    assert str(fetched) == LOCATION  # exactly the Location, %2F kept
    for name in ("pnsdk", "uuid", "auth", "signature", "timestamp"):
        assert name not in fetched.params
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@respx.mock
async def test_download_with_a_per_call_key() -> None:
    respx.get(f"{FILES}/files/fid-1/a%20b.txt").mock(return_value=REDIRECT)
    respx.get(url__startswith=f"{STORAGE}/").mock(
        return_value=httpx.Response(
            200, content=CryptoModule("k2", default="legacy").encrypt(b"ni")
        )
    )
    async with client() as pn:
        got = await pn.download_file(
            channel=CHANNEL, file_id="fid-1", file_name="a b.txt", cipher_key="k2"
        )
    assert got == b"ni"


@respx.mock
async def test_download_of_a_missing_file() -> None:
    respx.get(f"{FILES}/files/fid-1/a%20b.txt").mock(
        return_value=httpx.Response(
            404, json={"status": 404, "error": {"message": "Not Found", "source": "files"}}
        )
    )
    async with client() as pn:
        with pytest.raises(aiospaces.NotFoundError):
            await pn.download_file(channel=CHANNEL, file_id="fid-1", file_name="a b.txt")


@respx.mock
async def test_delete_file_request() -> None:
    route = respx.delete(f"{FILES}/files/fid%2F1/a%20b.txt").mock(
        return_value=httpx.Response(200, json={"status": 200})
    )
    async with client() as pn:
        await pn.delete_file(channel=CHANNEL, file_id="fid/1", file_name="a b.txt")
    request = route.calls.last.request
    assert request.method == "DELETE"
    assert (
        request.url.raw_path
        == (
            f"/v1/files/{SUB}/channels/{ENC_CHANNEL}/files/fid%2F1/a%20b.txt?{SDK}&uuid=me"
        ).encode()
    )
    assert request.content == b""


# -- review follow-ups ----------------------------------------------------------------------------


class _BreaksOff(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"x" * 100
        raise httpx.ReadError("connection reset mid-body")


@respx.mock
async def test_a_download_breaking_off_is_a_transport_error(tmp_path: Path) -> None:
    respx.get(f"{FILES}/files/fid-1/a%20b.txt").mock(return_value=REDIRECT)
    respx.get(url__startswith=f"{STORAGE}/").mock(
        return_value=httpx.Response(200, stream=_BreaksOff())
    )
    async with client() as pn:
        download = pn.download_file(channel=CHANNEL, file_id="fid-1", file_name="a b.txt")
        with pytest.raises(aiospaces.TransportError, match="mid-body"):
            await download
        with pytest.raises(aiospaces.TransportError):
            await download.to_path(tmp_path / "out.bin")

        async def drain() -> None:
            async with contextlib.aclosing(download.stream()) as chunks:
                async for _ in chunks:
                    pass

        with pytest.raises(aiospaces.TransportError):
            await drain()
    assert list(tmp_path.iterdir()) == []


@respx.mock
async def test_a_storage_redirect_is_followed() -> None:
    respx.get(f"{FILES}/files/fid-1/a%20b.txt").mock(return_value=REDIRECT)
    respx.get(url__startswith=LOCATION.split("?")[0]).mock(
        return_value=httpx.Response(302, headers={"Location": "/moved/a.txt"})
    )
    moved = respx.get(f"{STORAGE}/moved/a.txt").mock(
        return_value=httpx.Response(200, content=b"the file")
    )
    async with client() as pn:
        envelope = await pn.download_file(
            channel=CHANNEL, file_id="fid-1", file_name="a b.txt"
        ).future()
    assert envelope.result == b"the file"
    assert envelope.status.attempts == 3
    assert moved.called


@respx.mock
async def test_endless_redirects_are_an_error() -> None:
    respx.get(f"{FILES}/files/fid-1/a%20b.txt").mock(return_value=REDIRECT)
    loop = respx.get(url__startswith=f"{STORAGE}/").mock(
        return_value=httpx.Response(302, headers={"Location": "/again"})
    )
    async with client() as pn:
        with pytest.raises(aiospaces.APIError, match="redirected more than 5 times"):
            await pn.download_file(channel=CHANNEL, file_id="fid-1", file_name="a b.txt")
    assert loop.call_count == 6


@respx.mock
async def test_concurrent_downloads_to_one_path_dont_mix(tmp_path: Path) -> None:
    respx.get(f"{FILES}/files/fid-1/a%20b.txt").mock(return_value=REDIRECT)
    respx.get(url__startswith=f"{STORAGE}/").mock(
        return_value=httpx.Response(200, content=b"same content" * 50_000)
    )
    target = tmp_path / "out.bin"
    async with client() as pn, anyio.create_task_group() as tg:
        for _ in range(4):
            download = pn.download_file(channel=CHANNEL, file_id="fid-1", file_name="a b.txt")
            tg.start_soon(download.to_path, target)
    assert target.read_bytes() == b"same content" * 50_000
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


async def test_to_path_validates_before_touching_the_disk(tmp_path: Path) -> None:
    async with client() as pn:
        with pytest.raises(aiospaces.ValidationError, match="file_id"):
            await pn.download_file(channel=CHANNEL, file_name="a").to_path(tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


@respx.mock
async def test_extra_headers_and_query_go_to_pubnub_not_storage() -> None:
    routes = Routes()
    async with client() as pn:
        await (
            pn.send_file(channel=CHANNEL, file_name="a b.txt", file_object=b"x")
            .extra_headers({"X-Trace": "t1"})
            .extra_query({"requestid": "r1"})
        )
    for route in (routes.generate, routes.publish):
        request = route.calls.last.request
        assert request.headers["X-Trace"] == "t1"
        assert request.url.params["requestid"] == "r1"
    storage = routes.upload.calls.last.request
    assert "x-trace" not in storage.headers
    assert not storage.url.query


def test_actions_are_not_keyword_setters() -> None:
    pn = client()
    for action in ("to_path", "stream", "future", "result"):
        with pytest.raises(TypeError, match=action):
            pn.download_file(channel=CHANNEL, **{action: "x"})  # type: ignore[arg-type]
