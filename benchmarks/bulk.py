"""Bulk uploads of many small encrypted files: files/s and peak RSS, one process vs taskiq workers.

Run it from the repository root (Linux only: it reads ``/proc``; the worker rows need
``redis-server`` on the PATH):

    .venv/bin/python benchmarks/bulk.py                    # 1,000 files, 5 runs per row
    .venv/bin/python benchmarks/bulk.py --server emulator --json bulk.json
    .venv/bin/python benchmarks/bulk.py --quick            # smoke run, under a minute

``--files`` (1,000) random files of ``--file-size`` bytes (1 KiB) are uploaded ACRH-encrypted
(a cipher key, ``AesCbcCryptoModule`` / ``crypto="aescbc"``) to one channel, ``--concurrency``
(32) at a time, by each row:

* ``official``: the official ``pubnub`` SDK, one ``send_file`` per file under an
  ``asyncio.Semaphore(32)``;
* ``httpx``, ``aiohttp``: ``pn.upload_files(channel, paths, concurrency=32)`` in one process,
  on ``Session()`` / ``Session(backend="aiohttp")``; ``+journal``: with ``journal=PATH`` (a new
  SQLite journal each run);
* ``workers-1``, ``workers-2``, ``workers-4``: ``aiospaces files enqueue``'s enqueue of the
  job, and ``taskiq worker aiospaces.distributed.worker:broker --workers N --max-async-tasks
  16``, each worker process with the default ``AIOSPACES_CONCURRENCY`` (8 files at once, as
  ``upload_files``), against a ``redis-server`` this script starts on a free port. The time runs
  from the start of the enqueue until a poll of the job's journal in Redis (every 20 ms) sees
  every file announced; each worker's log tells how many files it uploaded.

The server runs in a process of its own on 127.0.0.1, the same one for every row, and so does
Redis; both share the machine's cores with the clients, and their CPU use is reported beside
each figure. ``--server sink`` (the default) is ``benchmarks/_upload_sink.py``, a stdlib server
answering the three requests of an upload (generate-upload-url, the presigned POST, whose body
it counts and discards, and the file message) at little CPU cost, so that the figures are the
clients'; ``--server emulator`` is ``aiospaces emulator serve`` (uvicorn), which parses,
stores and indexes every upload and file message and costs the machine far more per file.

Every run is a fresh process (the workers too): it warms its client up with 32 other files at
the same concurrency (the workers: a warm-up job of those 32 files), resets the peak-RSS mark
of each measuring process (``echo 5 > /proc/PID/clear_refs``) and notes its RSS, runs the job
once and reads ``VmHWM``: peak RSS growth is ``VmHWM`` minus that RSS (for the worker rows,
that of the worker process that grew most). Rows are interleaved within each repetition; each
figure is the median of ``--repeat`` runs (``--worker-repeat`` for the worker rows) with its
min..max, and ratios are ratios of medians of the same run. After each run the parent checks
that the server received every upload. Goals: the journal costs at most 10 % of the files/s
of the same backend without it; 2 worker processes reach at least 1.6x the files/s of one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: find the helpers

from _bulk_common import CIPHER_KEY
from _bulk_report import ROWS, plot, render, versions

if TYPE_CHECKING:
    from collections.abc import Iterator

WARM_FILES = 32
DEFAULT_REPEAT = 5
DEFAULT_FILES = 1000
DEFAULT_FILE_SIZE = 1024
DEFAULT_CONCURRENCY = 32
DEFAULT_MAX_ASYNC_TASKS = 16
QUICK_FILES = 200


# -- the child: one run of one row in a fresh process -------------------------------------------


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(args.workdir)
    files = sorted((workdir / "files").iterdir())
    warm = sorted((workdir / "warm").iterdir())
    if args.child.startswith("workers-"):
        import _bulk_workers  # noqa: PLC0415 - the distributed extra, worker rows only

        count = int(args.child.split("-")[1])
        redis = (args.redis_url, args.redis_pid)
        return asyncio.run(
            _bulk_workers.measure(
                count, args.port, args.server_pid, *redis, files, warm, args.max_async_tasks
            )
        )
    import _bulk_inproc  # noqa: PLC0415 - the in-process rows

    _bulk_inproc.ENCRYPTED_FOLDER = workdir / "encrypted"
    measure = _bulk_inproc.measure
    return asyncio.run(
        measure(args.child, args.port, args.server_pid, args.concurrency, files, warm)
    )


# -- the parent: files, servers, children, tables ---------------------------------------------


def prepare_files(workdir: Path, count: int, size: int) -> None:
    """Write ``count`` random files of ``size`` bytes, and the warm-up files."""
    for folder, n in (("files", count), ("warm", WARM_FILES)):
        (workdir / folder).mkdir()
        for i in range(n):
            (workdir / folder / f"{folder}-{i:05}.bin").write_bytes(os.urandom(size))
    for name in ("warm.enc", "big.enc"):  # the sink serves these downloads; unused here
        (workdir / name).write_bytes(b"")
    from aiospaces.pubnub.crypto import CryptoModule  # noqa: PLC0415 - parent only

    crypto = CryptoModule(CIPHER_KEY, default="aescbc")
    (workdir / "encrypted").mkdir()  # what the raw client sends: the files, encrypted
    for folder in ("files", "warm"):
        for path in sorted((workdir / folder).glob("*.bin")):
            encrypted = workdir / "encrypted" / path.with_suffix(".enc").name
            encrypted.write_bytes(crypto.encrypt(path.read_bytes()))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[tuple[str, int]]:
    """Run ``redis-server`` on a free loopback port (no persistence); yield its URL and pid."""
    import redis  # noqa: PLC0415 - only with worker rows

    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("the worker rows need redis-server (Debian: apt-get install redis-server)")
    port = _free_port()
    options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir)]
    options += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
    with (workdir / "redis.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - the redis-server found on the PATH
            [binary, *options], stdout=log, stderr=subprocess.STDOUT
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_one(
    server: Any, row: str, args: argparse.Namespace, workdir: Path, redis: tuple[str, int] | None
) -> dict[str, Any]:
    """Run one row in a fresh process; check the server got every upload."""
    server.reset()
    command = [
        sys.executable, str(Path(__file__).resolve()), "--child", row, "--port", str(server.port),
        "--server-pid", str(server.pid), "--workdir", str(workdir),
        "--concurrency", str(args.concurrency), "--max-async-tasks", str(args.max_async_tasks),
    ]  # fmt: skip
    if redis is not None:
        command += ["--redis-url", redis[0], "--redis-pid", str(redis[1])]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        command, capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"row {row} failed:\n{done.stderr[-5000:]}")
    sample: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    uploads, _ = server.received()
    expected = 0 if row == "aes" else args.files + WARM_FILES
    if uploads != expected:
        raise RuntimeError(f"{row}: the server got {uploads} uploads, expected {expected}")
    return sample


Results = dict[str, list[dict[str, Any]]]  # row -> samples


def run_all(args: argparse.Namespace, workdir: Path, started: float) -> Results:
    from upload import Server  # noqa: PLC0415 - the server process of benchmarks/upload.py

    results: Results = {row: [] for row in args.rows}
    workers = [row for row in args.rows if row.startswith("workers-")]
    plan = [
        (rep, [r for r in args.rows if rep < (args.worker_repeat if r in workers else args.repeat)])
        for rep in range(max(args.repeat, args.worker_repeat if workers else 0))
    ]
    total = sum(len(rows) for _, rows in plan)
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(Server(args.server, workdir))
        redis = stack.enter_context(redis_server(workdir)) if workers else None
        count = 0
        for rep, rows in plan:
            order = rows[rep % len(rows) :] + rows[: rep % len(rows)]  # rotate
            for row in order:
                sample = run_one(server, row, args, workdir, redis)
                results[row].append(sample)
                count += 1
                print(
                    f"[{count}/{total} {time.perf_counter() - started:4.0f}s] rep {rep + 1} "
                    f"{row:16} {sample['files_s']:7.1f} files/s growth {sample['growth']:6.2f} MiB"
                    + (f" files by worker {sample['files_by_worker']}" if row in workers else ""),
                    file=sys.stderr,
                    flush=True,
                )
    return results


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bulk-bench-") as name:
        yield Path(name)


def run_parent(args: argparse.Namespace) -> None:
    if not Path("/proc/self/status").exists():
        sys.exit("needs Linux /proc")
    started = time.perf_counter()
    with _workdir() as workdir:
        prepare_files(workdir, args.files, args.file_size)
        results = run_all(args, workdir, started)
    report, summary = render(results, args)
    print(report)
    if args.plot:
        plot(results, args, args.plot)
        print(f"(plot: {args.plot})")
    print(f"\n(total {time.perf_counter() - started:.0f}s)")
    if args.json:
        document = {
            "settings": {
                name: getattr(args, name)
                for name in ("files", "file_size", "concurrency", "repeat", "worker_repeat")
            }
            | {"server": args.server, "rows": args.rows, "max_async_tasks": args.max_async_tasks},
            "environment": {
                "python": sys.version,
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "versions": versions(),
            },
            "samples": results,
            "summary": summary,
        }
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Many small encrypted files: the official SDK, aiospaces, taskiq workers."
    )
    parser.add_argument("--repeat", type=int, help=f"runs per row (default {DEFAULT_REPEAT})")
    parser.add_argument("--worker-repeat", type=int, help="runs per worker row (default: --repeat)")
    parser.add_argument("--files", type=int, help=f"files per job (default {DEFAULT_FILES})")
    parser.add_argument(
        "--file-size", type=int, default=DEFAULT_FILE_SIZE, help="bytes per file (default 1024)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="files at once (default 32)"
    )
    parser.add_argument(
        "--max-async-tasks",
        type=int,
        default=DEFAULT_MAX_ASYNC_TASKS,
        help="taskiq's --max-async-tasks of each worker process (default 16)",
    )
    parser.add_argument(
        "--server",
        choices=["sink", "emulator"],
        default="sink",
        help="a stdlib server that discards uploads (default), or the aiospaces emulator",
    )
    parser.add_argument(
        "--row", action="append", choices=list(ROWS), dest="rows", help="only this row (repeatable)"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke run: 1 run per row of {QUICK_FILES} files"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the raw numbers to PATH")
    parser.add_argument("--plot", metavar="PATH", help="also draw files/s to PATH (PNG)")
    child = parser.add_argument_group("internal (one run in a child process)")
    child.add_argument("--child", choices=list(ROWS), help=argparse.SUPPRESS)
    child.add_argument("--port", type=int, help=argparse.SUPPRESS)
    child.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    child.add_argument("--redis-url", help=argparse.SUPPRESS)
    child.add_argument("--redis-pid", type=int, help=argparse.SUPPRESS)
    child.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return
    args.repeat = args.repeat or (1 if args.quick else DEFAULT_REPEAT)
    args.worker_repeat = args.worker_repeat or args.repeat
    args.files = args.files or (QUICK_FILES if args.quick else DEFAULT_FILES)
    args.rows = args.rows or list(ROWS)
    if min(args.repeat, args.worker_repeat, args.files, args.file_size, args.concurrency) < 1:
        parser.error("--repeat, --files, --file-size and --concurrency must be positive")
    run_parent(args)


if __name__ == "__main__":
    main()
