"""PubNub realtime: publish→receive latency and delivered events/s, aiospaces vs the official SDK.

Run it from the repository root (Linux):

    .venv/bin/python benchmarks/realtime.py             # 3 runs per figure, about 4 minutes
    .venv/bin/python benchmarks/realtime.py --quick     # smoke run, under a minute
    .venv/bin/python benchmarks/realtime.py --repeat 5 --subscribers 100 --json realtime.json

One emulator (``aiospaces emulator serve``: uvicorn in a process of its own, so that its CPU
does not share an event loop with the clients) serves every run. Each run is one fresh child
process (this script with ``--child``) holding ``N`` subscribers of one client to one channel,
each subscriber with its own subscription and long-poll (``benchmarks/_realtime_clients.py``):

* ``raw httpx (limit)``: per subscriber, a hand-written long-poll loop on an
  ``httpx.AsyncClient`` of its own, ``json.loads`` of each answer, no events made: what the
  emulator and loopback allow;
* ``official pubnub``: the official ``pubnub`` 10.8.0 asyncio SDK, one ``PubNubAsyncio`` per
  subscriber with a ``SubscribeCallback`` listener. Its subscriptions inside one
  ``PubNubAsyncio`` merge into one subscription set, polled by one long-poll for all
  channels, so N separate subscribers are N clients (N long-polls, as for the others);
* ``aiospaces`` and ``aiospaces (aiohttp)``: one ``aiospaces.Session()`` (default httpx
  backend) or ``Session(backend="aiohttp")``; N x ``async with pn.subscribe(channels=[ch])``,
  each iterated by its own task.

The publisher is this script's parent process, the same for every client: raw httpx
``GET /publish/...`` (``store=0``) of ``{"n": <sequence>, "t": <time.perf_counter_ns() just
before the publish call>}``. The subscribers read the same clock (``CLOCK_MONOTONIC``, shared
by every process on Linux) when the client hands the message over (listener call or ``async
for``); the difference is the latency. Each run has two phases:

1. **latency**: messages at a fixed rate for ``--seconds``; the rate keeps rate x subscribers
   at ``--deliveries`` per second (at most 20 messages/s), so one message's fan-out is over
   before the next; every arrival at every subscriber is a sample (p50, p99 of the run);
2. **burst**: once every subscriber has them all, ``--burst`` messages published as fast as
   ``--publishers`` concurrent requests go; delivered events/s = subscribers x burst /
   (last arrival at any subscriber - the first burst message's send time).

Every subscriber must get every message exactly once, or the run fails. Client CPU per event
(latency phase, burst) is the child's ``time.process_time``; CPU of the client, emulator and
publisher during the burst comes from ``/proc``. Runs interleave the clients; tables give
medians over ``--repeat`` runs and ratios of medians.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _realtime_clients import (
    CHANNEL_PREFIX,
    PUBLISH_KEY,
    SUBSCRIBE_KEY,
    Recorder,
    subscribers,
)

#: Display name per client key, in table order.
CLIENTS: dict[str, str] = {
    "raw-httpx": "raw httpx (limit)",
    "official": "official pubnub",
    "aiospaces": "aiospaces (httpx)",
    "aiospaces-aiohttp": "aiospaces (aiohttp, the default)",
}
OURS = ("aiospaces", "aiospaces-aiohttp")
#: Short names in the ratio columns' headers.
SHORT = {"aiospaces": "aiospaces", "aiospaces-aiohttp": "aiohttp", "official": "official",
         "raw-httpx": "raw"}  # fmt: skip
DEFAULT_REPEAT = 3
DEFAULT_SECONDS = 5.0
QUICK_SECONDS = 1.5
DEFAULT_DELIVERIES = 200.0
MAX_RATE = 20.0
DEFAULT_BURST = 1000
QUICK_BURST = 100
DEFAULT_PUBLISHERS = 8

# -- the child: N subscribers of one client ----------------------------------------------------


def _say(line: str) -> None:
    print(line, flush=True)


def _percentile(values: list[int], fraction: float) -> float:
    """Return a percentile of nanosecond samples, in milliseconds (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1e6


async def child(args: argparse.Namespace) -> None:
    """Subscribe, say ``@READY``, wait for both phases, say ``@RESULT {json}``."""
    recorder = Recorder(args.subscribers, args.messages, args.burst)
    subscribe = subscribers(args.child)
    async with subscribe(args.base_url, args.channel, args.subscribers, recorder):
        cpu_ready = time.process_time()
        _say("@READY")
        await asyncio.wait_for(recorder.latency_done.wait(), timeout=args.timeout)
        cpu_latency = time.process_time()
        _say("@LATENCY")
        with contextlib.suppress(TimeoutError):  # reported as lost messages below
            await asyncio.wait_for(recorder.done.wait(), timeout=args.timeout)
        cpu_done = time.process_time()
        await asyncio.sleep(0.05)  # a repeated delivery, if any, would arrive now
        burst_events = recorder.target - recorder.latency_target
        window = (recorder.burst_last_arrival - (recorder.burst_sent_first or 0)) / 1e9
        result = {
            "problems": recorder.problems(),
            "p50_ms": _percentile(recorder.latencies, 0.50),
            "p99_ms": _percentile(recorder.latencies, 0.99),
            "latency_samples": len(recorder.latencies),
            "events_per_s": burst_events / window if window > 0 else 0.0,
            "burst_window_s": window,
            "latency_cpu_us": (cpu_latency - cpu_ready) / recorder.latency_target * 1e6,
            "burst_cpu_us": (cpu_done - cpu_latency) / burst_events * 1e6,
        }
        _say("@RESULT " + json.dumps(result))


# -- the parent: server, publisher, children ---------------------------------------------------


def process_cpu_seconds(pid: int) -> float:
    """Return the user+system CPU seconds of a process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """The emulator in a process of its own (``aiospaces emulator serve --port 0``)."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.base_url = ""
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [
            sys.executable, "-m", "aiospaces.cli", "emulator", "serve", "--port", "0",
            "--subscribe-timeout", "60",
        ]  # fmt: skip
        with self.log.open("wb") as sink:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", self.log.read_text())
            if found:
                self.base_url = found.group(1)
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"the emulator did not start:\n{self.log.read_text()}")

    def __exit__(self, *exc_info: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None  # noqa: S101 - started
        return self.proc.pid


class Publisher:
    """Raw httpx publishes of ``{"n", "t"}`` messages to one channel."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, channel: str) -> None:
        self.client = client
        self.prefix = f"{base_url}/publish/{PUBLISH_KEY}/{SUBSCRIBE_KEY}/0/{channel}/0/"

    async def publish(self, number: int) -> None:
        sent = time.perf_counter_ns()
        text = quote(f'{{"n":{number},"t":{sent}}}', safe="")
        response = await self.client.get(f"{self.prefix}{text}?uuid=bench-pub&store=0")
        if response.status_code != 200:
            raise RuntimeError(f"publish answered {response.status_code}: {response.text}")

    async def at_rate(self, first: int, count: int, rate: float) -> None:
        started = time.perf_counter()
        for index in range(count):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.publish(first + index)

    async def burst(self, first: int, count: int, concurrency: int) -> None:
        numbers = iter(range(first, first + count))

        async def worker() -> None:
            for number in numbers:
                await self.publish(number)

        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())


def latency_plan(count: int, args: argparse.Namespace) -> tuple[int, float]:
    """Return the latency phase's message count and rate (messages/s) for ``count`` subscribers."""
    rate = min(MAX_RATE, args.deliveries / count)
    return max(1, round(args.seconds * rate)), rate


async def _expect(stream: asyncio.StreamReader, tag: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while True:
        line = await asyncio.wait_for(stream.readline(), max(0.1, deadline - time.monotonic()))
        if not line:
            raise RuntimeError(f"the child ended before {tag}")
        text = line.decode().strip()
        if text.startswith(tag):
            return text[len(tag) :].strip()


async def run_one(
    server: Server, publishing: httpx.AsyncClient, key: str, count: int, run: int,
    args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    """Run one child (one client, ``count`` subscribers): the latency phase, then the burst."""
    channel = f"{CHANNEL_PREFIX}-{run}"
    messages, rate = latency_plan(count, args)
    command = [
        sys.executable, __file__, "--child", key, "--base-url", server.base_url,
        "--channel", channel, "--subscribers", str(count), "--messages", str(messages),
        "--burst", str(args.burst), "--timeout", str(args.timeout),
    ]  # fmt: skip
    if args.profile:
        command += ["--profile", str(Path(args.profile) / f"{key}-{count}-{run}.prof")]
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None  # noqa: S101 - piped
    assert proc.stderr is not None  # noqa: S101
    errors = asyncio.ensure_future(proc.stderr.read())
    pids = (proc.pid, server.pid, os.getpid())
    try:
        await _expect(proc.stdout, "@READY", 60)
        publisher = Publisher(publishing, server.base_url, channel)
        await publisher.at_rate(0, messages, rate)
        await _expect(proc.stdout, "@LATENCY", args.timeout)
        before = [process_cpu_seconds(pid) for pid in pids]
        started = time.perf_counter()
        await publisher.burst(messages, args.burst, args.publishers)
        published = time.perf_counter() - started
        result: dict[str, Any] = json.loads(await _expect(proc.stdout, "@RESULT", args.timeout))
        elapsed = time.perf_counter() - started
        after = [process_cpu_seconds(pid) for pid in pids]
        await asyncio.wait_for(proc.wait(), timeout=60)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise RuntimeError(f"{key} x {count}: {(await errors).decode()[-3000:]}") from None
    if result["problems"] or proc.returncode != 0:
        details = "; ".join(result["problems"][:5])
        raise RuntimeError(f"{key} x {count}: {details}\n{(await errors).decode()[-3000:]}")
    client, emulator, publisher_cpu = (
        (b - a) / elapsed for a, b in zip(before, after, strict=True)
    )
    result.update(
        client_cpu=client, server_cpu=emulator, publisher_cpu=publisher_cpu,
        publish_per_s=args.burst / published,
    )  # fmt: skip
    return result


Results = dict[int, dict[str, list[dict[str, Any]]]]


async def run_all(args: argparse.Namespace, server: Server) -> Results:
    """Run every client for every subscriber count, ``--repeat`` times, interleaved."""
    results: Results = {n: {key: [] for key in args.clients} for n in args.counts}
    limits = httpx.Limits(max_connections=args.publishers + 2)
    started = time.perf_counter()
    run = 0
    async with httpx.AsyncClient(limits=limits) as publishing:
        await Publisher(publishing, server.base_url, "warm-up").burst(0, 20, args.publishers)
        for repetition in range(args.repeat):
            for count in args.counts:
                for key in args.clients:
                    run += 1
                    result = await run_one(server, publishing, key, count, run, args)
                    results[count][key].append(result)
                    print(
                        f"[{time.perf_counter() - started:4.0f}s] {repetition + 1}/{args.repeat} "
                        f"{count:>3} x {key:<17} p50 {result['p50_ms']:7.2f} ms  p99 "
                        f"{result['p99_ms']:7.2f} ms  {result['events_per_s']:8,.0f} events/s",
                        file=sys.stderr,
                        flush=True,
                    )
    return results


# -- the report --------------------------------------------------------------------------------

#: (figure, label, lower is better)
FIGURES = (
    ("p50_ms", "p50 latency (ms)", True),
    ("p99_ms", "p99 latency (ms)", True),
    ("events_per_s", "delivered events/s", False),
)


def _median(samples: list[dict[str, Any]], name: str) -> float:
    return statistics.median(sample[name] for sample in samples)


def _goal(figure: str, count: int) -> str | None:
    """Return the issue's goal for a figure: events/s ≥ official at 100, p99 no worse."""
    if figure == "p99_ms":
        return "≤ 1.00x official"
    if figure == "events_per_s" and count >= 100:
        return "≥ 1.00x official"
    return None


def render(results: Results, args: argparse.Namespace) -> tuple[str, list[dict[str, Any]]]:
    """Return the markdown report and its rows as data."""
    keys = list(args.clients)
    ours = [key for key in OURS if key in keys]
    bases = [base for base in ("official", "raw-httpx") if base in keys]
    pairs = [(mine, base) for mine in ours for base in bases]
    plan = ", ".join(
        "{1} messages at {2:g}/s to {0}".format(n, *latency_plan(n, args)) for n in args.counts
    )
    lines = [
        f"latency phase: {plan}; burst: {args.burst} messages, {args.publishers} publishes "
        f"at a time; medians of {args.repeat} run(s)",
        "",
        "| subscribers: figure | "
        + " | ".join(CLIENTS[k] for k in keys)
        + "".join(f" | {SHORT[m]} / {SHORT[b]}" for m, b in pairs)
        + f" | goal | met ({' / '.join(SHORT[m] for m in ours)}) |",
        "|---|" + "---:|" * (len(keys) + len(pairs)) + "---|---|",
    ]
    rows = []
    for count in args.counts:
        for figure, label, lower in FIGURES:
            medians = {key: _median(results[count][key], figure) for key in keys}
            ratios = {f"{m}/{b}": medians[m] / medians[b] for m, b in pairs if medians[b] > 0}
            goal = _goal(figure, count) if "official" in keys else None
            met = {
                m: ratios[f"{m}/official"] <= 1.0 if lower else ratios[f"{m}/official"] >= 1.0
                for m in ours
                if goal and f"{m}/official" in ratios
            }
            number = "{:,.2f}" if lower else "{:,.0f}"
            cells = [number.format(medians[key]) for key in keys]
            cells += [
                f"{ratios[f'{m}/{b}']:.2f}x" if f"{m}/{b}" in ratios else "—" for m, b in pairs
            ]
            verdict = " / ".join("yes" if ok else "**NO**" for ok in met.values()) or "—"
            lines.append(
                f"| {count}: {label} | " + " | ".join(cells) + f" | {goal or '—'} | {verdict} |"
            )
            rows.append(
                {"subscribers": count, "figure": figure, "medians": medians, "ratios": ratios,
                 "target": goal, "met": met}
            )  # fmt: skip
    lines += [
        "",
        "| subscribers | client | events/s median (min..max) | p99 ms median (min..max) "
        "| client CPU µs/event: latency / burst | burst publishes/s "
        "| CPU in the burst: client / emulator / publisher |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for count in args.counts:
        for key in keys:
            samples = results[count][key]
            speed = [s["events_per_s"] for s in samples]
            p99 = [s["p99_ms"] for s in samples]
            cpu = " / ".join(
                f"{100 * _median(samples, name):.0f}%"
                for name in ("client_cpu", "server_cpu", "publisher_cpu")
            )
            lines.append(
                f"| {count} | {CLIENTS[key]} "
                f"| {statistics.median(speed):,.0f} ({min(speed):,.0f}..{max(speed):,.0f}) "
                f"| {statistics.median(p99):.2f} ({min(p99):.2f}..{max(p99):.2f}) "
                f"| {_median(samples, 'latency_cpu_us'):,.0f} / "
                f"{_median(samples, 'burst_cpu_us'):,.0f} "
                f"| {_median(samples, 'publish_per_s'):,.0f} | {cpu} |"
            )
    return "\n".join(lines), rows


def plot(results: Results, args: argparse.Namespace, path: str) -> None:
    """Write a PNG: p99 latency and events/s per client and subscriber count (medians)."""
    import matplotlib  # noqa: PLC0415 - a dev dependency, needed only with --plot

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    keys = list(args.clients)
    figures = (("p99_ms", "p99 latency (ms, lower is better)"), ("events_per_s", "events/s"))
    fig, axes = plt.subplots(
        len(args.counts), 2, figsize=(10, 0.6 + 1.8 * len(args.counts)), squeeze=False
    )
    for row, count in enumerate(args.counts):
        for col, (figure, label) in enumerate(figures):
            ax = axes[row, col]
            values = [_median(results[count][key], figure) for key in keys]
            colors = [
                "#b0b0b0" if k == "raw-httpx" else "#dd8452" if k == "official" else "#4c72b0"
                for k in keys
            ]
            ax.barh([CLIENTS[k] for k in keys], values, color=colors)
            ax.invert_yaxis()
            if "raw-httpx" in keys:  # the limit
                ax.axvline(values[keys.index("raw-httpx")], color="black", ls="--", lw=1)
            ax.set_title(f"{count} subscriber(s): {label}", fontsize=9)
            ax.tick_params(labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _versions() -> dict[str, str]:
    found = {}
    for dist in ("aiospaces", "pubnub", "httpx", "httpcore", "aiohttp", "uvicorn", "starlette"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    return found


def run_parent(args: argparse.Namespace) -> None:
    if not Path("/proc/self/stat").exists():
        sys.exit("needs Linux: /proc and a monotonic clock shared by processes")
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="realtime-bench-") as workdir,
        Server(Path(workdir) / "emulator.log") as server,
    ):
        results = asyncio.run(run_all(args, server))
    report, rows = render(results, args)
    if args.plot:
        plot(results, args, args.plot)
    versions = ", ".join(f"{name} {version}" for name, version in _versions().items())
    print(report)
    print(
        f"\n({os.cpu_count()} cores, Python {platform.python_version()}, {versions}; "
        f"total {time.perf_counter() - started:.0f} s)"
    )
    if args.json:
        settings = ("repeat", "seconds", "deliveries", "burst", "publishers", "counts", "clients")
        document = {
            "settings": {name: getattr(args, name) for name in settings},
            "environment": {
                "python": sys.version,
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "versions": _versions(),
            },
            "samples": {str(count): by_client for count, by_client in results.items()},
            "rows": rows,
        }
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, help=f"runs per figure (default {DEFAULT_REPEAT}; --quick: 1)"
    )
    parser.add_argument(
        "--subscribers",
        type=int,
        action="append",
        dest="counts",
        help="subscribers in a run (repeatable; default 1 and 100)",
    )
    parser.add_argument(
        "--client",
        action="append",
        dest="clients",
        choices=list(CLIENTS),
        help="run only this client (repeatable; default all)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        help=f"length of the latency phase (default {DEFAULT_SECONDS:g}; --quick: "
        f"{QUICK_SECONDS:g})",
    )
    parser.add_argument(
        "--deliveries",
        type=float,
        default=DEFAULT_DELIVERIES,
        help="latency phase: messages/s x subscribers (default "
        f"{DEFAULT_DELIVERIES:g}; at most {MAX_RATE:g} messages/s)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        help=f"burst messages (default {DEFAULT_BURST}; --quick: {QUICK_BURST})",
    )
    parser.add_argument(
        "--publishers",
        type=int,
        default=DEFAULT_PUBLISHERS,
        help=f"publishes at a time in the burst (default {DEFAULT_PUBLISHERS})",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 run, short phases")
    parser.add_argument("--json", metavar="PATH", help="also write the raw numbers to PATH")
    parser.add_argument("--plot", metavar="PATH", help="also draw the figures to PATH (PNG)")
    parser.add_argument(
        "--profile", metavar="DIR", help="run each child under cProfile; write DIR/*.prof"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds a phase may take (default 60)"
    )
    internal = parser.add_argument_group("internal (one run in a child process)")
    internal.add_argument("--child", choices=list(CLIENTS), help=argparse.SUPPRESS)
    internal.add_argument("--base-url", help=argparse.SUPPRESS)
    internal.add_argument("--channel", help=argparse.SUPPRESS)
    internal.add_argument("--messages", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.subscribers = args.counts[0] if args.counts else 1
        if args.profile:
            import cProfile  # noqa: PLC0415 - only when profiling

            with cProfile.Profile() as profile:
                asyncio.run(child(args))
            profile.dump_stats(args.profile)
        else:
            asyncio.run(child(args))
        return
    args.repeat = args.repeat or (1 if args.quick else DEFAULT_REPEAT)
    args.seconds = args.seconds or (QUICK_SECONDS if args.quick else DEFAULT_SECONDS)
    args.burst = args.burst or (QUICK_BURST if args.quick else DEFAULT_BURST)
    args.counts = args.counts or [1, 100]
    args.clients = args.clients or list(CLIENTS)
    if min(args.repeat, args.burst, args.publishers, *args.counts) < 1:
        parser.error("--repeat, --burst, --publishers and --subscribers must be at least 1")
    if min(args.seconds, args.deliveries) <= 0:
        parser.error("--seconds and --deliveries must be positive")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    run_parent(args)


if __name__ == "__main__":
    main()
