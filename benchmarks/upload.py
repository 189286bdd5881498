"""PubNub file uploads and downloads: aiospaces vs the official SDK vs raw httpx, on loopback.

Run it from the repository root (Linux only: it reads ``/proc``):

    .venv/bin/python benchmarks/upload.py                       # emulator, 5 runs per figure
    .venv/bin/python benchmarks/upload.py --server both --repeat 7 --json upload.json
    .venv/bin/python benchmarks/upload.py --quick               # smoke run, a few seconds

The server runs in a process of its own on a free port of 127.0.0.1, so its memory and CPU
are not the client's: ``--server emulator`` (the default) is ``aiospaces emulator serve``
(uvicorn; uploads are parsed as they stream in and written to a temporary directory, the
emulator is reset before every run), ``--server sink`` is ``benchmarks/_upload_sink.py``, a
stdlib server that answers the same PubNub requests but counts and discards upload bodies
(so the figures do not depend on how fast the emulator parses multipart bodies), and
``--server both`` measures everything against each in turn.

Scenarios (``--size-mib`` defaults to 5, ``--concurrency`` to 32; the files are random bytes
written once to a temporary directory, one file per concurrent upload):

* ``enc1``: one upload, ACRH-encrypted (``AesCbcCryptoModule`` / ``crypto="aescbc"``);
* ``plain1``: one upload, unencrypted;
* ``enc32``: ``--concurrency`` encrypted uploads at once (``asyncio.gather``, one client);
* ``download``: an encrypted file downloaded and decrypted to a path (aiospaces
  ``download_file(...).to_path(path)``; the official SDK returns bytes, written to the path).

Clients: the official SDK; aiospaces on ``Session()`` (the default, aiohttp) and on
``Session(backend="httpx")``; and, for the uploads, the limits: raw httpx and raw aiohttp
sending the same three requests as the SDKs (generate-upload-url, the presigned POST streaming
an open file, the file message; in the encrypted scenarios they send copies encrypted
beforehand) and ``AES alone`` (the files read and encrypted in 256 KiB pieces on aiospaces'
worker threads, nothing sent). A scenario's limit is the faster raw client, or AES alone when
it is slower; each SDK's MiB/s is also shown as a fraction of it. ``--plot PATH`` draws them.

Every figure is taken in a fresh Python process (this script with ``--child``): it imports
everything, creates its client and makes one small request of the same kind (a 64 KiB upload
or download) as a warm-up, runs ``gc.collect()``, resets the peak-RSS mark (``echo 5 >
/proc/self/clear_refs``), notes ``VmRSS``, runs the scenario once and reads ``VmHWM``: the
peak RSS growth is ``VmHWM`` minus that ``VmRSS``. The wall time covers the whole call (all
three requests of an upload), and MiB/s is plaintext MiB over it (summed over the concurrent
uploads). The client's and the server's CPU use over that window are recorded too. After each
run the parent checks that the server received every upload in full (and each downloaded file
is compared with the original).

Repetitions interleave the clients; each figure is the median of ``--repeat`` runs (default 5)
with its min..max spread, and ratios are ratios of medians measured in the same run. The
targets (aiospaces, default Session): encrypted 5 MiB upload ≤ 1 MiB peak growth and ≥ 2.5x
the official SDK's MiB/s; plain upload ≥ 0.9x raw httpx's MiB/s; 32 concurrent encrypted
uploads ≤ 16 MiB growth and ≥ 3x the official SDK's aggregate MiB/s; encrypted download to a
path ≤ 1 MiB growth.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
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
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: find the helpers

from _upload_clients import CIPHER_KEY, CLIENTS, encrypted_copy, open_client

if TYPE_CHECKING:
    from collections.abc import Iterator

MIB = 1024 * 1024
WARM_SIZE = 64 * 1024
MAX_UPLOAD = 64 * MIB
SINK_SCRIPT = Path(__file__).with_name("_upload_sink.py")
Figure = Literal["growth", "mib_s"]


@attrs.frozen
class Scenario:
    """One workload: which clients run it, encrypted or not, how many files at once."""

    title: str
    clients: tuple[str, ...]
    encrypted: bool
    kind: Literal["upload", "download"] = "upload"
    concurrent: bool = False


SDKS = ("official", "aiospaces", "aiospaces-httpx")
RAW = ("raw-httpx", "raw-aiohttp")
SCENARIOS: dict[str, Scenario] = {
    "enc1": Scenario("one {size} upload, ACRH-encrypted", ("aes", *RAW, *SDKS), True),
    "plain1": Scenario("one {size} upload, plain", (*RAW, *SDKS), False),
    "enc32": Scenario(
        "{n} concurrent {size} ACRH uploads", ("aes", *RAW, *SDKS), True, concurrent=True
    ),
    "download": Scenario("download {size} encrypted `.to_path()`", SDKS, True, "download"),
}


@attrs.frozen
class Row:
    """A line of the result table, with its target for aiospaces (if any)."""

    scenario: str
    figure: Figure
    #: "max": aiospaces' median at most ``bound`` MiB; "ratio": aiospaces over ``base`` at least.
    check: Literal["max", "ratio"] | None = None
    bound: float = 0.0
    base: str = "official"


ROWS = (
    Row("enc1", "growth", "max", 1.0),
    Row("enc1", "mib_s", "ratio", 2.5),
    Row("plain1", "mib_s", "ratio", 0.9, "raw-httpx"),
    Row("plain1", "growth"),
    Row("enc32", "growth", "max", 16.0),
    Row("enc32", "mib_s", "ratio", 3.0),
    Row("download", "growth", "max", 1.0),
    Row("download", "mib_s"),
)


# -- the child: one run of one client in a fresh process ---------------------------------------


def vm_status() -> dict[str, int]:
    """Return the ``Vm*`` lines of ``/proc/self/status`` in bytes."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name.startswith("Vm") and rest.strip().endswith("kB"):
            values[name] = int(rest.split()[0]) * 1024
    return values


def reset_peak() -> bool:
    """Reset this process's peak RSS mark (``VmHWM``) to its current RSS."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float | None:
    """Return the user+system CPU seconds of a process, or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(MIB):
            digest.update(block)
    return digest.hexdigest()


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, reset the peak RSS mark, run the scenario once; return the figures."""
    scenario = SCENARIOS[args.scenario]
    workdir = Path(args.workdir)
    count = args.concurrency if scenario.concurrent else 1
    paths = [workdir / f"big-{i:02}.bin" for i in range(count)]
    out = workdir / f"out-{os.getpid()}.bin"
    ids = dict(item.split("=", 1) for item in args.file_id or [])
    if args.child == "aes":
        return measure_aes(args, paths)
    async with open_client(args.child, args.port, encrypted=scenario.encrypted) as ops:
        if scenario.kind == "upload":
            await ops.upload(workdir / "warm.bin", "warm.bin")
        else:
            await ops.download(ids["warm.bin"], "warm.bin", out)
        gc.collect()
        was_reset = reset_peak()
        before = vm_status()["VmRSS"]
        server_before = cpu_seconds(args.server_pid)
        cpu_before = time.process_time()
        started = time.perf_counter()
        if scenario.kind == "download":
            await ops.download(ids["big.bin"], "big.bin", out)
        elif count == 1:
            await ops.upload(paths[0], paths[0].name)
        else:
            await asyncio.gather(*(ops.upload(path, path.name) for path in paths))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        server_after = cpu_seconds(args.server_pid)
        peak = vm_status()["VmHWM"]
    if scenario.kind == "download":
        matches = sha256(out) == sha256(paths[0])
        out.unlink()
        if not matches:
            raise RuntimeError(f"{args.child}: the downloaded file differs from the original")
    server_cpu = None
    if server_before is not None and server_after is not None:
        server_cpu = (server_after - server_before) / elapsed
    return {
        "client": args.child,
        "scenario": args.scenario,
        "files": count,
        "seconds": elapsed,
        "mib_s": count * args.size / MIB / elapsed,
        "rss_before_mib": before / MIB,
        "peak_mib": peak / MIB,
        "growth": (peak - before) / MIB,
        "peak_reset": was_reset,
        "client_cpu": cpu / elapsed,
        "server_cpu": server_cpu,
    }


def measure_aes(args: argparse.Namespace, paths: list[Path]) -> dict[str, Any]:
    """Read and encrypt the files as aiospaces does (pieces, its threads), sending nothing."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - child only

    from aiospaces.core.sources import READ_SIZE  # noqa: PLC0415 - child only
    from aiospaces.core.threads import BLOCKING_THREADS  # noqa: PLC0415 - child only
    from aiospaces.pubnub.crypto import CryptoModule  # noqa: PLC0415 - child only

    crypto = CryptoModule(CIPHER_KEY, default="aescbc")

    def encrypt(path: Path) -> int:
        encryptor, size = crypto.encryptor(), 0
        with path.open("rb") as file:
            while piece := file.read(READ_SIZE):
                size += len(encryptor.update(piece))
        return size + len(encryptor.finalize())

    encrypt(paths[0])  # warm-up: the page cache and the cipher
    gc.collect()
    was_reset = reset_peak()
    before = vm_status()["VmRSS"]
    cpu_before = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(min(BLOCKING_THREADS, len(paths))) as pool:
        sizes = list(pool.map(encrypt, paths))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    assert sizes == [crypto.encrypted_size(args.size)] * len(paths)  # noqa: S101 - a check
    return {
        "client": "aes",
        "scenario": args.scenario,
        "files": len(paths),
        "seconds": elapsed,
        "mib_s": len(paths) * args.size / MIB / elapsed,
        "rss_before_mib": before / MIB,
        "peak_mib": vm_status()["VmHWM"] / MIB,
        "growth": (vm_status()["VmHWM"] - before) / MIB,
        "peak_reset": was_reset,
        "client_cpu": cpu / elapsed,
        "server_cpu": None,
    }


# -- the parent: files, server, children, tables ---------------------------------------------


def write_random(path: Path, size: int) -> None:
    with path.open("wb") as file:
        for offset in range(0, size, MIB):
            file.write(os.urandom(min(MIB, size - offset)))


def prepare_files(workdir: Path, size: int, count: int) -> None:
    """Write the warm-up file, the ``count`` big files and (for the sink) encrypted copies."""
    from aiospaces.pubnub.crypto import CryptoModule  # noqa: PLC0415 - parent only

    write_random(workdir / "warm.bin", WARM_SIZE)
    for i in range(count):
        write_random(workdir / f"big-{i:02}.bin", size)
    crypto = CryptoModule(CIPHER_KEY, default="aescbc")
    for name, plain in (("warm", "warm.bin"), ("big", "big-00.bin")):
        (workdir / f"{name}.enc").write_bytes(crypto.encrypt((workdir / plain).read_bytes()))
    for i in range(count):  # what the raw clients send in the encrypted scenarios
        plain = workdir / f"big-{i:02}.bin"
        encrypted_copy(plain).write_bytes(crypto.encrypt(plain.read_bytes()))


def _post(url: str) -> None:
    request = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        response.read()


class Server:
    """The server process (emulator or sink): start, reset, check what it received."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self.storage = workdir / f"storage-{kind}"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        log = self.workdir / f"{self.kind}.log"
        if self.kind == "emulator":
            command = [
                sys.executable, "-m", "aiospaces.cli", "emulator", "serve", "--port", "0",
                "--storage-dir", str(self.storage), "--max-upload-size", str(MAX_UPLOAD),
            ]  # fmt: skip
        else:
            command = [
                sys.executable, str(SINK_SCRIPT), "--port", "0", "--watch-stdin",
                "--blob", f"warm.bin={self.workdir / 'warm.enc'}",
                "--blob", f"big.bin={self.workdir / 'big.enc'}",
            ]  # fmt: skip
        with log.open("wb") as sink:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
                command, stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"(?:PORT |http://127\.0\.0\.1:)(\d+)", log.read_text())
            if found:
                self.port = int(found.group(1))
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"the {self.kind} server did not start:\n{log.read_text()}")

    def __exit__(self, *exc_info: object) -> None:
        if self.proc is None:
            return
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

    def reset(self) -> None:
        path = "/_emulator/reset" if self.kind == "emulator" else "/_sink/reset"
        _post(f"http://127.0.0.1:{self.port}{path}")

    def received(self) -> tuple[int, int]:
        """Return how many uploads the server holds (emulator) or counted (sink), and bytes."""
        if self.kind == "sink":
            url = f"http://127.0.0.1:{self.port}/_sink/stats"
            with urllib.request.urlopen(url, timeout=30) as response:
                stats = json.loads(response.read())
            return int(stats["uploads"]), int(stats["bytes"])
        files = [p for p in self.storage.rglob("*") if p.is_file()]
        return len(files), sum(p.stat().st_size for p in files)

    def download_fixtures(self) -> list[str]:
        """Make ``warm.bin`` and ``big.bin`` (encrypted) downloadable; return ``name=id`` items."""
        if self.kind == "sink":
            return ["warm.bin=sink-warm", "big.bin=sink-big"]

        async def upload() -> list[str]:
            import aiospaces  # noqa: PLC0415 - parent only

            async with aiospaces.Session() as session:
                pn = session.pubnub(
                    subscribe_key="sub-c-bench", publish_key="pub-c-bench", user_id="bench",
                    origin=f"127.0.0.1:{self.port}", ssl=False, cipher_key=CIPHER_KEY,
                )  # fmt: skip
                items = []
                for name, source in (("warm.bin", "warm.bin"), ("big.bin", "big-00.bin")):
                    sent = await pn.send_file(
                        channel="bench-files", file_name=name, file_object=self.workdir / source
                    )
                    items.append(f"{name}={sent.file_id}")
                return items

        return asyncio.run(upload())


def run_child(
    server: Server, client: str, scenario: str, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    """Run one figure in a fresh process; check the server got every upload."""
    server.reset()
    extra: list[str] = []
    if SCENARIOS[scenario].kind == "download":
        for item in server.download_fixtures():
            extra += ["--file-id", item]
    command = [
        sys.executable, str(Path(__file__).resolve()), "--child", client, "--scenario", scenario,
        "--port", str(server.port), "--server-pid", str(server.pid), "--workdir", str(workdir),
        "--size", str(args.size), "--concurrency", str(args.concurrency), *extra,
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        command, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {client} {scenario} failed:\n{done.stderr}")
    sample: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if SCENARIOS[scenario].kind == "upload" and client != "aes":
        uploads, received = server.received()
        expected = sample["files"] + 1  # and the warm-up
        if uploads != expected or received < sample["files"] * args.size:
            raise RuntimeError(
                f"{client} {scenario}: the server got {uploads} uploads ({received} bytes), "
                f"expected {expected} of at least {args.size} bytes"
            )
    return sample


Results = dict[str, dict[str, list[dict[str, Any]]]]  # scenario -> client -> samples


def run_all(server: Server, args: argparse.Namespace, workdir: Path, started: float) -> Results:
    results: Results = {s: {c: [] for c in SCENARIOS[s].clients} for s in args.scenarios}
    total = args.repeat * sum(len(SCENARIOS[s].clients) for s in args.scenarios)
    done = 0
    for rep in range(args.repeat):
        for name in args.scenarios:
            clients = list(SCENARIOS[name].clients)
            order = clients[rep % len(clients) :] + clients[: rep % len(clients)]  # rotate
            for client in order:
                sample = run_child(server, client, name, args, workdir)
                results[name][client].append(sample)
                done += 1
                print(
                    f"[{done}/{total} {time.perf_counter() - started:4.0f}s] {server.kind} "
                    f"rep {rep + 1} {name:8} {CLIENTS[client]:15} {sample['mib_s']:7.1f} MiB/s "
                    f"growth {sample['growth']:6.2f} MiB",
                    file=sys.stderr,
                    flush=True,
                )
    return results


def _median(samples: list[dict[str, Any]], figure: str) -> float:
    return float(statistics.median(s[figure] for s in samples))


def _fmt(value: float, figure: Figure) -> str:
    return f"{value:,.2f}" if figure == "growth" else f"{value:,.0f}"


def _title(name: str, args: argparse.Namespace) -> str:
    size = f"{args.size / MIB:g} MiB"
    return SCENARIOS[name].title.format(size=size, n=args.concurrency)


def limit_of(medians: dict[str, float], figure: Figure) -> float | None:
    """Return the scenario's limit: the best raw client, or AES alone when it is slower."""
    if figure != "mib_s":
        return None
    raw = [medians[c] for c in RAW if c in medians]
    if not raw:
        return None
    return min(max(raw), medians["aes"]) if "aes" in medians else max(raw)


def render(
    results: Results, args: argparse.Namespace, server: str
) -> tuple[str, list[dict[str, Any]]]:
    """Return the markdown tables of one server's results and the summary rows."""
    shown = ("aes", *RAW, "official", "aiospaces", "aiospaces-httpx")
    lines = [
        f"Server: {server}. Median of {args.repeat} runs per figure, each in a fresh process; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs. The limit is the best raw "
        "client (the same requests, the files encrypted beforehand), or AES alone if slower.",
        "",
        "| scenario | " + " | ".join(CLIENTS[c] for c in shown) + " | limit "
        "| official / limit | aiospaces / limit | aiospaces (httpx) / limit "
        "| aiospaces / official | target | met |",
        "|---|" + "---:|" * (len(shown) + 5) + "---|---|",
    ]
    rows: list[dict[str, Any]] = []
    for row in ROWS:
        if row.scenario not in results:
            continue
        by_client = results[row.scenario]
        medians = {c: _median(s, row.figure) for c, s in by_client.items()}
        if row.figure == "growth":
            medians = {c: v for c, v in medians.items() if c != "aes"}
        unit = "peak RSS growth (MiB)" if row.figure == "growth" else "MiB/s"
        cells = [_fmt(medians[c], row.figure) if c in medians else "—" for c in shown]
        limit = limit_of(medians, row.figure)
        fractions = {
            c: medians[c] / limit for c in SDKS if limit and c in medians
        }  # each figure as a fraction of its limit
        ratios: dict[str, float] = {}
        for base in ("official", *RAW):
            if base in medians and medians[base] > 0:
                ratios[base] = medians["aiospaces"] / medians[base]
        met: bool | None = None
        goal = "—"
        if row.check == "max":
            met, goal = medians["aiospaces"] <= row.bound, f"≤ {row.bound:g} MiB"
        elif row.check == "ratio":
            met = ratios.get(row.base, 0.0) >= row.bound
            goal = f"≥ {row.bound:g}x {CLIENTS[row.base]}"
        fraction_cells = [f"{fractions[c]:.0%}" if c in fractions else "—" for c in SDKS]
        verdict = "—" if met is None else ("yes" if met else "**NO**")
        official = f"{ratios['official']:.2f}x" if "official" in ratios else "—"
        lines.append(
            f"| {_title(row.scenario, args)}: {unit} | " + " | ".join(cells)
            + f" | {'—' if limit is None else _fmt(limit, row.figure)} | "
            + " | ".join(fraction_cells) + f" | {official} | {goal} | {verdict} |"
        )  # fmt: skip
        rows.append(
            {
                "scenario": row.scenario,
                "figure": row.figure,
                "medians": medians,
                "limit": limit,
                "fractions": fractions,
                "ratios": ratios,
                "target": None if row.check is None else goal,
                "met": met,
            }
        )
    lines += [
        "",
        "| scenario | client | MiB/s median (min..max) | peak RSS growth MiB median (min..max) "
        "| CPU client / server |",
        "|---|---|---:|---:|---:|",
    ]
    for name, by_client in results.items():
        for client, samples in by_client.items():
            speed = [s["mib_s"] for s in samples]
            growth = [s["growth"] for s in samples]
            server_cpu = [s["server_cpu"] for s in samples if s["server_cpu"] is not None]
            cpu = f"{100 * _median(samples, 'client_cpu'):.0f}% / " + (
                f"{100 * statistics.median(server_cpu):.0f}%" if server_cpu else "n/a"
            )
            lines.append(
                f"| {_title(name, args)} | {CLIENTS[client]} "
                f"| {statistics.median(speed):,.0f} ({min(speed):,.0f}..{max(speed):,.0f}) "
                f"| {statistics.median(growth):.2f} ({min(growth):.2f}..{max(growth):.2f}) "
                f"| {cpu} |"
            )
    if not all(s["peak_reset"] for c in results.values() for ss in c.values() for s in ss):
        lines.append("\nWARNING: /proc/self/clear_refs was refused: growth counts from start.")
    return "\n".join(lines), rows


def plot(results: Results, args: argparse.Namespace, server: str, path: Path) -> None:
    """Write a PNG: MiB/s per client and scenario, the limit as a line, SDKs as % of it."""
    import matplotlib  # noqa: PLC0415 - a dev dependency, needed only with --plot

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = [n for n in args.scenarios if n in results]
    fig, axes = plt.subplots(len(names), 1, figsize=(8, 1.2 + 1.9 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        medians = {c: _median(s, "mib_s") for c, s in results[name].items()}
        order = [c for c in CLIENTS if c in medians]
        limit = limit_of(medians, "mib_s")
        colors = ["#b0b0b0" if c == "aes" or c in RAW else "#4c72b0" for c in order]
        colors = [
            "#dd8452" if c == "official" else col for c, col in zip(order, colors, strict=True)
        ]
        ax.barh([CLIENTS[c] for c in order], [medians[c] for c in order], color=colors)
        ax.invert_yaxis()
        if limit:
            ax.axvline(limit, color="black", linestyle="--", linewidth=1)
            for i, c in enumerate(order):
                if c in SDKS:
                    ax.text(medians[c], i, f" {medians[c] / limit:.0%} of limit", va="center")
        ax.set_title(_title(name, args) + f" ({server}; dashed: limit)", fontsize=10)
        ax.set_xlabel("MiB/s (median)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _versions() -> dict[str, str]:
    found = {}
    for dist in ("aiospaces", "pubnub", "httpx", "httpcore", "anyio", "cryptography"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    return found


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as name:
        yield Path(name)


DEFAULT_REPEAT = 5
DEFAULT_SIZE_MIB = 5.0
DEFAULT_CONCURRENCY = 32
QUICK_SIZE_MIB = 1.0
QUICK_CONCURRENCY = 4


def run_parent(args: argparse.Namespace) -> None:
    if not Path("/proc/self/status").exists():
        sys.exit("needs Linux /proc")
    servers = ["emulator", "sink"] if args.server == "both" else [args.server]
    started = time.perf_counter()
    documents: dict[str, Any] = {}
    with _workdir() as workdir:
        prepare_files(workdir, args.size, args.concurrency)
        for index, kind in enumerate(servers):
            with Server(kind, workdir) as server:
                results = run_all(server, args, workdir, started)
            report, rows = render(results, args, kind)
            print(("\n" if index else "") + report, flush=True)
            if args.plot:
                target = Path(args.plot)
                if len(servers) > 1:
                    target = target.with_name(f"{target.stem}-{kind}{target.suffix}")
                plot(results, args, kind, target)
                print(f"(plot: {target})", flush=True)
            documents[kind] = {"samples": results, "rows": rows}
    print(f"\n(total {time.perf_counter() - started:.0f}s)")
    if args.json:
        document = {
            "settings": {
                "size": args.size,
                "concurrency": args.concurrency,
                "repeat": args.repeat,
                "scenarios": args.scenarios,
                "servers": servers,
            },
            "environment": {
                "python": sys.version,
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "versions": _versions(),
            },
            "servers": documents,
        }
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description="PubNub file uploads/downloads: aiospaces vs the official SDK vs raw httpx."
    )
    parser.add_argument("--repeat", type=int, help=f"runs per figure (default {DEFAULT_REPEAT})")
    parser.add_argument(
        "--size-mib", type=float, help=f"file size in MiB (default {DEFAULT_SIZE_MIB:g})"
    )
    parser.add_argument(
        "--concurrency", type=int, help=f"uploads at once in enc32 (default {DEFAULT_CONCURRENCY})"
    )
    parser.add_argument(
        "--server",
        choices=["emulator", "sink", "both"],
        default="emulator",
        help="the aiospaces emulator (default), a discarding sink, or each in turn",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        dest="scenarios",
        help="run only this scenario (repeatable; default all)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: 1 run per figure, {QUICK_SIZE_MIB:g} MiB files, "
        f"{QUICK_CONCURRENCY} concurrent uploads",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the raw numbers to PATH")
    parser.add_argument(
        "--plot", metavar="PATH", help="also draw the MiB/s figures to PATH (PNG; needs matplotlib)"
    )
    child = parser.add_argument_group("internal (one run in a child process)")
    child.add_argument("--child", choices=list(CLIENTS), help=argparse.SUPPRESS)
    child.add_argument("--port", type=int, help=argparse.SUPPRESS)
    child.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    child.add_argument("--workdir", help=argparse.SUPPRESS)
    child.add_argument("--size", type=int, help=argparse.SUPPRESS)
    child.add_argument("--file-id", action="append", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.scenario = args.scenarios[0]
        print(json.dumps(asyncio.run(measure(args))))
        return
    args.repeat = args.repeat or (1 if args.quick else DEFAULT_REPEAT)
    size_mib = args.size_mib or (QUICK_SIZE_MIB if args.quick else DEFAULT_SIZE_MIB)
    args.size = int(size_mib * MIB)
    args.concurrency = args.concurrency or (
        QUICK_CONCURRENCY if args.quick else DEFAULT_CONCURRENCY
    )
    args.scenarios = args.scenarios or list(SCENARIOS)
    if args.repeat < 1 or args.size < 1 or args.concurrency < 1:
        parser.error("--repeat, --size-mib and --concurrency must be positive")
    if args.size > MAX_UPLOAD // 2:
        parser.error(f"--size-mib must be at most {MAX_UPLOAD // MIB // 2}")
    run_parent(args)


if __name__ == "__main__":
    main()
