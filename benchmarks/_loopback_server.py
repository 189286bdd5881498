"""A tiny, fast HTTP/1.1 keep-alive server on 127.0.0.1 for the overhead benchmarks.

Standard library only: a plain ``asyncio.Protocol`` that reads each request head up to its
blank line (CRLF CRLF), skips any ``Content-Length`` body, and answers with a prebuilt ``200``
JSON response with a fixed ``Content-Length``:

* ``GET /v2/objects/{subscribe_key}/channels/{channel}[?...]`` (PubNub App Context "fetch
  space"): ``SPACE_RESPONSE``, a realistic App Context body for the channel ``room-1`` (the
  requested id is not echoed back);
* any other request: ``RESPONSE`` (``{"id":"abc",...}``, the ``GET /v1/thing/abc`` workload).

Connections are kept alive unless the client sends ``Connection: close``; there is no
pipelining to speak of, but back-to-back requests in one read are each answered in order.

Run it on its own (``python benchmarks/_loopback_server.py --port 0``): it prints
``PORT <n>`` on stdout once it listens and exits on SIGTERM/SIGINT; with ``--watch-stdin`` it
also exits when its stdin reaches end-of-file, so it never outlives the benchmark that started
it with ``stdin=PIPE``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

__all__ = ["BODY", "RESPONSE", "SPACE_BODY", "SPACE_RESPONSE", "serve"]


def _response(body: bytes) -> bytes:
    """Return the full ``200`` response bytes for a JSON body."""
    return (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"Connection: keep-alive\r\n"
        b"\r\n" + body
    )


#: The JSON document of the ``GET /v1/thing/abc`` workload (and of any unrouted request).
BODY = b'{"id":"abc","name":"Thing","count":3}'
#: The full response bytes, prebuilt once.
RESPONSE = _response(BODY)
#: The App Context document answered to ``GET /v2/objects/{sub}/channels/{id}``.
SPACE_BODY = (
    b'{"status":200,"data":{"id":"room-1","name":"Room 1","description":null,"type":null,'
    b'"status":null,"custom":{"tier":"gold"},"updated":"2025-02-06T21:27:39.787477Z",'
    b'"eTag":"58e863ea25098920a6c5d5c38176e862"}}'
)
#: The full fetch-space response bytes, prebuilt once.
SPACE_RESPONSE = _response(SPACE_BODY)
_OBJECTS = b"get /v2/objects/"
_CHANNELS = b"/channels/"
_CONTENT_LENGTH = b"\r\ncontent-length:"
_CLOSE = b"\r\nconnection: close"


def _route(head: bytes) -> bytes:
    """Pick the response for a lower-cased request head."""
    if head.startswith(_OBJECTS):
        line_end = head.find(b" ", len(_OBJECTS))  # the end of the request target
        target = head[len(_OBJECTS) : line_end if line_end >= 0 else len(head)]
        at = target.find(_CHANNELS)
        # {sub}/channels/{id}: a non-empty key, then one non-empty path segment
        if at > 0 and b"/" not in target[:at]:
            channel = target[at + len(_CHANNELS) :].split(b"?", 1)[0]
            if channel and b"/" not in channel:
                return SPACE_RESPONSE
    return RESPONSE


class _KeepAliveProtocol(asyncio.Protocol):
    """Answer each complete request head on a connection with its prebuilt response."""

    __slots__ = ("_buffer", "_transport")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - TCP only
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        transport = self._transport
        if transport is None:
            return
        buffer = self._buffer
        buffer += data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            total = end + 4
            at = head.find(_CONTENT_LENGTH)
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                raw = head[at + len(_CONTENT_LENGTH) : stop if stop >= 0 else len(head)]
                total += int(raw.strip() or b"0")
            if len(buffer) < total:
                return  # wait for the rest of the body
            del buffer[:total]
            transport.write(_route(head))
            if _CLOSE in head:
                transport.close()
                return


async def serve(port: int, *, watch_stdin: bool = False) -> None:
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

    server = await loop.create_server(
        _KeepAliveProtocol, "127.0.0.1", port, backlog=2048, reuse_address=True
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument(
        "--watch-stdin", action="store_true", help="exit when stdin reaches end-of-file"
    )
    args = parser.parse_args()
    asyncio.run(serve(args.port, watch_stdin=args.watch_stdin))


if __name__ == "__main__":
    main()
