"""The streaming multipart/form-data body: every source kind, exact lengths, httpx parity."""

from __future__ import annotations

import array
import contextlib
import io
import os
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

import httpx
import pytest
from python_multipart.multipart import MultipartParser, parse_options_header

from aiospaces.core.errors import ValidationError
from aiospaces.core.multipart import MultipartUpload, guess_content_type
from aiospaces.core.sources import READ_SIZE, TRANSFORM_SIZE, Transform, UploadSource
from aiospaces.pubnub.crypto import CryptoModule

KEY = "multipart-key"
KIB64 = 64 * 1024
# The form fields of a recorded presigned POST (pubnub.md §3.1), in the server's order.
FIELDS = [
    (
        "tagging",
        "<Tagging><TagSet><Tag><Key>ObjectTTLInDays</Key><Value>1</Value></Tag></TagSet></Tagging>",
    ),
    ("key", "sub-c-x/0MR1-z2w0nSJYxwEy74p5QjV85TmgNBKPrV71t55NT0/b32db05b/king_arthur.txt"),
    ("Content-Type", "text/plain; charset=utf-8"),
    ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20241212/us-east-1/s3/aws4_request"),
    ("X-Amz-Security-Token", ""),
    ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
    ("X-Amz-Date", "20241212T091550Z"),
    ("Policy", "CnsKCSJleHBpcmF0aW9uIjogIjIwMjQtMTItMTJUMDk6MTU6NTBaIiwK"),
    ("X-Amz-Signature", "0" * 64),
]
SIZES = [0, 1, 15, 16, 17, KIB64 - 1, KIB64, KIB64 + 1, 2 * KIB64, READ_SIZE, READ_SIZE + 1]
SIZES += [3 * READ_SIZE + 5]
# Files and bytes go out in pieces of READ_SIZE, plus at most a PNED header and a padding block
MAX_PIECE = READ_SIZE + 26 + 16


def content_of(size: int) -> bytes:
    return bytes((i * 31 + 7) % 251 for i in range(size))


# -- a multipart reader (python-multipart, as the emulator's S3 uses) --------------------------


class Part(NamedTuple):
    headers: list[tuple[str, str]]
    data: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def disposition(self) -> dict[str, str]:
        _, params = parse_options_header(self.header("Content-Disposition") or "")
        return {k.decode(): v.decode() for k, v in params.items()}

    @property
    def name(self) -> str:
        return self.disposition()["name"]


def parse_body(body: bytes, boundary: str) -> list[Part]:
    """Split a multipart body into parts (headers in order, data) with python-multipart."""
    parts: list[Part] = []
    state: dict[str, Any] = {}

    def on_part_begin() -> None:
        state.update(headers=[], data=bytearray(), field=b"", value=b"")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"].append((state["field"].decode(), state["value"].decode()))
        state.update(field=b"", value=b"")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["data"] += data[start:end]

    def on_part_end() -> None:
        parts.append(Part(state["headers"], bytes(state["data"])))

    def on_end() -> None:
        state["ended"] = True

    callbacks: Any = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
        "on_end": on_end,
    }
    parser = MultipartParser(boundary, callbacks)
    assert parser.write(body) == len(body)
    parser.finalize()
    assert state.get("ended"), "the body has no closing boundary"
    return parts


async def collect(upload: MultipartUpload) -> list[bytes]:
    return [chunk async for chunk in upload.stream()]


async def body_of(upload: MultipartUpload) -> bytes:
    return b"".join(await collect(upload))


async def read_all(source: UploadSource, transform: Transform | None = None) -> bytes:
    return b"".join([chunk async for chunk in source.chunks(transform)])


# -- pipes ------------------------------------------------------------------------------------


@contextlib.contextmanager
def pipe_with(content: bytes, *, buffering: int = -1, piece: int = 10_000) -> Iterator[IO[bytes]]:
    """Yield the read end of a pipe a thread writes ``content`` into (in ``piece``-sized writes)."""
    read_fd, write_fd = os.pipe()

    def write() -> None:
        with open(write_fd, "wb", buffering=0) as writer, contextlib.suppress(BrokenPipeError):
            for offset in range(0, len(content), piece):
                writer.write(content[offset : offset + piece])

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    reader: IO[bytes] = open(read_fd, "rb", buffering=buffering)  # noqa: SIM115 - closed below
    try:
        yield reader
    finally:
        reader.close()  # a writer still blocked gets EPIPE and ends
        thread.join(timeout=10)
        assert not thread.is_alive()


async def agen(pieces: list[Any]) -> AsyncIterator[Any]:
    for piece in pieces:
        yield piece


# -- sources ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [bytes, bytearray, memoryview, lambda data: memoryview(bytearray(data))],
    ids=["bytes", "bytearray", "memoryview", "memoryview-of-bytearray"],
)
async def test_in_memory_sources(make: Callable[[bytes], Any]) -> None:
    data = content_of(300_000)
    source = await UploadSource.open(make(data))
    assert source.size == len(data)
    assert source.replayable
    assert await read_all(source) == data
    assert await read_all(source) == data  # replayable
    assert "bytes size=300000 replayable=True" in repr(source)
    await source.aclose()


async def test_memoryview_of_wide_items_counts_bytes() -> None:
    words = array.array("H", range(1000))
    source = await UploadSource.open(memoryview(words))
    assert source.size == 2000
    assert await read_all(source) == words.tobytes()


@pytest.mark.parametrize("kind", [str, Path])
async def test_path_sources(tmp_path: Path, kind: Callable[[Path], Any]) -> None:
    data = content_of(READ_SIZE * 2 + 3)
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    source = await UploadSource.open(kind(path))
    assert (source.size, source.replayable) == (len(data), True)
    chunks = [chunk async for chunk in source.chunks()]
    assert b"".join(chunks) == data
    assert max(map(len, chunks)) == READ_SIZE
    assert await read_all(source) == data
    assert "path" in repr(source)


@pytest.mark.parametrize("real_file", [False, True])
async def test_seekable_file_is_read_from_its_position(tmp_path: Path, real_file: bool) -> None:
    data = content_of(200_000)
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    file: IO[bytes] = path.open("rb") if real_file else io.BytesIO(data)
    with file:
        file.seek(1234)
        source = await UploadSource.open(file)
        assert (source.size, source.replayable) == (len(data) - 1234, True)
        assert await read_all(source) == data[1234:]
        file.seek(0)  # someone moved it: a replay still starts where the source did
        assert await read_all(source) == data[1234:]
        file.seek(0)
        matching = await UploadSource.open(file, size=len(data))
        assert await read_all(matching) == data


async def test_seekable_file_with_a_wrong_size_is_refused() -> None:
    with pytest.raises(ValidationError, match="size=11 but the file has 10 bytes left"):
        await UploadSource.open(io.BytesIO(b"x" * 10), size=11)
    with pytest.raises(ValidationError, match="size=9"):
        await UploadSource.open(io.BytesIO(b"x" * 10), size=9)


async def test_pipe_with_declared_size_streams_once() -> None:
    data = content_of(300_000)
    with pipe_with(data) as reader:
        source = await UploadSource.open(reader, size=len(data))
        assert (source.size, source.replayable) == (len(data), False)
        chunks = [chunk async for chunk in source.chunks()]
        assert b"".join(chunks) == data
        assert all(len(chunk) <= READ_SIZE for chunk in chunks)
        with pytest.raises(ValidationError, match="one-shot stream"):
            await read_all(source)


async def test_short_reads_are_not_lost() -> None:
    data = content_of(300_000)
    with pipe_with(data, buffering=0) as reader:  # FileIO: read(n) may return fewer bytes
        source = await UploadSource.open(reader, size=len(data))
        assert await read_all(source) == data
    with pipe_with(b"x" * 1000) as reader:
        source = await UploadSource.open(reader, size=2000)
        with pytest.raises(ValidationError, match="ended 1000 bytes early"):
            await read_all(source)  # (it once returned the 1000 bytes and no error)


async def test_a_pipe_ending_early_fails_the_body() -> None:
    with pipe_with(b"x" * 1000) as reader:
        upload = MultipartUpload([], await UploadSource.open(reader, size=2000), file_name="a")
        with pytest.raises(ValidationError, match=r"early|had 1000 bytes, not the 2000"):
            await body_of(upload)


async def test_pipe_without_size_is_spooled_to_a_real_file() -> None:
    data = content_of(500_000)
    with pipe_with(data) as reader:
        source = await UploadSource.open(reader)
    # the pipe is closed now: everything was spooled, and to disk, not to memory
    spool = source._file
    assert spool is not None
    assert not isinstance(spool, io.BytesIO)
    assert (source.size, source.replayable) == (len(data), True)
    assert await read_all(source) == data
    assert os.fstat(spool.fileno()).st_size == len(data)
    assert await read_all(source) == data  # a spooled copy can be replayed
    await source.aclose()
    assert spool.closed


async def test_async_iterable_with_size_streams_once() -> None:
    pieces = [b"a" * 70_000, bytearray(b"b" * 5), memoryview(b"c" * 100_000), b""]
    source = await UploadSource.open(agen(pieces), size=170_005)
    assert (source.size, source.replayable) == (170_005, False)
    chunks = [chunk async for chunk in source.chunks()]
    assert b"".join(chunks) == b"a" * 70_000 + b"b" * 5 + b"c" * 100_000
    assert all(isinstance(chunk, bytes) for chunk in chunks)  # items pass through as bytes
    with pytest.raises(ValidationError, match="one-shot stream"):
        await read_all(source)
    assert "stream" in repr(source)


async def test_async_iterable_without_size_is_spooled() -> None:
    source = await UploadSource.open(agen([b"x" * 100_000, b"y" * 3]))
    assert (source.size, source.replayable) == (100_003, True)
    assert source._file is not None
    assert await read_all(source) == b"x" * 100_000 + b"y" * 3
    assert os.fstat(source._file.fileno()).st_size == 100_003  # on disk
    assert await read_all(source) == b"x" * 100_000 + b"y" * 3
    await source.aclose()


@pytest.mark.parametrize(
    ("pieces", "size", "message"),
    [
        ([b"x" * 10, b"x"], 10, "more than the declared size=10"),
        ([b"x" * 5], 10, "yielded 5 bytes but size=10"),
        ([b"x", "text"], 10, "must yield bytes, not str"),
        ([7], 10, "must yield bytes, not int"),
    ],
)
async def test_async_iterable_mismatches(pieces: list[Any], size: int, message: str) -> None:
    source = await UploadSource.open(agen(pieces), size=size)
    with pytest.raises(ValidationError, match=message):
        await read_all(source)


async def test_unsized_async_iterable_of_non_bytes_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="must yield bytes"):
        await UploadSource.open(agen([b"x", "text"]))


async def test_text_mode_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("hello")
    with path.open() as text_file, pytest.raises(ValidationError, match="binary mode"):
        await UploadSource.open(text_file)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="binary mode"):
        await UploadSource.open(io.StringIO("hello"))  # type: ignore[arg-type]


async def test_bad_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read"):
        await UploadSource.open(tmp_path / "missing.bin")
    with pytest.raises(ValidationError, match="cannot read"):
        await UploadSource.open(str(tmp_path / "missing.bin"))
    with pytest.raises(ValidationError, match="not a regular file"):
        await UploadSource.open(tmp_path)


@pytest.mark.parametrize("size", [-1, True, 1.5, "3"])
async def test_bad_sizes_are_refused(size: Any) -> None:
    with pytest.raises(ValidationError, match="size must be an int >= 0"):
        await UploadSource.open(b"x", size=size)


@pytest.mark.parametrize("obj", [12, None, object(), ["bytes"]])
async def test_unsupported_objects_are_refused(obj: Any) -> None:
    with pytest.raises(ValidationError, match="file content must be bytes"):
        await UploadSource.open(obj)


async def test_a_file_shrinking_after_open_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(b"x" * 1000)
    source = await UploadSource.open(path)
    path.write_bytes(b"x" * 400)
    upload = MultipartUpload([], source, file_name="in.bin")
    with pytest.raises(ValidationError, match=r"ended 600 bytes early|had 400 bytes, not the 1000"):
        await body_of(upload)


# -- the body ---------------------------------------------------------------------------------


async def test_fields_in_order_then_the_file_part() -> None:
    data = content_of(100_000)
    upload = MultipartUpload(FIELDS, await UploadSource.open(data), file_name="king_arthur.txt")
    body = await body_of(upload)
    assert len(body) == upload.content_length
    assert upload.content_type == f"multipart/form-data; boundary={upload.boundary}"
    assert len(upload.boundary) == 32
    int(upload.boundary, 16)  # 32 hex digits, like httpx
    parts = parse_body(body, upload.boundary)
    assert [p.name for p in parts] == [name for name, _ in FIELDS] + ["file"]
    for part, (_, value) in zip(parts, FIELDS, strict=False):
        assert part.data == value.encode()
        assert len(part.headers) == 1  # a plain field: no filename, no content type
        assert "filename" not in part.disposition()
    file_part = parts[-1]
    assert file_part.disposition() == {"name": "file", "filename": "king_arthur.txt"}
    assert file_part.headers == [
        ("Content-Disposition", 'form-data; name="file"; filename="king_arthur.txt"'),
        ("Content-Type", "text/plain"),
    ]
    assert file_part.data == data
    assert body.endswith(f"\r\n--{upload.boundary}--\r\n".encode())


@pytest.mark.parametrize(
    ("file_name", "content_type"),
    [("a.txt", "text/plain"), ("a.png", "image/png"), ("noext", "application/octet-stream")],
)
async def test_file_content_type_is_guessed_or_given(file_name: str, content_type: str) -> None:
    assert guess_content_type(file_name) == content_type
    source = await UploadSource.open(b"x")
    guessed = MultipartUpload([], source, file_name=file_name, boundary="b")
    assert parse_body(await body_of(guessed), "b")[0].header("Content-Type") == content_type
    given = MultipartUpload(
        [], source, file_name=file_name, file_content_type="video/mp4", field_name="f", boundary="b"
    )
    part = parse_body(await body_of(given), "b")[0]
    assert (part.header("Content-Type"), part.name) == ("video/mp4", "f")


def aescbc() -> CryptoModule:
    return CryptoModule(KEY)


def legacy() -> CryptoModule:
    return CryptoModule(KEY, default="legacy")


async def make_source(kind: str, data: bytes, tmp_path: Path) -> UploadSource:
    if kind == "bytes":
        return await UploadSource.open(data)
    if kind == "path":
        path = tmp_path / "in.bin"
        path.write_bytes(data)
        return await UploadSource.open(path)
    pieces = [data[i : i + 50_000] for i in range(0, len(data), 50_000)]
    return await UploadSource.open(agen(pieces), size=len(data))


@pytest.mark.parametrize("crypto", [None, aescbc, legacy], ids=["plain", "aescbc", "legacy"])
@pytest.mark.parametrize("kind", ["bytes", "path", "stream"])
async def test_content_length_is_exact(
    tmp_path: Path, kind: str, crypto: Callable[[], CryptoModule] | None
) -> None:
    module = crypto() if crypto else None
    for size in SIZES:
        data = content_of(size)
        source = await make_source(kind, data, tmp_path)
        upload = MultipartUpload(
            FIELDS,
            source,
            file_name="x.bin",
            transform=module.encryptor if module else None,
            transformed_size=module.encrypted_size if module else None,
        )
        chunks = await collect(upload)
        body = b"".join(chunks)
        assert upload.content_length == len(body), (kind, size)
        assert all(len(chunk) <= MAX_PIECE for chunk in chunks[1:-1]), (kind, size)
        stored = parse_body(body, upload.boundary)[-1].data
        assert len(stored) == upload.file_size
        assert (module.decrypt(stored) if module else stored) == data, (kind, size)


async def test_each_stream_starts_afresh_with_a_fresh_transform(tmp_path: Path) -> None:
    data = content_of(READ_SIZE + 100)
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    module = aescbc()
    upload = MultipartUpload(
        FIELDS,
        await UploadSource.open(path),
        file_name="in.bin",
        transform=module.encryptor,
        transformed_size=module.encrypted_size,
    )
    first, second = await body_of(upload), await body_of(upload)
    assert len(first) == len(second) == upload.content_length
    one, two = (parse_body(body, upload.boundary)[-1].data for body in (first, second))
    assert one[:26] != two[:26]  # a fresh IV per attempt
    assert module.decrypt(one) == module.decrypt(two) == data
    plain = MultipartUpload(FIELDS, await UploadSource.open(path), file_name="in.bin")
    assert await body_of(plain) == await body_of(plain)
    assert plain.replayable


async def test_a_deterministic_transform_gives_the_one_shot_ciphertext() -> None:
    module = aescbc()
    data = content_of(3 * READ_SIZE + 17)
    upload = MultipartUpload(
        [],
        await UploadSource.open(data),
        file_name="d.bin",
        transform=lambda: module.aescbc.encryptor(bytes(16)),
        transformed_size=module.encrypted_size,
        boundary="fixed",
    )
    encryptor = module.aescbc.encryptor(bytes(16))
    expected = encryptor.update(data) + encryptor.finalize()
    assert parse_body(await body_of(upload), "fixed")[0].data == expected


async def test_one_shot_body_cannot_be_sent_twice() -> None:
    upload = MultipartUpload(
        FIELDS, await UploadSource.open(agen([b"abc"]), size=3), file_name="a.bin"
    )
    assert not upload.replayable
    assert parse_body(await body_of(upload), upload.boundary)[-1].data == b"abc"
    with pytest.raises(ValidationError, match="one-shot stream"):
        await body_of(upload)


def test_transform_and_its_size_go_together() -> None:
    source = UploadSource(0, data=memoryview(b""))
    with pytest.raises(TypeError, match="go together"):
        MultipartUpload([], source, file_name="a", transform=aescbc().encryptor)
    with pytest.raises(TypeError, match="go together"):
        MultipartUpload([], source, file_name="a", transformed_size=lambda n: n)


# -- progress ---------------------------------------------------------------------------------


@pytest.mark.parametrize("crypto", [None, aescbc], ids=["plain", "aescbc"])
async def test_progress_adds_up_to_the_file_size(crypto: Callable[[], CryptoModule] | None) -> None:
    """Progress counts the file's own bytes (before encryption), as a user counts them."""
    module = crypto() if crypto else None
    reports: list[int] = []
    size = 5 * KIB64 + 3
    upload = MultipartUpload(
        FIELDS,
        await UploadSource.open(content_of(size)),
        file_name="p.bin",
        transform=module.encryptor if module else None,
        transformed_size=module.encrypted_size if module else None,
        on_progress=reports.append,
    )
    await body_of(upload)
    assert sum(reports) == size
    assert upload.file_size == (module.encrypted_size(size) if module else size)
    assert all(0 < n <= MAX_PIECE for n in reports)


async def test_an_encrypted_retry_takes_back_the_file_bytes_it_reported() -> None:
    module = aescbc()
    reports: list[int] = []
    upload = MultipartUpload(
        FIELDS,
        await UploadSource.open(content_of(3 * READ_SIZE)),
        file_name="p.bin",
        transform=module.encryptor,
        transformed_size=module.encrypted_size,
        on_progress=reports.append,
    )
    stream = cast("AsyncGenerator[bytes, None]", upload.stream())
    await anext(stream)  # the head
    await anext(stream)
    assert reports == [TRANSFORM_SIZE]  # encrypted pieces are read in smaller steps
    await stream.aclose()
    assert reports[-1] == -TRANSFORM_SIZE
    await body_of(upload)
    await body_of(upload)  # a complete attempt sent again
    assert sum(reports) == 3 * READ_SIZE


async def test_an_aborted_stream_takes_its_bytes_back() -> None:
    reports: list[int] = []
    upload = MultipartUpload(
        FIELDS,
        await UploadSource.open(content_of(3 * READ_SIZE)),
        file_name="p.bin",
        on_progress=reports.append,
    )
    stream = cast("AsyncGenerator[bytes, None]", upload.stream())
    await anext(stream)  # the head
    await anext(stream)
    await anext(stream)
    assert sum(reports) == 2 * READ_SIZE
    await stream.aclose()  # the connection broke off mid-way
    assert reports[-1] == -2 * READ_SIZE
    assert sum(reports) == 0
    await body_of(upload)  # the retry
    assert sum(reports) == upload.file_size


async def test_a_failing_stream_takes_its_bytes_back() -> None:
    reports: list[int] = []
    upload = MultipartUpload(
        [],
        await UploadSource.open(agen([b"x" * KIB64, b"y" * 10]), size=KIB64 + 20),
        file_name="p.bin",
        on_progress=reports.append,
    )
    with pytest.raises(ValidationError, match="yielded 65546 bytes but size=65556"):
        await body_of(upload)
    assert sum(reports) == 0
    assert reports[-1] < 0


async def test_aborting_before_the_file_reports_nothing() -> None:
    reports: list[int] = []
    upload = MultipartUpload(
        FIELDS, await UploadSource.open(b"abc"), file_name="a", on_progress=reports.append
    )
    stream = cast("AsyncGenerator[bytes, None]", upload.stream())
    await anext(stream)
    await stream.aclose()
    assert reports == []


# -- wire compatibility with httpx ------------------------------------------------------------

ODD_NAMES = [
    "king_arthur.txt",
    'say "ni".txt',
    "two\nlines\r.bin",
    "back\\slash.bin",
    "tab\there\x1b.bin",
    "é 漢字 ü.png",
]


async def httpx_body(
    fields: list[tuple[str, str]], file_name: str, data: bytes, content_type: str, boundary: str
) -> tuple[bytes, httpx.Headers]:
    request = httpx.Request(
        "POST",
        "https://bucket.example/",
        data=dict(fields),
        files={"file": (file_name, data, content_type)},
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return await request.aread(), request.headers


def test_filename_escaping_is_html5_like_httpx() -> None:
    upload = MultipartUpload(
        [('we"ird\nname', "v")],
        UploadSource(0, data=memoryview(b"")),
        file_name='a"b\nc\\d.txt',
        boundary="b",
    )
    head = upload._head
    assert b'name="we%22ird%0Aname"\r\n' in head
    assert b'filename="a%22b%0Ac\\\\d.txt"\r\n' in head


@pytest.mark.parametrize("file_name", ODD_NAMES)
@pytest.mark.parametrize("size", [0, 19, KIB64 + 1])
async def test_bytes_equal_to_httpx_multipart(file_name: str, size: int) -> None:
    data = content_of(size)
    boundary = "61e1db329124eac3d9cd51e05d79fec6"
    upload = MultipartUpload(
        FIELDS, await UploadSource.open(data), file_name=file_name, boundary=boundary
    )
    ours = await body_of(upload)
    theirs, headers = await httpx_body(
        FIELDS, file_name, data, guess_content_type(file_name), boundary
    )
    assert ours == theirs
    assert upload.content_length == int(headers["Content-Length"])
    assert upload.content_type == headers["Content-Type"]


async def test_encrypted_bytes_equal_to_httpx_with_the_same_ciphertext() -> None:
    module = legacy()
    data = b"Knights who say Ni!"
    iv = b"knightsofni12345"
    upload = MultipartUpload(
        FIELDS,
        await UploadSource.open(data),
        file_name="king_arthur.txt",
        transform=lambda: module.legacy.encryptor(iv),
        transformed_size=module.encrypted_size,
        boundary="b0",
    )
    # the legacy file vector of pubnub.md §4.5 (key "testKey" there; here only the layout)
    ciphertext = CryptoModule("testKey", default="legacy").legacy.encryptor(iv)
    assert (ciphertext.update(data) + ciphertext.finalize()).hex() == (
        "6b6e69676874736f666e693132333435ddd61ef6e8496187a310f1023fd00567"
        "87c5ad9392ab5d8e24fd8723fcd10226"
    )
    encryptor = module.legacy.encryptor(iv)
    expected, _ = await httpx_body(
        FIELDS,
        "king_arthur.txt",
        encryptor.update(data) + encryptor.finalize(),
        "text/plain",
        "b0",
    )
    assert await body_of(upload) == expected
