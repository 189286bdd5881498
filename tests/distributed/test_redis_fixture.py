"""The redis-server fixture: a real server; without one, a skip that says how to get it, or a
failure where ``AIOSPACES_REQUIRE_SERVICES`` is set (CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.services import REQUIRE_SERVICES

ROOT = Path(__file__).parents[2]


@pytest.mark.redis
def test_the_server_answers_and_starts_empty(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.dbsize() == 0
        client.set("k", "v")
        assert client.get("k") == b"v"
    finally:
        client.close()


@pytest.mark.parametrize(("required", "outcome"), [("", "1 skipped"), ("1", "1 error")])
def test_without_redis_server_the_tests_skip_unless_ci_requires_them(
    tmp_path: Path, required: str, outcome: str
) -> None:
    env = {**os.environ, "PATH": str(tmp_path), REQUIRE_SERVICES: required}
    test = "tests/distributed/test_redis_fixture.py::test_the_server_answers_and_starts_empty"
    run = subprocess.run(  # noqa: S603 - our own interpreter and tests
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert outcome in run.stdout, run.stdout
    assert "redis-server not found" in run.stdout
    assert "apt-get install redis-server" in run.stdout
    assert ("AIOSPACES_REQUIRE_SERVICES is set" in run.stdout) == bool(required)
    assert run.returncode == (1 if required else 0)
