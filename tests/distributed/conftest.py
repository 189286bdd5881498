"""A real ``redis-server`` for the distributed tests, started on a free loopback port.

Without ``redis-server`` on the PATH the tests that need it are skipped with a message saying
how to get it, unless ``AIOSPACES_REQUIRE_SERVICES`` is set (CI sets it): then they fail, so a
run can never pass by skipping them.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.services import REQUIRE_SERVICES, services_required


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start redis-server on a free port; return the process and its URL once it answers."""
    for _ in range(5):  # another process may take the free port before redis binds it
        port = _free_port()
        log = (workdir / f"redis-{port}.log").open("wb")
        options = {"bind": "127.0.0.1", "port": str(port), "dir": str(workdir), "save": ""}
        options |= {"appendonly": "no", "daemonize": "no"}
        process = subprocess.Popen(  # noqa: S603 - the redis-server found on the PATH
            [binary, *(item for name, value in options.items() for item in (f"--{name}", value))],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        try:
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    if client.ping():
                        return process, url
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        _stop(process)
    raise RuntimeError(f"redis-server did not start; see the logs in {workdir}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run one ``redis-server`` for the whole test run; yield its URL (``redis://…/0``)."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = (
            "redis-server not found: install it to run the Redis tests "
            "(Debian/Ubuntu: apt-get install redis-server)"
        )
        if services_required():
            pytest.fail(f"{message}; {REQUIRE_SERVICES} is set, so this is a failure")
        pytest.skip(message)
    process, url = _start(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        _stop(process)


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """Yield the URL of an emptied Redis database (the server is shared by the run)."""
    client = redis.Redis.from_url(redis_server)
    try:
        client.flushall()
        yield redis_server
    finally:
        client.close()
