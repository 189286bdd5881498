"""The S3-style storage: presigned POST uploads (streamed) and presigned GET downloads."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from aiospaces.emulator.s3.store import CHUNK_SIZE, Storage, StoredObject

KEY = "sub-c-1/abc123/0b7f19b8-fda2-4d6d-9415-ef286cf876d6/king arthur.txt"
TEXT = "text/plain; charset=utf-8"
T0 = 1733237213.0  # 2024-12-03T14:46:53Z
BASE = "http://emulator"


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "directory"])
def storage(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Storage:
    directory = tmp_path / "objects" if request.param == "directory" else None
    return Storage(secret=b"s3cr3t", directory=directory, clock=clock)


def make_client(storage: Storage, sent: list[int] | None = None) -> httpx.AsyncClient:
    """Return a client of a tiny app with the storage's routes.

    With ``sent``, record the size of every response body message the app sends (httpx's
    ASGI transport joins them, so the chunking is only visible from inside).
    """
    app = Starlette(routes=storage.routes())

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        async def record(message: Message) -> None:
            if message["type"] == "http.response.body" and sent is not None:
                sent.append(len(message.get("body", b"")))
            await send(message)

        await app(scope, receive, record)

    transport = httpx.ASGITransport(app=recording, raise_app_exceptions=True)
    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
async def client(storage: Storage) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(storage) as c:
        yield c


def files_on_disk(storage: Storage) -> list[str]:
    if storage.directory is None:
        return []
    return sorted(p.name for p in storage.directory.iterdir())


def part_sizes(directory: Path) -> list[int]:
    return [p.stat().st_size for p in directory.glob("*.part")]


def names_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def fields_of(upload: dict[str, Any]) -> dict[str, str]:
    return {f["key"]: f["value"] for f in upload["form_fields"]}


async def post(
    client: httpx.AsyncClient,
    fields: dict[str, str],
    content: bytes = b"Knights who say Ni!",
    *,
    filename: str = "king arthur.txt",
    file_type: str = "text/plain",
) -> httpx.Response:
    files = {"file": (filename, content, file_type)}
    return await client.post("/_storage/", data=fields, files=files)


def error_of(response: httpx.Response) -> dict[str, str]:
    """Return the S3 error document's elements, after checking its envelope."""
    assert response.headers["content-type"] == "application/xml"
    assert re.fullmatch(r"[0-9A-F]{16}", response.headers["x-amz-request-id"])
    text = response.text
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>')
    assert text.endswith("</HostId></Error>")
    return dict(re.findall(r"<([A-Za-z-]+)>([^<]*)</\1>", text))


def multipart(parts: list[tuple[str, bytes, str | None]], boundary: str = "b0undary") -> bytes:
    """Build a multipart body by hand: (name, value, filename or None) in the given order."""
    out = b""
    for name, value, filename in parts:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'.encode()
        if filename is not None:
            out += f'; filename="{filename}"\r\nContent-Type: text/plain'.encode()
        out += b"\r\n\r\n" + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def form_parts(fields: dict[str, str]) -> list[tuple[str, bytes, str | None]]:
    return [(name, value.encode(), None) for name, value in fields.items()]


async def post_raw(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    headers = {"Content-Type": "multipart/form-data; boundary=b0undary"}
    return await client.post("/_storage/", content=body, headers=headers)


# -- presigning ---------------------------------------------------------------------------


def test_presign_upload_has_the_recorded_shape(storage: Storage) -> None:
    upload = storage.presign_upload(KEY, content_type=TEXT, base_url="http://h:1/")
    assert upload["url"] == "http://h:1/_storage/"
    assert upload["method"] == "POST"
    assert upload["expiration_date"] == "2024-12-03T14:47:53Z"
    assert [f["key"] for f in upload["form_fields"]] == [
        "tagging", "key", "Content-Type", "X-Amz-Credential", "X-Amz-Security-Token",
        "X-Amz-Algorithm", "X-Amz-Date", "Policy", "X-Amz-Signature",
    ]  # fmt: skip
    assert all(isinstance(f["value"], str) for f in upload["form_fields"])
    fields = fields_of(upload)
    assert fields["key"] == KEY
    assert fields["Content-Type"] == TEXT
    # dated at its expiry, as recorded (expiration_date 2024-12-03T14:46:53Z came with
    # X-Amz-Date 20241203T144653Z)
    assert fields["X-Amz-Date"] == "20241203T144753Z"
    assert fields["X-Amz-Credential"].endswith("/20241203/us-east-1/s3/aws4_request")
    assert re.fullmatch(r"[0-9a-f]{64}", fields["X-Amz-Signature"])
    policy = json.loads(base64.b64decode(fields["Policy"]))
    assert policy["expiration"] == upload["expiration_date"]
    conditions = policy["conditions"]  # in the recorded order
    assert conditions[0] == {"bucket": conditions[0]["bucket"]}
    assert conditions[1:5] == [
        ["eq", "$tagging", fields["tagging"]],
        ["eq", "$key", KEY],
        ["content-length-range", 0, 5 * 1024 * 1024],
        ["starts-with", "$Content-Type", ""],
    ]
    assert conditions[5:] == [
        {"x-amz-credential": fields["X-Amz-Credential"]},
        {"x-amz-security-token": ""},
        {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
        {"x-amz-date": "20241203T144753Z"},
    ]


def test_presign_download_values_are_safe_unencoded(storage: Storage) -> None:
    url = storage.presign_download(KEY, base_url=BASE)
    parts = urlsplit(url)
    assert parts.path == "/_storage/" + quote(KEY)
    query = dict(pair.split("=", 1) for pair in parts.query.split("&"))
    assert list(query) == [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
        "X-Amz-SignedHeaders", "X-Amz-Signature",
    ]  # fmt: skip
    for value in query.values():
        assert quote(value, safe="") == value
    assert query["X-Amz-Expires"] == "3900"
    assert query["X-Amz-SignedHeaders"] == "host"
    assert query["X-Amz-Date"] == "20241203T144653Z"


def test_presign_download_rejects_bad_expiry(storage: Storage) -> None:
    with pytest.raises(ValueError, match="expires_in"):
        storage.presign_download(KEY, base_url=BASE, expires_in=0)


def test_negative_max_size_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_size"):
        Storage(secret=b"x", max_size=-1)


# -- happy path ---------------------------------------------------------------------------


async def test_upload_then_download_round_trip(storage: Storage) -> None:
    sent: list[int] = []  # sizes of the response body messages
    client = make_client(storage, sent)
    content = os.urandom(200 * 1024 + 7)
    upload = storage.presign_upload(KEY, content_type=TEXT, base_url=BASE)
    async with client:
        response = await post(client, fields_of(upload), content)
        sent.clear()
        download = await client.get(storage.presign_download(KEY, base_url=BASE))
    assert response.status_code == 204, response.text
    assert response.content == b""
    md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    assert response.headers["etag"] == f'"{md5}"'
    assert response.headers["location"] == f"{BASE}/_storage/" + quote(KEY, safe="")
    assert response.headers["x-amz-expiration"] == (
        'expiry-date="Thu, 05 Dec 2024 00:00:00 GMT", rule-id="Archive file 1 day after creation"'
    )
    assert response.headers["x-amz-server-side-encryption"] == "AES256"
    assert response.headers["server"] == "AmazonS3"
    assert response.headers["x-amz-request-id"]

    stored = storage.get(KEY)
    created = datetime.fromtimestamp(T0, UTC)
    assert stored == StoredObject(
        key=KEY, size=len(content), content_type=TEXT, etag=md5, created=created
    )
    if storage.directory is not None:
        names = files_on_disk(storage)
        assert len(names) == 1
        assert names[0].endswith(".blob")

    assert download.status_code == 200
    assert download.content == content
    chunks = [size for size in sent if size]
    assert chunks == [CHUNK_SIZE] * (len(chunks) - 1) + [len(content) % CHUNK_SIZE]
    assert download.headers["content-length"] == str(len(content))
    assert download.headers["content-type"] == TEXT
    assert download.headers["etag"] == f'"{md5}"'
    assert download.headers["server"] == "AmazonS3"
    assert "x-amz-expiration" in download.headers


async def test_download_survives_the_official_sdk_rebuilding_the_query(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    upload = storage.presign_upload(KEY, content_type=TEXT, base_url=BASE)
    assert (await post(client, fields_of(upload))).status_code == 204
    url = urlsplit(storage.presign_download(KEY, base_url=BASE))
    rebuilt = "&".join(f"{k}={v[0]}" for k, v in parse_qs(url.query).items())  # no re-encoding
    response = await client.get(f"{url.path}?{rebuilt}")
    assert response.status_code == 200
    assert response.content == b"Knights who say Ni!"


async def test_head_gives_the_headers_only(storage: Storage, client: httpx.AsyncClient) -> None:
    upload = storage.presign_upload(KEY, content_type=TEXT, base_url=BASE)
    assert (await post(client, fields_of(upload))).status_code == 204
    response = await client.head(storage.presign_download(KEY, base_url=BASE))
    assert response.status_code == 200
    assert response.headers["content-length"] == "19"
    assert response.content == b""


async def test_exact_max_size_is_accepted(tmp_path: Path, clock: FakeClock) -> None:
    storage = Storage(secret=b"k", max_size=1000, directory=tmp_path, clock=clock)
    async with make_client(storage) as client:
        upload = storage.presign_upload(KEY, content_type=TEXT, base_url=BASE)
        response = await post(client, fields_of(upload), b"x" * 1000)
    assert response.status_code == 204
    stored = storage.get(KEY)
    assert stored is not None
    assert stored.size == 1000


async def test_empty_content_type_field_falls_back_to_the_file_part(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    upload = storage.presign_upload(KEY, content_type="", base_url=BASE)
    response = await post(client, fields_of(upload), file_type="image/png")
    assert response.status_code == 204
    stored = storage.get(KEY)
    assert stored is not None
    assert stored.content_type == "image/png"


async def test_file_bytes_reach_the_store_while_the_body_streams(
    tmp_path: Path, clock: FakeClock
) -> None:
    storage = Storage(secret=b"k", directory=tmp_path, clock=clock)
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    content = os.urandom(1024 * 1024)
    body = multipart([*form_parts(fields), ("file", content, "a.txt")])
    head, tail = body[: body.index(content)], body[body.index(content) + len(content) :]
    seen_on_disk: list[int] = []

    async def stream() -> AsyncIterator[bytes]:
        yield head
        for start in range(0, len(content), CHUNK_SIZE):
            seen_on_disk.extend(part_sizes(tmp_path) or [-1])
            yield content[start : start + CHUNK_SIZE]
        yield tail

    async with make_client(storage) as client:
        response = await client.post(
            "/_storage/",
            content=stream(),
            headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
        )
    assert response.status_code == 204, response.text
    # the file was written while the later chunks had not even been produced yet
    assert seen_on_disk[-1] >= len(content) // 2
    assert seen_on_disk == sorted(seen_on_disk)
    assert [name[-5:] for name in names_in(tmp_path)] == [".blob"]


async def test_reupload_replaces_the_object(storage: Storage, client: httpx.AsyncClient) -> None:
    for content in (b"first", b"second!"):
        upload = storage.presign_upload(KEY, content_type=TEXT, base_url=BASE)
        assert (await post(client, fields_of(upload), content)).status_code == 204
    stored = storage.get(KEY)
    assert stored is not None
    assert stored.size == 7
    response = await client.get(storage.presign_download(KEY, base_url=BASE))
    assert response.content == b"second!"
    if storage.directory is not None:
        assert len(files_on_disk(storage)) == 1


async def test_get_list_delete_clear(storage: Storage, client: httpx.AsyncClient) -> None:
    keys = ["a/2/x.txt", "b/1/y.txt", "a/1/z.txt"]
    for key in keys:
        upload = storage.presign_upload(key, content_type=TEXT, base_url=BASE)
        assert (await post(client, fields_of(upload), key.encode())).status_code == 204
    assert [o.key for o in storage.list("a/")] == ["a/1/z.txt", "a/2/x.txt"]
    assert [o.key for o in storage.list("")] == sorted(keys)
    assert storage.list("c/") == []
    stored = storage.get("b/1/y.txt")
    assert stored is not None
    assert stored.size == len(b"b/1/y.txt")
    assert storage.get("nope") is None

    assert storage.delete("a/2/x.txt") is True
    assert storage.delete("a/2/x.txt") is False
    assert storage.get("a/2/x.txt") is None
    response = await client.get(storage.presign_download("a/2/x.txt", base_url=BASE))
    assert response.status_code == 404
    if storage.directory is not None:
        assert len(files_on_disk(storage)) == 2
    storage.clear()
    assert storage.list("") == []
    assert files_on_disk(storage) == []


# -- upload failures ----------------------------------------------------------------------


async def test_urlencoded_form_is_rejected_like_s3(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    upload = storage.presign_upload(KEY, content_type=TEXT, base_url=BASE)
    response = await client.post("/_storage/", data=fields_of(upload))
    assert response.status_code == 400
    assert error_of(response)["Code"] == "AuthorizationQueryParametersError"
    assert storage.get(KEY) is None


@pytest.mark.parametrize(
    "field",
    ["key", "Policy", "X-Amz-Signature", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date"],
)
async def test_missing_field_is_named(
    storage: Storage, client: httpx.AsyncClient, field: str
) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    del fields[field]
    response = await post(client, fields)
    assert response.status_code == 400
    error = error_of(response)
    assert error["Code"] == "InvalidArgument"
    assert f"field named '{field}'" in error["Message"]
    assert error["ArgumentName"] == field
    assert storage.get(KEY) is None
    assert files_on_disk(storage) == []


async def test_bad_signature(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    fields["X-Amz-Signature"] = "0" * 64
    response = await post(client, fields)
    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"
    assert storage.get(KEY) is None


async def test_policy_from_another_secret_is_rejected(
    storage: Storage, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    other = Storage(secret=b"other", clock=clock)
    fields = fields_of(other.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    response = await post(client, fields)
    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


async def test_expired_policy(
    storage: Storage, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    clock.now += 59
    assert (await post(client, fields)).status_code == 204
    clock.now += 1
    response = await post(client, fields)
    assert response.status_code == 403
    error = error_of(response)
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == "Invalid according to Policy: Policy expired."


@pytest.mark.parametrize(
    ("field", "value"),
    [("key", "sub-c-1/other.txt"), ("tagging", "<Tagging/>")],  # any Content-Type goes
)
async def test_condition_mismatch(
    storage: Storage, client: httpx.AsyncClient, field: str, value: str
) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    fields[field] = value
    response = await post(client, fields)
    assert response.status_code == 403
    error = error_of(response)
    assert error["Code"] == "AccessDenied"
    assert error["Message"].startswith(
        f'Invalid according to Policy: Policy Condition failed: ["eq", "${field}", '
    )
    assert storage.list("") == []


async def test_extra_field_not_in_policy(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    response = await post(client, {**fields, "acl": "public-read"})
    assert response.status_code == 403
    assert error_of(response)["Message"] == "Invalid according to Policy: Extra input fields: acl"
    ignored = await post(client, {**fields, "x-ignore-me": "1"})
    assert ignored.status_code == 204


async def test_wrong_algorithm(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    fields["X-Amz-Algorithm"] = "AWS4-HMAC-SHA1"
    response = await post(client, fields)
    assert response.status_code == 400
    assert error_of(response)["ArgumentName"] == "X-Amz-Algorithm"


async def test_too_large_is_rejected_and_leaves_nothing(tmp_path: Path, clock: FakeClock) -> None:
    storage = Storage(secret=b"k", max_size=1000, directory=tmp_path, clock=clock)
    async with make_client(storage) as client:
        upload = storage.presign_upload(KEY, content_type=TEXT, base_url=BASE)
        response = await post(client, fields_of(upload), b"x" * 300_000)
    assert response.status_code == 400
    error = error_of(response)
    assert error["Code"] == "EntityTooLarge"
    assert error["Message"] == "Your proposed upload exceeds the maximum allowed size"
    assert error["ProposedSize"] == "300000"
    assert error["MaxSizeAllowed"] == "1000"
    assert storage.get(KEY) is None
    assert names_in(tmp_path) == []


async def test_too_large_in_memory(clock: FakeClock) -> None:
    storage = Storage(secret=b"k", max_size=10, clock=clock)
    async with make_client(storage) as client:
        upload = storage.presign_upload(KEY, content_type=TEXT, base_url=BASE)
        response = await post(client, fields_of(upload), b"x" * 11)
    assert response.status_code == 400
    assert error_of(response)["ProposedSize"] == "11"
    assert storage.list("") == []


async def test_streamed_too_large_upload_is_cut_off(tmp_path: Path, clock: FakeClock) -> None:
    """Storing stops at the limit: the .part file never grows past it, and it is removed."""
    storage = Storage(secret=b"k", max_size=300 * 1024, directory=tmp_path, clock=clock)
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    content = b"y" * (1024 * 1024)
    body = multipart([*form_parts(fields), ("file", content, "a.txt")])
    sizes: list[int] = []

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), CHUNK_SIZE):
            sizes.extend(part_sizes(tmp_path))
            yield body[start : start + CHUNK_SIZE]

    async with make_client(storage) as client:
        headers = {"Content-Type": "multipart/form-data; boundary=b0undary"}
        response = await client.post("/_storage/", content=stream(), headers=headers)
    assert response.status_code == 400
    assert error_of(response)["ProposedSize"] == str(len(content))
    assert sizes
    assert max(sizes) <= 300 * 1024
    assert names_in(tmp_path) == []


async def test_field_after_file_is_rejected(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    parts = [*form_parts(fields), ("file", b"data", "a.txt"), ("x-ignore-late", b"1", None)]
    response = await post_raw(client, multipart(parts))
    assert response.status_code == 400
    error = error_of(response)
    assert error["Code"] == "InvalidArgument"
    assert error["ArgumentName"] == "x-ignore-late"
    assert "after the file" in error["Message"]
    assert storage.get(KEY) is None
    assert files_on_disk(storage) == []


async def test_two_files_are_rejected(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    parts = [*form_parts(fields), ("file", b"one", "a.txt"), ("file", b"two", "b.txt")]
    response = await post_raw(client, multipart(parts))
    assert response.status_code == 400
    assert "exactly one file" in error_of(response)["Message"]
    assert storage.get(KEY) is None
    assert files_on_disk(storage) == []


async def test_no_file_part(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    response = await post_raw(client, multipart(form_parts(fields)))
    assert response.status_code == 400
    error = error_of(response)
    assert error["Code"] == "InvalidArgument"
    assert error["ArgumentName"] == "file"


async def test_truncated_body_is_malformed(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    body = multipart([*form_parts(fields), ("file", b"z" * 5000, "a.txt")])
    response = await post_raw(client, body[:-100])
    assert response.status_code == 400
    assert error_of(response)["Code"] == "MalformedPOSTRequest"
    assert storage.get(KEY) is None
    assert files_on_disk(storage) == []


async def test_missing_boundary_is_malformed(client: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "multipart/form-data"}
    response = await client.post("/_storage/", content=b"--x--\r\n", headers=headers)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "MalformedPOSTRequest"


async def test_huge_fields_before_the_file_are_refused(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    response = await post(client, {**fields, "x-ignore-padding": "p" * 30_000})
    assert response.status_code == 400
    assert error_of(response)["Code"] == "MaxPostPreDataLengthExceededError"


# -- download failures --------------------------------------------------------------------


@pytest.fixture
async def uploaded(storage: Storage, client: httpx.AsyncClient) -> str:
    upload = storage.presign_upload(KEY, content_type=TEXT, base_url=BASE)
    assert (await post(client, fields_of(upload))).status_code == 204
    return storage.presign_download(KEY, base_url=BASE)


def with_param(url: str, name: str, value: str | None) -> str:
    parts = urlsplit(url)
    query = dict(pair.split("=", 1) for pair in parts.query.split("&"))
    if value is None:
        del query[name]
    else:
        query[name] = value
    return parts.path + "?" + "&".join(f"{k}={v}" for k, v in query.items())


async def test_download_without_signature_is_denied(
    client: httpx.AsyncClient, uploaded: str
) -> None:
    response = await client.get("/_storage/" + quote(KEY))
    assert response.status_code == 403
    assert error_of(response)["Code"] == "AccessDenied"
    partial = await client.get(with_param(uploaded, "X-Amz-Signature", None))
    assert partial.status_code == 403
    assert error_of(partial)["Code"] == "AccessDenied"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Amz-Signature", "0" * 64),
        ("X-Amz-Expires", "604800"),
        ("X-Amz-Date", "20991231T000000Z"),
    ],
)
async def test_download_with_tampered_url(
    client: httpx.AsyncClient, uploaded: str, name: str, value: str
) -> None:
    response = await client.get(with_param(uploaded, name, value))
    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


async def test_download_url_of_another_key(
    storage: Storage, client: httpx.AsyncClient, uploaded: str
) -> None:
    other = urlsplit(storage.presign_download("sub-c-1/other.txt", base_url=BASE))
    response = await client.get(f"/_storage/{quote(KEY)}?{other.query}")
    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


async def test_download_malformed_parameters(client: httpx.AsyncClient, uploaded: str) -> None:
    for name, value in [("X-Amz-Expires", "soon"), ("X-Amz-Date", "yesterday")]:
        response = await client.get(with_param(uploaded, name, value))
        assert response.status_code == 400
        assert error_of(response)["Code"] == "AuthorizationQueryParametersError"


async def test_download_expires(client: httpx.AsyncClient, uploaded: str, clock: FakeClock) -> None:
    clock.now += 3900
    assert (await client.get(uploaded)).status_code == 200
    clock.now += 1
    response = await client.get(uploaded)
    assert response.status_code == 403
    error = error_of(response)
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == "Request has expired"
    assert error["X-Amz-Expires"] == "3900"


async def test_download_unknown_key(storage: Storage, client: httpx.AsyncClient) -> None:
    response = await client.get(storage.presign_download("sub-c-1/nothing.txt", base_url=BASE))
    assert response.status_code == 404
    error = error_of(response)
    assert error["Code"] == "NoSuchKey"
    assert error["Key"] == "sub-c-1/nothing.txt"


# -- policy and form edge cases -------------------------------------------------------------


def signed(storage: Storage, fields: dict[str, str], document: object) -> dict[str, str]:
    """Replace the fields' policy with ``document``, validly signed."""
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    policy = base64.b64encode(raw).decode()
    credential = fields["X-Amz-Credential"]
    signature = storage._policy_signature(credential, policy)
    return {**fields, "Policy": policy, "X-Amz-Signature": signature}


def conditions_of(fields: dict[str, str]) -> list[Any]:
    conditions: list[Any] = json.loads(base64.b64decode(fields["Policy"]))["conditions"]
    return conditions


async def test_starts_with_and_minimum_size(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    conditions = [c for c in conditions_of(fields) if not (isinstance(c, list) and c[0] == "eq")]
    conditions[conditions.index(["content-length-range", 0, 5 * 1024 * 1024])] = [
        "content-length-range", 10, 100,
    ]  # fmt: skip
    conditions += [["starts-with", "$key", "sub-c-1/"], ["starts-with", "$Content-Type", ""]]
    conditions += [["eq", "$tagging", fields["tagging"]]]
    document = {"expiration": "2024-12-03T15:00:00Z", "conditions": conditions}
    fields = signed(storage, fields, document)

    small = await post(client, fields, b"tiny")
    assert small.status_code == 400
    error = error_of(small)
    assert error["Code"] == "EntityTooSmall"
    assert (error["ProposedSize"], error["MinSizeAllowed"]) == ("4", "10")
    assert (await post(client, fields, b"x" * 101)).status_code == 400
    assert (
        await post(client, {**fields, "Content-Type": "image/png"}, b"x" * 50)
    ).status_code == 204
    stored = storage.get(KEY)
    assert stored is not None
    assert stored.content_type == "image/png"
    assert (await post(client, {**fields, "key": "other/x"}, b"x" * 50)).status_code == 403
    assert len(files_on_disk(storage)) == (0 if storage.directory is None else 1)


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        {"conditions": []},
        {"expiration": "soon", "conditions": []},
        {"expiration": "2024-12-03T15:00:00Z", "conditions": [["eq", "$key"]]},
        {"expiration": "2024-12-03T15:00:00Z", "conditions": [["matches", "$key", ".*"]]},
        {"expiration": "2024-12-03T15:00:00Z", "conditions": [["eq", "key", KEY]]},
        {"expiration": "2024-12-03T15:00:00Z", "conditions": [["content-length-range", 0, "9"]]},
    ],
)
async def test_invalid_policy_documents(
    storage: Storage, client: httpx.AsyncClient, document: object
) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    response = await post(client, signed(storage, fields, document))
    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidPolicyDocument"
    assert storage.list("") == []


async def test_key_length_limits(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload("k" * 1025, content_type=TEXT, base_url=BASE))
    response = await post(client, fields)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "KeyTooLongError"
    empty = await post(client, {**fields, "key": ""})
    assert empty.status_code == 400
    assert "length greater than 0" in error_of(empty)["Message"]


@pytest.mark.parametrize(
    ("credential", "status", "code"),
    [
        ("AKIAAIOSPACESEMULATE/20241203/us-east-1/s3", 400, "InvalidArgument"),
        ("AKIAOTHER/20241203/us-east-1/s3/aws4_request", 403, "InvalidAccessKeyId"),
    ],
)
async def test_bad_credential(
    storage: Storage, client: httpx.AsyncClient, credential: str, status: int, code: str
) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    response = await post(client, {**fields, "X-Amz-Credential": credential})
    assert response.status_code == status
    assert error_of(response)["Code"] == code


async def test_duplicate_field(storage: Storage, client: httpx.AsyncClient) -> None:
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    parts = [*form_parts(fields), ("KEY", KEY.encode(), None), ("file", b"x", "a.txt")]
    response = await post_raw(client, multipart(parts))
    assert response.status_code == 400
    assert "more than once" in error_of(response)["Message"]


@pytest.mark.parametrize(
    "body",
    [
        b"garbage that is not multipart\r\n",
        b'--b0undary\r\nContent-Disposition: attachment; name="key"\r\n\r\nv\r\n--b0undary--\r\n',
        b"--b0undary\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b0undary--\r\n",
    ],
)
async def test_malformed_multipart(
    storage: Storage, client: httpx.AsyncClient, body: bytes
) -> None:
    response = await post_raw(client, body)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "MalformedPOSTRequest"


async def test_parts_after_a_too_large_file_are_ignored(clock: FakeClock) -> None:
    storage = Storage(secret=b"k", max_size=10, clock=clock)
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    parts = [*form_parts(fields), ("file", b"x" * 20, "a.txt"), ("late", b"1", None)]
    async with make_client(storage) as client:
        response = await post_raw(client, multipart(parts))
    assert response.status_code == 400
    assert error_of(response)["Code"] == "EntityTooLarge"


async def test_client_disconnect_mid_upload_leaves_nothing(
    tmp_path: Path, clock: FakeClock
) -> None:
    storage = Storage(secret=b"k", directory=tmp_path, clock=clock)
    fields = fields_of(storage.presign_upload(KEY, content_type=TEXT, base_url=BASE))
    body = multipart([*form_parts(fields), ("file", b"x" * 600_000, "a.txt")])
    messages: list[Message] = [
        {"type": "http.request", "body": body[:400_000], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []
    seen_part_files: list[int] = []

    async def receive() -> Message:
        seen_part_files.append(len(part_sizes(tmp_path)))
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/_storage/",
        "raw_path": b"/_storage/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"multipart/form-data; boundary=b0undary")],
        "server": ("emulator", 80),
    }
    await Starlette(routes=storage.routes())(scope, receive, send)
    assert seen_part_files == [0, 1]  # the upload had started writing before the disconnect
    assert sent[0]["status"] == 400
    assert names_in(tmp_path) == []
    assert storage.get(KEY) is None
