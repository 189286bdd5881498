"""A minimal PubNub files server on 127.0.0.1 that counts and discards uploads.

``benchmarks/upload.py --server sink`` runs it in its own process instead of the emulator, so
that the upload figures do not depend on how fast the emulator parses and stores a multipart
body. Standard library only (an ``asyncio.Protocol``), keep-alive HTTP/1.1, answering exactly
what the three steps of ``send_file`` and the two of ``download_file`` need:

* ``POST /v1/files/{sub}/channels/{channel}/generate-upload-url``: a fresh file id and a
  presigned-POST ticket shaped like PubNub's (the emulator's form fields, in order, with a
  ``Policy`` whose ``content-length-range`` allows 64 MiB) pointing at ``/_sink/``;
* ``POST /_sink/``: the body is counted and discarded and ``204`` answered, like S3. A body
  without ``Content-Length`` (chunked transfer encoding) gets ``411`` and the connection is
  closed, as S3 refuses such uploads;
* ``GET /v1/files/publish-file/...``: ``[1,"Sent","<timetoken>"]``;
* ``GET /v1/files/{sub}/channels/{channel}/files/{id}/{name}``: ``307`` to ``/_blob/{name}``,
  which serves the bytes of the file given as ``--blob {name}={path}`` (read once at start);
* ``GET /_sink/stats`` and ``POST /_sink/reset``: how many uploads and bytes were received.

Run it on its own (``python benchmarks/_upload_sink.py --port 0 --blob f.bin=/tmp/f.enc``): it
prints ``PORT <n>`` once it listens and exits on SIGTERM/SIGINT or, with ``--watch-stdin``,
when its stdin reaches end-of-file.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

__all__ = ["serve"]

MAX_SIZE = 64 * 1024 * 1024
_CONTENT_LENGTH = b"\r\ncontent-length:"
_CHUNKED = b"\r\ntransfer-encoding:"
_CLOSE = b"\r\nconnection: close"
_POLICY = base64.b64encode(
    json.dumps(
        {
            "expiration": "2099-01-01T00:00:00Z",
            "conditions": [{"bucket": "sink"}, ["content-length-range", 0, MAX_SIZE]],
        }
    ).encode()
).decode()


def _response(status: str, body: bytes = b"", headers: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\n{headers}Content-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode() + body


_NO_CONTENT = _response("204 No Content", headers='ETag: "0"\r\n')
_NOT_FOUND = _response("404 Not Found", b'{"status":404}', "Content-Type: application/json\r\n")
_LENGTH_REQUIRED = b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class _Sink:
    """The server's state: blobs to serve, and what was uploaded."""

    def __init__(self, port: int, blobs: dict[str, bytes]) -> None:
        self.port = port
        self.blobs = blobs
        self.uploads = 0
        self.bytes = 0

    def ticket(self, path: str, body: bytes) -> bytes:
        sub = path.split("/")[3]
        name = str(json.loads(body)["name"])
        file_id = str(uuid.uuid4())
        fields = [
            ("tagging", "<Tagging><TagSet></TagSet></Tagging>"),
            ("key", f"{sub}/sink/{file_id}/{name}"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("X-Amz-Credential", "AKIASINK/20990101/us-east-1/s3/aws4_request"),
            ("X-Amz-Security-Token", ""),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Date", "20990101T000000Z"),
            ("Policy", _POLICY),
            ("X-Amz-Signature", "0" * 64),
        ]
        document = {
            "status": 200,
            "data": {"id": file_id, "name": name},
            "file_upload_request": {
                "url": f"http://127.0.0.1:{self.port}/_sink/",
                "method": "POST",
                "expiration_date": "2099-01-01T00:00:00Z",
                "form_fields": [{"key": k, "value": v} for k, v in fields],
            },
        }
        return _response(
            "200 OK", json.dumps(document).encode(), "Content-Type: application/json\r\n"
        )

    def route(self, method: str, target: str, body: bytes) -> bytes:
        path = target.split("?", 1)[0]
        if method == "POST" and path.endswith("/generate-upload-url"):
            return self.ticket(path, body)
        if method == "GET" and path.startswith("/v1/files/publish-file/"):
            return _response("200 OK", f'[1,"Sent","{time.time_ns() // 100}"]'.encode())
        if method == "GET" and path.startswith("/_blob/"):
            blob = self.blobs.get(path.rsplit("/", 1)[1])
            return _NOT_FOUND if blob is None else _response("200 OK", blob)
        if method == "GET" and path.startswith("/v1/files/") and "/files/" in path[10:]:
            location = f"http://127.0.0.1:{self.port}/_blob/{path.rsplit('/', 1)[1]}"
            return _response("307 Temporary Redirect", headers=f"Location: {location}\r\n")
        if path == "/_sink/stats":
            stats = {"uploads": self.uploads, "bytes": self.bytes}
            return _response("200 OK", json.dumps(stats).encode())
        if method == "POST" and path == "/_sink/reset":
            self.uploads = self.bytes = 0
            return _NO_CONTENT
        return _NOT_FOUND


class _Protocol(asyncio.Protocol):
    """Parse requests; stream upload bodies away as they arrive (counting them)."""

    def __init__(self, sink: _Sink) -> None:
        self._sink = sink
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._skip = 0  # upload body bytes still to discard
        self._close = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - TCP only
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        if self._skip:
            taken = min(self._skip, len(data))
            self._skip -= taken
            self._sink.bytes += taken
            if self._skip:
                return
            self._uploaded()
            data = data[taken:]
        self._buffer += data
        while self._transport is not None and not self._skip and self._next():
            pass

    def _next(self) -> bool:
        """Handle the request at the buffer's start, if its head (and body) is there."""
        transport = self._transport
        assert transport is not None  # noqa: S101 - only called while connected
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(buffer[:end])
        lower = head.lower()
        method, target, _ = head.decode("latin-1").split(" ", 2)
        at = lower.find(_CONTENT_LENGTH)
        if at >= 0:
            stop = lower.find(b"\r\n", at + 2)
            length = int(lower[at + len(_CONTENT_LENGTH) : stop if stop >= 0 else None])
        elif _CHUNKED in lower:
            transport.write(_LENGTH_REQUIRED)
            transport.close()
            self._transport = None
            return False
        else:
            length = 0
        self._close = _CLOSE in lower
        if method == "POST" and target.split("?", 1)[0] == "/_sink/":  # an upload: never buffered
            taken = min(length, len(buffer) - end - 4)
            del buffer[: end + 4 + taken]
            self._sink.bytes += taken
            self._skip = length - taken
            if not self._skip:
                self._uploaded()
            return True
        if len(buffer) < end + 4 + length:
            return False  # wait for the rest of the (small) body
        body = bytes(buffer[end + 4 : end + 4 + length])
        del buffer[: end + 4 + length]
        self._reply(self._sink.route(method, target, body))
        return True

    def _uploaded(self) -> None:
        self._sink.uploads += 1
        self._reply(_NO_CONTENT)

    def _reply(self, response: bytes) -> None:
        assert self._transport is not None  # noqa: S101 - only called while connected
        self._transport.write(response)
        if self._close:
            self._transport.close()
            self._transport = None


async def serve(port: int, blobs: dict[str, bytes], *, watch_stdin: bool = False) -> None:
    """Listen on ``127.0.0.1:port`` (0 picks a free port), print it, serve until told to stop."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def on_stdin() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            stop.set()

    if watch_stdin:
        loop.add_reader(sys.stdin.fileno(), on_stdin)
    sink = _Sink(port, blobs)
    server = await loop.create_server(
        lambda: _Protocol(sink), "127.0.0.1", port, backlog=2048, reuse_address=True
    )
    sink.port = server.sockets[0].getsockname()[1]
    print(f"PORT {sink.port}", flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument(
        "--blob", action="append", default=[], metavar="NAME=PATH", help="a file to serve"
    )
    parser.add_argument(
        "--watch-stdin", action="store_true", help="exit when stdin reaches end-of-file"
    )
    args = parser.parse_args()
    blobs = {}
    for item in args.blob:
        name, _, path = item.partition("=")
        blobs[name] = Path(path).read_bytes()
    asyncio.run(serve(args.port, blobs, watch_stdin=args.watch_stdin))


if __name__ == "__main__":
    main()
