"""A client-bound probe of the subscribers of ``benchmarks/realtime.py``: CPU and latency per event.

    .venv/bin/python benchmarks/_realtime_probe.py                     # every client, 100 subs
    .venv/bin/python benchmarks/_realtime_probe.py --client aiospaces --rounds 200

A stub subscribe server (standard library, a process of its own) holds every long-poll and,
as soon as all ``--subscribers`` polls are waiting, answers them all at once with one message
stamped with ``time.perf_counter_ns()``; the next round starts when they have all polled
again. The server does almost nothing, so the client sets the pace: the probe prints each
client's CPU per event (``process_time``), wall time per event and the p50/p99 latency from
the server's write to the client handing the message over, after 20 rounds of warm-up. Run it
under ``py-spy record --subprocesses`` to see where a client's time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _realtime_clients import Recorder, subscribers

WARMUP = 20


def _answer(timetoken: int, items: list[object]) -> bytes:
    body = json.dumps({"t": {"t": str(timetoken), "r": 1}, "m": items}).encode()
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/javascript; charset=UTF-8\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


class _Poll(asyncio.Protocol):
    """Answer handshakes at once; hold other polls until every subscriber waits."""

    def __init__(self, fanout: _Fanout) -> None:
        self.fanout = fanout
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - TCP
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport in self.fanout.held:
            self.fanout.held.remove(self.transport)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None  # noqa: S101 - connected
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            target = head.split(b" ", 2)[1]
            if b"tt=0&" in target or target.endswith(b"tt=0"):
                self.transport.write(_answer(self.fanout.timetoken, []))
            else:
                self.fanout.hold(self.transport)


class _Fanout:
    def __init__(self, subscribers: int) -> None:
        self.subscribers = subscribers
        self.held: list[asyncio.Transport] = []
        self.timetoken = 17_000_000_000_000_000
        self.sequence = 0

    def hold(self, transport: asyncio.Transport) -> None:
        self.held.append(transport)
        if len(self.held) == self.subscribers:
            asyncio.get_running_loop().call_later(0.001, self.answer_all)

    def answer_all(self) -> None:
        self.timetoken += 1
        message = {"n": self.sequence, "t": time.perf_counter_ns()}
        self.sequence += 1
        item = {"a": "4", "f": 0, "i": "probe", "p": {"t": str(self.timetoken), "r": 1},
                "k": "sub-c-bench", "c": "probe", "d": message}  # fmt: skip
        answer = _answer(self.timetoken, [item])
        held, self.held = self.held, []
        for transport in held:
            transport.write(answer)


async def serve(subscribers: int) -> None:
    """Serve on a free port of 127.0.0.1, print it, run until stdin closes."""
    loop = asyncio.get_running_loop()
    fanout = _Fanout(subscribers)
    server = await loop.create_server(lambda: _Poll(fanout), "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


async def probe(key: str, port: int, subscribers_n: int, rounds: int) -> dict[str, float]:
    """Run one client's subscribers for ``rounds`` rounds after the warm-up."""
    # rounds go on until the subscribers are gone: room for the sequence numbers past the end
    recorder = Recorder(subscribers_n, WARMUP + rounds + 10_000, 0)
    subscribe = subscribers(key)
    async with subscribe(f"http://127.0.0.1:{port}", "probe", subscribers_n, recorder):
        while recorder.received < subscribers_n * WARMUP:  # noqa: ASYNC110 - a counter
            await asyncio.sleep(0.005)
        cpu, wall, start = time.process_time(), time.perf_counter(), recorder.received
        while recorder.received < start + subscribers_n * rounds:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        events = recorder.received - start
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    latencies = sorted(recorder.latencies[subscribers_n * WARMUP :])
    return {
        "cpu_us_per_event": cpu / events * 1e6,
        "wall_us_per_event": wall / events * 1e6,
        "p50_ms": latencies[len(latencies) // 2] / 1e6,
        "p99_ms": latencies[int(len(latencies) * 0.99)] / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", action="append", dest="clients", help="client key")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.subscribers))
        return
    if args.port:
        key = args.clients[0]
        result = asyncio.run(probe(key, args.port, args.subscribers, args.rounds))
        print(json.dumps(result))
        return
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, __file__, "--serve", "--subscribers", str(args.subscribers)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None  # noqa: S101 - piped
        port = server.stdout.readline().strip()
        for key in args.clients or ["official", "aiospaces", "aiospaces-aiohttp", "raw-httpx"]:
            command = [
                sys.executable, __file__, "--port", port, "--client", key,
                "--subscribers", str(args.subscribers), "--rounds", str(args.rounds),
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
            figures = json.loads(done.stdout.splitlines()[-1])
            print(
                f"{key:<18} CPU {figures['cpu_us_per_event']:7,.0f} µs/event  wall "
                f"{figures['wall_us_per_event']:7,.0f} µs/event  p50 {figures['p50_ms']:6.1f} ms"
                f"  p99 {figures['p99_ms']:6.1f} ms",
                flush=True,
            )
    finally:
        server.communicate(timeout=10)  # closing its stdin stops it


if __name__ == "__main__":
    main()
