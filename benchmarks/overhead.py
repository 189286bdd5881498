"""Per-request overhead of the aiospaces SDK against raw HTTP clients, on loopback.

Run it from the repository root:

    .venv/bin/python benchmarks/overhead.py                 # both workloads, ~6 minutes on 2 cores
    .venv/bin/python benchmarks/overhead.py --quick         # smoke run, about a minute
    .venv/bin/python benchmarks/overhead.py --workload fetch_space --repeat 5
    .venv/bin/python benchmarks/overhead.py --repeat 7 --requests 8000 --json overhead.json

Both workloads are answered by a stdlib-only keep-alive HTTP/1.1 server
(``benchmarks/_loopback_server.py``) that runs in its own process on a free port of 127.0.0.1.
Every client parses the JSON body (``json.loads`` for the raw clients, a typed model for the
SDKs), and for each client two figures are taken:

* ``seq``: microseconds per request, one request at a time (after a warm-up of 50 requests);
* ``c=100``: requests per second with 100 asyncio tasks pulling from a shared counter (after
  a concurrent warm-up that opens the connections).

Workload ``thing`` (``--workload thing``): a small JSON ``GET /v1/thing/abc``, parsed into an
attrs model by a minimal aiospaces vendor client. The clients: ``raw httpx``
(``httpx.AsyncClient()`` with default settings), ``raw httpx+aiohttp``
(``httpx.AsyncClient(transport=httpx_aiohttp.AiohttpTransport())``), ``raw aiohttp``
(``aiohttp.ClientSession()``), ``sdk (httpx)`` (``aiospaces.Session()``) and ``sdk (aiohttp)``
(``aiospaces.Session(backend="aiohttp")``). The SDK/raw ratios are checked against targets:
``sdk (httpx)`` at most 1.1x the µs/request of raw httpx and at least 1.0x its req/s at
c=100, and ``sdk (aiohttp)`` at least 0.8x the req/s of raw httpx over aiohttp at c=100.

Workload ``fetch_space`` (``--workload fetch_space``): PubNub App Context "fetch space",
``GET /v2/objects/sub-c-bench/channels/room-1?include=...``, answered with a realistic App
Context body. The clients: ``raw aiohttp (fetch_space, limit)`` (``aiohttp.ClientSession()``
GETting the URL aiospaces sends, then ``json.loads``: the limit every figure is read against,
as a fraction), ``raw httpx (fetch_space)`` (the same with ``httpx.AsyncClient()``),
``aiospaces default (fetch_space)`` and ``aiospaces httpx (fetch_space)``
(``session.pubnub(...).fetch_space(space_id="room-1").include_custom()`` on
``aiospaces.Session()``, whose ``backend="auto"`` is aiohttp, and on
``aiospaces.Session(backend="httpx")``, returning a typed ``Space``), and ``official pubnub
(fetch_space)`` (the official ``pubnub`` SDK's ``PubNubAsyncio``, with
``PN_ENABLE_ENTITIES=1`` and ``enable_subscribe=False``, awaiting ``fetch_space(space_id=
"room-1", include_custom=True).future()``). Target: the default Session at least 5x the
official SDK's requests/s at c=100. ``--plot PATH`` draws the c=100 figures.

Each figure of each client is measured in a fresh Python process (this script with
``--child``) once per repetition; repetitions interleave the clients of a workload, and each
workload's table reports the median with the min..max spread, plus the ratios. The server's
and the client's CPU use during the timed window are recorded too (Linux only), to show that
the server is not the bottleneck, and so is the number of connections in httpx's own
(httpcore) pool at the end of the window: at c=100 it varies with the warm-up's timing (httpx
keeps at most 20 idle connections) and, since httpcore scans its connections for every
request, it can move the req/s figure; compare c=100 figures over httpx with it in view.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
import attrs
import httpcore
import httpx
import httpx_aiohttp

import aiospaces
from aiospaces.core import validate
from aiospaces.core.builder import Builder
from aiospaces.core.client import BaseClient
from aiospaces.core.convert import make_converter
from aiospaces.core.request import RequestSpec
from aiospaces.pubnub.client import PNSDK

# -- the SDK side: a minimal vendor client ---------------------------------------------------


@attrs.frozen
class Thing:
    """The benchmark's response model."""

    id: str
    name: str
    count: int


_conv = make_converter()


class GetThing(Builder[Thing]):
    """``GET /v1/thing/{thing_id}``."""

    _thing_id: str | None = None

    def thing_id(self, value: str) -> GetThing:
        self._thing_id = value
        return self

    def _build(self) -> RequestSpec:
        thing_id = validate.identifier(self._thing_id, "thing_id")
        return RequestSpec(method="GET", path=f"/v1/thing/{thing_id}")

    async def _parse(self, response: httpx.Response) -> Thing:
        return _conv.structure(response.json(), Thing)


class BenchClient(BaseClient):
    """A vendor client with the single benchmark operation."""

    vendor = "bench"

    def get_thing(self, thing_id: str) -> GetThing:
        return GetThing(self, {"thing_id": thing_id})


# -- the clients under test --------------------------------------------------------------------

Fetch = Callable[[], Awaitable[object]]
Mode = Literal["seq", "conc"]

#: Workload ``thing``: display name -> command-line key, in table order.
CLIENTS: dict[str, str] = {
    "raw httpx": "raw-httpx",
    "raw httpx+aiohttp": "raw-httpx-aiohttp",
    "raw aiohttp": "raw-aiohttp",
    "sdk (httpx)": "sdk-httpx",
    "sdk (aiohttp)": "sdk-aiohttp",
}
PATH = "/v1/thing/abc"

#: Workload ``fetch_space``: display name -> command-line key, in table order.
SPACE_CLIENTS: dict[str, str] = {
    "raw aiohttp (fetch_space, limit)": "fs-raw-aiohttp",
    "raw httpx (fetch_space)": "fs-raw-httpx",
    "aiospaces default (fetch_space)": "fs-aiospaces-default",
    "aiospaces httpx (fetch_space)": "fs-aiospaces-httpx",
    "official pubnub (fetch_space)": "fs-official-pubnub",
}
#: The client each workload's figures are read against: the fastest raw client.
LIMITS = {"thing": "raw aiohttp", "fetch_space": "raw aiohttp (fetch_space, limit)"}
SUBSCRIBE_KEY = "sub-c-bench"
PUBLISH_KEY = "pub-c-bench"
USER_ID = "bench"
SPACE_ID = "room-1"
#: Exactly the path and query aiospaces sends for ``fetch_space(...).include_custom()``.
SPACE_PATH = (
    f"/v2/objects/{SUBSCRIBE_KEY}/channels/{SPACE_ID}"
    f"?include=custom%2Cstatus%2Ctype&pnsdk={quote(PNSDK, safe='')}&uuid={USER_ID}"
)


def _check_status(status: int) -> None:
    if status != 200:
        raise RuntimeError(f"unexpected status {status}")


@contextlib.asynccontextmanager
async def _raw_httpx(
    base_url: str, *, aiohttp_transport: bool, path: str = PATH
) -> AsyncIterator[Fetch]:
    url = base_url + path
    kwargs: dict[str, Any] = {}
    if aiohttp_transport:
        kwargs["transport"] = httpx_aiohttp.AiohttpTransport()
    async with httpx.AsyncClient(**kwargs) as client:

        async def fetch() -> object:
            response = await client.get(url)
            _check_status(response.status_code)
            return json.loads(response.content)

        yield fetch


@contextlib.asynccontextmanager
async def _raw_aiohttp(base_url: str, path: str = PATH) -> AsyncIterator[Fetch]:
    url = base_url + path
    async with aiohttp.ClientSession() as session:

        async def fetch() -> object:
            async with session.get(url) as response:
                _check_status(response.status)
                body = await response.read()
            return json.loads(body)

        yield fetch


@contextlib.asynccontextmanager
async def _sdk(base_url: str, *, backend: Literal["httpx", "aiohttp"]) -> AsyncIterator[Fetch]:
    async with aiospaces.Session(backend=backend) as session:
        client = BenchClient(session, base_url=base_url)

        async def fetch() -> object:
            return await client.get_thing(thing_id="abc")

        yield fetch


@contextlib.asynccontextmanager
async def _aiospaces_fetch_space(
    port: int, *, backend: Literal["auto", "httpx", "aiohttp"]
) -> AsyncIterator[Fetch]:
    async with aiospaces.Session(backend=backend) as session:
        pn = session.pubnub(
            subscribe_key=SUBSCRIBE_KEY, user_id=USER_ID, origin=f"127.0.0.1:{port}", ssl=False
        )

        async def fetch() -> object:
            return await pn.fetch_space(space_id=SPACE_ID).include_custom()

        yield fetch


@contextlib.asynccontextmanager
async def _official_fetch_space(port: int) -> AsyncIterator[Fetch]:
    # The Spaces ("entities") calls exist only with this flag set before pubnub is imported,
    # which is why the import happens here, in the child process that measures this client.
    os.environ["PN_ENABLE_ENTITIES"] = "1"
    from pubnub.pnconfiguration import PNConfiguration  # noqa: PLC0415 - needs the flag
    from pubnub.pubnub_asyncio import PubNubAsyncio  # noqa: PLC0415 - needs the flag

    with warnings.catch_warnings():
        # "Mutable config will be deprecated in the future." from PNConfiguration's setters
        warnings.filterwarnings("ignore", "Mutable config", DeprecationWarning)
        config = PNConfiguration()
        config.subscribe_key = SUBSCRIBE_KEY
        config.publish_key = PUBLISH_KEY
        config.user_id = USER_ID
        config.origin = f"127.0.0.1:{port}"
        config.ssl = False
        # its subscription manager would open (and leak) an event loop; nothing subscribes here
        config.enable_subscribe = False
        pubnub = PubNubAsyncio(config)
    try:

        async def fetch() -> object:
            envelope = await pubnub.fetch_space(space_id=SPACE_ID, include_custom=True).future()
            if envelope.is_error():
                raise RuntimeError(f"official pubnub: error envelope {envelope.status!r}")
            data: object = envelope.result.data
            return data

        yield fetch
    finally:
        await pubnub.stop()


def open_client(
    key: str, base_url: str, port: int
) -> contextlib.AbstractAsyncContextManager[Fetch]:
    if key == "fs-raw-httpx":
        return _raw_httpx(base_url, aiohttp_transport=False, path=SPACE_PATH)
    if key == "fs-raw-aiohttp":
        return _raw_aiohttp(base_url, path=SPACE_PATH)
    if key == "fs-aiospaces-default":
        return _aiospaces_fetch_space(port, backend="auto")
    if key == "fs-aiospaces-httpx":
        return _aiospaces_fetch_space(port, backend="httpx")
    if key == "fs-aiospaces-aiohttp":
        return _aiospaces_fetch_space(port, backend="aiohttp")
    if key == "fs-official-pubnub":
        return _official_fetch_space(port)
    if key == "raw-httpx":
        return _raw_httpx(base_url, aiohttp_transport=False)
    if key == "raw-httpx-aiohttp":
        return _raw_httpx(base_url, aiohttp_transport=True)
    if key == "raw-aiohttp":
        return _raw_aiohttp(base_url)
    if key == "sdk-httpx":
        return _sdk(base_url, backend="httpx")
    if key == "sdk-aiohttp":
        return _sdk(base_url, backend="aiohttp")
    raise ValueError(f"unknown client {key!r}")


# -- the child: one figure of one client in a fresh process ------------------------------------

WARMUP = 50
CONCURRENCY = 100


def process_cpu_seconds(pid: int) -> float | None:
    """Return the user+system CPU seconds of a process (Linux ``/proc``), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drain(fetch: Fetch, requests: int, concurrency: int) -> None:
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await fetch()

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())


def _ident(value: object) -> object:
    """Return the ``id`` of a parsed response: a model, a dict, or an App Context envelope."""
    if isinstance(value, dict):
        data = value.get("data", value)
        return data.get("id") if isinstance(data, dict) else None
    return getattr(value, "id", None)


def _pooled_connections() -> int | None:
    """Return the connections held by this process's httpcore pools (None: no such pool).

    At c=100 over httpx this number is decided by the warm-up's timing (httpx keeps at most
    20 idle connections), and it can move the req/s figure: httpcore's pool scans its
    connections for every request.
    """
    pools = [obj for obj in gc.get_objects() if isinstance(obj, httpcore.AsyncConnectionPool)]
    return sum(len(pool.connections) for pool in pools) if pools else None


async def measure(
    key: str, mode: Mode, port: int, requests: int, server_pid: int | None
) -> dict[str, Any]:
    """Warm up, then time ``requests`` requests of one client in one mode."""
    expected = WORKLOADS[workload_of(key)].expected_id
    async with open_client(key, f"http://127.0.0.1:{port}", port) as fetch:
        first = await fetch()
        if _ident(first) != expected:
            raise RuntimeError(f"{key}: unexpected response {first!r}")
        if mode == "seq":
            for _ in range(WARMUP):
                await fetch()
        else:
            await _drain(fetch, max(WARMUP, 5 * CONCURRENCY), CONCURRENCY)
        gc.collect()
        server_before = process_cpu_seconds(server_pid) if server_pid else None
        cpu_before = time.process_time()
        started = time.perf_counter()
        if mode == "seq":
            for _ in range(requests):
                await fetch()
        else:
            await _drain(fetch, requests, CONCURRENCY)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        server_after = process_cpu_seconds(server_pid) if server_pid else None
        pooled = _pooled_connections()
    server_cpu = (
        (server_after - server_before) / elapsed
        if server_before is not None and server_after is not None
        else None
    )
    return {
        "client": key,
        "mode": mode,
        "requests": requests,
        "elapsed_s": elapsed,
        "us_per_request": elapsed / requests * 1e6,
        "requests_per_s": requests / elapsed,
        "client_cpu": cpu / elapsed,
        "server_cpu": server_cpu,
        "pooled_connections": pooled,
    }


# -- the parent: server, children, table -------------------------------------------------------

SERVER_SCRIPT = Path(__file__).with_name("_loopback_server.py")


@attrs.frozen
class Target:
    """A ratio of an SDK figure to a raw baseline figure, with its optional target."""

    sdk: str
    base: str
    mode: Mode
    op: Literal["<=", ">="] | None = None
    bound: float | None = None


TARGETS = (
    Target("sdk (httpx)", "raw httpx", "seq", "<=", 1.10),
    Target("sdk (httpx)", "raw httpx", "conc", ">=", 1.00),
    Target("sdk (aiohttp)", "raw httpx+aiohttp", "seq"),
    Target("sdk (aiohttp)", "raw httpx+aiohttp", "conc", ">=", 0.80),
)
SPACE_TARGETS = (
    Target("aiospaces default (fetch_space)", "official pubnub (fetch_space)", "conc", ">=", 5.0),
    Target("aiospaces default (fetch_space)", "raw aiohttp (fetch_space, limit)", "conc"),
    Target("official pubnub (fetch_space)", "raw aiohttp (fetch_space, limit)", "conc"),
    Target("aiospaces httpx (fetch_space)", "raw aiohttp (fetch_space, limit)", "conc"),
    Target("aiospaces httpx (fetch_space)", "raw httpx (fetch_space)", "seq"),
    Target("aiospaces httpx (fetch_space)", "raw httpx (fetch_space)", "conc"),
    Target("aiospaces default (fetch_space)", "official pubnub (fetch_space)", "seq"),
    Target("aiospaces httpx (fetch_space)", "official pubnub (fetch_space)", "conc"),
)


@attrs.frozen
class Workload:
    """One request shape, its clients (display name -> child key) and its ratios."""

    title: str
    clients: dict[str, str]
    targets: tuple[Target, ...]
    expected_id: str
    default_requests: int


DEFAULT_REQUESTS = 4000
SPACE_DEFAULT_REQUESTS = 3000
WORKLOADS: dict[str, Workload] = {
    "thing": Workload(f"thing (`GET {PATH}`)", CLIENTS, TARGETS, "abc", DEFAULT_REQUESTS),
    "fetch_space": Workload(
        f"fetch_space (`GET /v2/objects/{SUBSCRIBE_KEY}/channels/{SPACE_ID}`, App Context body)",
        SPACE_CLIENTS,
        SPACE_TARGETS,
        SPACE_ID,
        SPACE_DEFAULT_REQUESTS,
    ),
}


def workload_of(key: str) -> str:
    """Return the name of the workload a child key belongs to."""
    for name, workload in WORKLOADS.items():
        if key in workload.clients.values():
            return name
    raise ValueError(f"unknown client {key!r}")


@contextlib.contextmanager
def loopback_server() -> Iterator[tuple[int, int]]:
    """Start the server process; yield ``(port, pid)``; kill it on exit."""
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(SERVER_SCRIPT), "--port", "0", "--watch-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None  # noqa: S101 - stdout=PIPE
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"loopback server failed to start: {line!r}")
        yield int(line.split()[1]), proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_child(key: str, mode: Mode, port: int, requests: int, server_pid: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        key,
        "--mode",
        mode,
        "--port",
        str(port),
        "--requests",
        str(requests),
        "--server-pid",
        str(server_pid),
    ]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        command, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {key} {mode} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _value(sample: dict[str, Any], mode: Mode) -> float:
    return float(sample["us_per_request" if mode == "seq" else "requests_per_s"])


def _fmt(value: float, mode: Mode) -> str:
    return f"{value:,.1f}" if mode == "seq" else f"{value:,.0f}"


def _spread(values: list[float], mode: Mode) -> str:
    return f"{_fmt(min(values), mode)}..{_fmt(max(values), mode)}"


def _cpu(samples: list[dict[str, Any]], field: str) -> str:
    values = [s[field] for s in samples if s.get(field) is not None]
    return f"{100 * statistics.median(values):.0f}%" if values else "n/a"


def _pools(samples: list[dict[str, Any]]) -> str:
    """Return the min..max of the connections pooled at c=100 (httpx's own pool only)."""
    values = [s["pooled_connections"] for s in samples if s.get("pooled_connections") is not None]
    if not values:
        return "—"
    return str(values[0]) if min(values) == max(values) else f"{min(values)}..{max(values)}"


def render(
    workload: Workload,
    results: dict[str, dict[Mode, list[dict[str, Any]]]],
    repeat: int,
    requests: int,
) -> tuple[str, list[dict[str, Any]]]:
    """Return the markdown report and the ratio rows of one workload."""
    lines = [
        f"Workload {workload.title}.",
        f"Loopback overhead: {repeat} repetitions x {requests:,} requests per figure, "
        f"fresh process each; Python {platform.python_version()}, {os.cpu_count()} CPUs.",
        "",
        "| client | seq µs/req (median) | seq min..max | c=100 req/s (median) "
        "| c=100 min..max | c=100 / limit | CPU client/server (c=100) | httpcore pool (c=100) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    limit_name = next((n for n in LIMITS.values() if n in results), None)
    limit = (
        statistics.median(_value(s, "conc") for s in results[limit_name]["conc"])
        if limit_name
        else None
    )
    for name, by_mode in results.items():
        seq = [_value(s, "seq") for s in by_mode["seq"]]
        conc = [_value(s, "conc") for s in by_mode["conc"]]
        cpu = f"{_cpu(by_mode['conc'], 'client_cpu')} / {_cpu(by_mode['conc'], 'server_cpu')}"
        share = f"{statistics.median(conc) / limit:.0%}" if limit else "—"
        lines.append(
            f"| {name} | {_fmt(statistics.median(seq), 'seq')} | {_spread(seq, 'seq')} "
            f"| {_fmt(statistics.median(conc), 'conc')} | {_spread(conc, 'conc')} | {share} "
            f"| {cpu} | {_pools(by_mode['conc'])} |"
        )
    lines += [
        "",
        "| ratio | figure | ratio of medians | per-repetition min..max | target | result |",
        "|---|---|---:|---:|---:|---|",
    ]
    rows: list[dict[str, Any]] = []
    for target in workload.targets:
        sdk = [_value(s, target.mode) for s in results[target.sdk][target.mode]]
        base = [_value(s, target.mode) for s in results[target.base][target.mode]]
        ratio = statistics.median(sdk) / statistics.median(base)
        paired = [a / b for a, b in zip(sdk, base, strict=True)]
        if target.op is None or target.bound is None:
            verdict, goal = None, "—"
        else:
            ok = ratio <= target.bound if target.op == "<=" else ratio >= target.bound
            verdict, goal = ("PASS" if ok else "MISS"), f"{target.op} {target.bound:.2f}x"
        if target.mode == "seq":
            figure = "seq µs/req (lower is better)"
        else:
            figure = "c=100 req/s (higher is better)"
        lines.append(
            f"| {target.sdk} / {target.base} | {figure} | {ratio:.3f}x "
            f"| {min(paired):.3f}..{max(paired):.3f} | {goal} | {verdict or '—'} |"
        )
        rows.append(
            {
                "sdk": target.sdk,
                "base": target.base,
                "mode": target.mode,
                "ratio": ratio,
                "per_repetition": paired,
                "target": None if target.op is None else f"{target.op} {target.bound}",
                "result": verdict,
            }
        )
    return "\n".join(lines), rows


def plot(workload: Workload, results: Results, path: Path) -> None:
    """Write a PNG: c=100 req/s per client (median, min..max), the limit as a dashed line."""
    import matplotlib  # noqa: PLC0415 - a dev dependency, needed only with --plot

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = list(results)
    values = [[_value(s, "conc") for s in results[n]["conc"]] for n in names]
    medians = [statistics.median(v) for v in values]
    errors = [
        [m - min(v) for m, v in zip(medians, values, strict=True)],
        [max(v) - m for m, v in zip(medians, values, strict=True)],
    ]
    colors = [
        "#b0b0b0" if n.startswith("raw") else "#dd8452" if n.startswith("official") else "#4c72b0"
        for n in names
    ]
    fig, ax = plt.subplots(figsize=(8, 1 + 0.5 * len(names)))
    ax.barh(names, medians, xerr=errors, color=colors)
    ax.invert_yaxis()
    limit_name = next((n for n in LIMITS.values() if n in results), None)
    if limit_name:
        limit = medians[names.index(limit_name)]
        ax.axvline(limit, color="black", linestyle="--", linewidth=1)
        for i, m in enumerate(medians):
            ax.text(m, i, f" {m / limit:.0%}", va="bottom", fontsize=8)
    ax.set_xlabel("requests/s at concurrency 100 (median, min..max); dashed: the limit")
    ax.set_title(workload.title.replace("`", ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _versions() -> dict[str, str]:
    found = {}
    dists = ("httpx", "httpcore", "aiohttp", "httpx-aiohttp", "anyio", "attrs", "cattrs", "pubnub")
    for dist in dists:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    found["aiospaces"] = aiospaces.__version__
    return found


def _pool_note(sample: dict[str, Any]) -> str:
    pooled = sample.get("pooled_connections")
    return "" if pooled is None else f" ({pooled} pooled connections)"


Results = dict[str, dict[Mode, list[dict[str, Any]]]]


def run_workload(
    workload: Workload, repeat: int, requests: int, port: int, server_pid: int, started: float
) -> Results:
    """Measure every figure of every client of one workload, ``repeat`` times, interleaved."""
    names = list(workload.clients)
    results: Results = {name: {"seq": [], "conc": []} for name in names}
    total = repeat * 2 * len(names)
    done = 0
    width = max(len(name) for name in names)
    for rep in range(repeat):
        order = names[rep % len(names) :] + names[: rep % len(names)]  # rotate start
        for mode in ("seq", "conc"):
            for name in order:
                sample = run_child(workload.clients[name], mode, port, requests, server_pid)
                results[name][mode].append(sample)
                done += 1
                print(
                    f"[{done}/{total} {time.perf_counter() - started:5.0f}s] rep {rep + 1} "
                    f"{mode:4} {name:{width}} {_fmt(_value(sample, mode), mode):>9} "
                    f"{'µs/req' if mode == 'seq' else 'req/s'}" + _pool_note(sample),
                    file=sys.stderr,
                    flush=True,
                )
    return results


def run_parent(args: argparse.Namespace) -> None:
    selected = list(WORKLOADS) if args.workload == "all" else [args.workload]
    documents: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    with loopback_server() as (port, server_pid):
        for index, name in enumerate(selected):
            workload = WORKLOADS[name]
            requests = args.requests or (
                QUICK_REQUESTS if args.quick else workload.default_requests
            )
            results = run_workload(workload, args.repeat, requests, port, server_pid, started)
            report, ratios = render(workload, results, args.repeat, requests)
            if index:
                print()
            print(report, flush=True)
            if args.plot:
                target = Path(args.plot)
                if len(selected) > 1:
                    target = target.with_name(f"{target.stem}-{name}{target.suffix}")
                plot(workload, results, target)
                print(f"(plot: {target})", flush=True)
            documents[name] = {
                "requests": requests,
                "samples": results,
                "medians": {
                    client: {
                        "seq_us_per_request": statistics.median(
                            _value(s, "seq") for s in by["seq"]
                        ),
                        "conc_requests_per_s": statistics.median(
                            _value(s, "conc") for s in by["conc"]
                        ),
                    }
                    for client, by in results.items()
                },
                "ratios": ratios,
            }
    if importlib.util.find_spec("sniffio") is None:
        print(
            "\nNote: sniffio is not installed, so httpcore retries `import sniffio` (a sys.path "
            "scan) for every lock and event it uses; the httpx-based figures are slower for it."
        )
    print(f"\n(total {time.perf_counter() - started:.0f}s)")
    if args.json:
        document = {
            "settings": {
                "workloads": selected,
                "repeat": args.repeat,
                "warmup": WARMUP,
                "concurrency": CONCURRENCY,
            },
            "environment": {
                "python": sys.version,
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "versions": _versions(),
                "sniffio_installed": importlib.util.find_spec("sniffio") is not None,
            },
            "workloads": documents,
        }
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")


DEFAULT_REPEAT = 5
QUICK_REQUESTS = 1000
QUICK_REPEAT = 2


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Measure the aiospaces SDK's per-request overhead against raw clients."
    )
    parser.add_argument("--repeat", type=int, help=f"repetitions (default {DEFAULT_REPEAT})")
    parser.add_argument(
        "--requests",
        type=int,
        help=f"timed requests per figure (default {DEFAULT_REQUESTS} for thing, "
        f"{SPACE_DEFAULT_REQUESTS} for fetch_space)",
    )
    parser.add_argument(
        "--workload",
        choices=[*WORKLOADS, "all"],
        default="all",
        help="which workload to measure (default all: each in turn, one table each)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_REPEAT} repetitions x {QUICK_REQUESTS} requests",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the raw numbers to PATH")
    parser.add_argument("--plot", metavar="PATH", help="also draw c=100 req/s to PATH (PNG)")
    child = parser.add_argument_group("internal (one measurement in a child process)")
    keys = [key for workload in WORKLOADS.values() for key in workload.clients.values()]
    child.add_argument("--child", choices=keys, help=argparse.SUPPRESS)
    child.add_argument("--mode", choices=["seq", "conc"], help=argparse.SUPPRESS)
    child.add_argument("--port", type=int, help=argparse.SUPPRESS)
    child.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = QUICK_REPEAT if args.quick else DEFAULT_REPEAT
    if args.repeat < 1 or (args.requests is not None and args.requests < 1):
        parser.error("--repeat and --requests must be >= 1")
    if args.child:
        if args.mode is None or args.port is None or args.requests is None:
            parser.error("--child needs --mode, --port and --requests")
        result = asyncio.run(
            measure(args.child, args.mode, args.port, args.requests, args.server_pid)
        )
        print(json.dumps(result))
    else:
        run_parent(args)


if __name__ == "__main__":
    main()
