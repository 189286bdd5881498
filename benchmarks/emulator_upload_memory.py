"""Server memory of a large presigned-POST upload to the emulator's storage (Linux only).

Run it from the repository root:

    .venv/bin/python benchmarks/emulator_upload_memory.py                  # 50 MiB, median of 3
    .venv/bin/python benchmarks/emulator_upload_memory.py --size-mib 200 --repeat 5

What it measures: a Starlette app holding only the routes of
``Storage(directory=<temp dir>, max_size=64 MiB)`` is served by uvicorn in a separate process
(this script with ``--serve``) on a free port of 127.0.0.1. The parent presigns an upload (same
secret), then posts a file of ``--size-mib`` MiB as a *streamed* multipart body: an async
generator yields the form fields (in the presigned order, built by hand) and then the file in
64 KiB chunks read from disk, with the exact ``Content-Length`` computed up front.

For every repetition a fresh server process first takes a small warm-up upload; its resident
set (``VmRSS`` in ``/proc/<pid>/status``) is then the baseline, and its peak-RSS mark is reset
(``echo 5 > /proc/<pid>/clear_refs``, where permitted). After the large upload, the server's
peak RSS (``VmHWM``) minus that baseline is the memory the upload cost. The upload's wall time
and throughput are reported too, and the stored object is downloaded (streamed) to check its
MD5 against the upload's ``ETag`` (timed separately). The table shows each run and the median;
the target is a growth under ~5 MiB whatever the file's size, since the storage streams to
disk. ``--in-memory`` is the control: the same run with the object kept in memory, where the
growth must come out at about the file's size.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

MIB = 1024 * 1024
CHUNK = 64 * 1024
MAX_SIZE = 64 * MIB
CONTENT_TYPE = "application/octet-stream"


# -- server side (child process) ------------------------------------------------------------


def serve(directory: Path | None, secret: bytes) -> None:
    import uvicorn  # noqa: PLC0415 - only the child needs it
    from starlette.applications import Starlette  # noqa: PLC0415

    from aiospaces.emulator.s3.store import Storage  # noqa: PLC0415

    storage = Storage(secret=secret, max_size=MAX_SIZE, directory=directory)
    app = Starlette(routes=storage.routes())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


# -- client side (parent) -------------------------------------------------------------------


@contextmanager
def server(directory: Path | None, secret: bytes) -> Iterator[tuple[int, str]]:
    """Start the storage server in its own process; yield its pid and base URL."""
    where = "memory" if directory is None else str(directory)
    command = [sys.executable, __file__, "--serve", where, "--secret", secret.hex()]
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        command, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None  # noqa: S101 - stdout=PIPE
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"server did not start: {line!r}")
        yield proc.pid, f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def proc_status(pid: int) -> dict[str, int]:
    """Return the ``Vm*`` lines of ``/proc/<pid>/status`` in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name.startswith("Vm") and rest.strip().endswith("kB"):
            values[name] = int(rest.split()[0]) * 1024
    return values


def reset_peak(pid: int) -> bool:
    """Reset the process's peak RSS mark to its current RSS; return whether it worked."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def make_file(path: Path, size: int) -> str:
    """Write ``size`` pseudo-random bytes to ``path``; return their MD5."""
    md5 = hashlib.md5(usedforsecurity=False)
    block = os.urandom(MIB)
    with path.open("wb") as file:
        written = 0
        while written < size:
            piece = block[: min(MIB, size - written)]
            piece = written.to_bytes(8, "big") + piece[8:] if len(piece) > 8 else piece
            md5.update(piece)
            file.write(piece)
            written += len(piece)
    return md5.hexdigest()


def multipart_frame(fields: list[dict[str, str]], filename: str) -> tuple[str, bytes, bytes]:
    """Return the boundary, the bytes before the file's content and the bytes after it."""
    boundary = uuid.uuid4().hex
    head = b""
    for field in fields:
        head += (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field["key"]}"\r\n\r\n'
            f"{field['value']}\r\n"
        ).encode()
    head += (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {CONTENT_TYPE}\r\n\r\n"
    ).encode()
    return boundary, head, f"\r\n--{boundary}--\r\n".encode()


async def upload(
    client: httpx.AsyncClient, base_url: str, secret: bytes, path: Path
) -> tuple[str, float, float]:
    """Stream ``path`` as a presigned POST, then download it and check its MD5.

    Returns:
        The ``ETag`` (without quotes), the upload's seconds and the download's seconds.
    """
    from aiospaces.emulator.s3.store import Storage  # noqa: PLC0415

    storage = Storage(secret=secret, max_size=MAX_SIZE)  # same secret: same signatures
    key = f"bench/{uuid.uuid4()}/{path.name}"
    presigned = storage.presign_upload(key, content_type=CONTENT_TYPE, base_url=base_url)
    boundary, head, tail = multipart_frame(presigned["form_fields"], path.name)
    size = (await anyio.Path(path).stat()).st_size

    async def body() -> AsyncIterator[bytes]:
        yield head
        async with await anyio.open_file(path, "rb") as file:
            while chunk := await file.read(CHUNK):
                yield chunk
        yield tail

    started = time.perf_counter()
    response = await client.post(
        presigned["url"],
        content=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
        },
    )
    if response.status_code != 204:
        raise RuntimeError(f"upload failed: {response.status_code} {response.text}")
    uploaded = time.perf_counter()
    download_url = storage.presign_download(key, base_url=base_url)
    md5 = hashlib.md5(usedforsecurity=False)
    async with client.stream("GET", download_url) as download:
        async for chunk in download.aiter_bytes():
            md5.update(chunk)
    etag = response.headers["etag"].strip('"')
    if md5.hexdigest() != etag:
        raise RuntimeError("downloaded bytes do not match the upload's ETag")
    return etag, uploaded - started, time.perf_counter() - uploaded


async def run_once(size: int, workdir: Path, *, in_memory: bool) -> dict[str, Any]:
    secret = secrets.token_bytes(32)
    small, big = workdir / "warmup.bin", workdir / "upload.bin"
    if not small.exists():
        make_file(small, 256 * 1024)
    expected = make_file(big, size) if not big.exists() else None
    with (
        tempfile.TemporaryDirectory(prefix="storage-") as store,
        server(None if in_memory else Path(store), secret) as (pid, base_url),
    ):
        async with httpx.AsyncClient(timeout=300) as client:
            await upload(client, base_url, secret, small)
            await asyncio.sleep(0.2)
            baseline = proc_status(pid)["VmRSS"]
            was_reset = reset_peak(pid)
            etag, elapsed, download = await upload(client, base_url, secret, big)
            peak = proc_status(pid)["VmHWM"]
    if expected is not None and etag != expected:
        raise RuntimeError("the ETag is not the file's MD5")
    return {
        "seconds": elapsed,
        "mib_s": size / MIB / elapsed,
        "download": download,
        "baseline": baseline / MIB,
        "peak": peak / MIB,
        "growth": (peak - baseline) / MIB,
        "reset": was_reset,
    }


def table(size_mib: float, runs: list[dict[str, Any]], *, in_memory: bool) -> str:
    header = (
        "| run | upload (s) | upload MiB/s | download (s) | RSS after warm-up (MiB) "
        "| peak RSS (MiB) | growth (MiB) |\n|---|---:|---:|---:|---:|---:|---:|\n"
    )

    def row(name: str, r: dict[str, Any]) -> str:
        return (
            f"| {name} | {r['seconds']:.2f} | {r['mib_s']:.0f} | {r['download']:.2f} "
            f"| {r['baseline']:.1f} | {r['peak']:.1f} | {r['growth']:.2f} |"
        )

    rows = [row(str(i), r) for i, r in enumerate(runs, 1)]
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "reset"}
    rows.append(row("**median**", median))
    reset = "reset after warm-up" if all(r["reset"] for r in runs) else "NOT reset (since start)"
    title = (
        f"Storage upload of {size_mib:g} MiB, {'kept in memory' if in_memory else 'to disk'} "
        f"(Python {platform.python_version()}, peak RSS {reset})\n\n"
    )
    return title + header + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=float, default=50.0, help="file size (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="control run: keep the object in memory (growth should then be about the size)",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--secret", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(None if args.serve == "memory" else Path(args.serve), bytes.fromhex(args.secret))
        return
    if not Path("/proc/self/status").exists():
        sys.exit("needs Linux /proc")
    size = int(args.size_mib * MIB)
    if size > MAX_SIZE:
        sys.exit(f"--size-mib must be at most {MAX_SIZE // MIB}")
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as workdir:
        runs = [
            asyncio.run(run_once(size, Path(workdir), in_memory=args.in_memory))
            for _ in range(args.repeat)
        ]
    print(table(args.size_mib, runs, in_memory=args.in_memory))


if __name__ == "__main__":
    main()
