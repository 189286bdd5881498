"""``aiospaces files upload`` against a served emulator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiospaces.cli import app
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.crypto import CryptoModule
from tests.cli.child import CliProcess

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = []
    for i in range(5):
        path = tmp_path / f"doc-{i}.bin"
        path.write_bytes(os.urandom(10_000 * (i + 1)))
        paths.append(path)
    return paths


def _args(url: str) -> list[str]:
    origin = url.split("://", 1)[1]
    return ["--subscribe-key", "sub-c-cli", "--publish-key", "pub-c-cli", "--user-id", "cli",
            "--origin", origin, "--no-ssl"]  # fmt: skip


def test_upload_reports_every_file(
    emulator: Emulator, emulator_url: str, files: list[Path]
) -> None:
    command = ["files", "upload", *map(str, files), "--channel", "docs", "--concurrency", "2"]
    result = runner.invoke(app, [*command, *_args(emulator_url)])
    assert result.exit_code == 0, result.output
    assert "uploaded 5 of 5 files" in result.output
    stored = sorted(s.key.rsplit("/", 1)[-1] for s in emulator.storage.list(""))
    assert stored == sorted(p.name for p in files)


def test_upload_encrypts_with_a_cipher_key(
    emulator: Emulator, emulator_url: str, files: list[Path]
) -> None:
    command = ["files", "upload", str(files[0]), "--channel", "docs", "--cipher-key", "k"]
    result = runner.invoke(app, [*command, *_args(emulator_url)])
    assert result.exit_code == 0, result.output
    assert "uploaded 1 of 1 files" in result.output
    (stored,) = emulator.storage.list("")
    assert stored.size == CryptoModule("k").encrypted_size(files[0].stat().st_size)


def test_failed_files_make_the_command_fail(
    emulator_url: str, files: list[Path], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.bin"
    command = ["files", "upload", str(files[0]), str(missing), "--channel", "docs"]
    result = runner.invoke(app, [*command, *_args(emulator_url)])
    assert result.exit_code == 1
    assert "uploaded 1 of 2 files" in result.output
    assert "failed in prepare" in result.output


def test_missing_keys_are_a_usage_error(files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBNUB_SUBSCRIBE_KEY", raising=False)
    monkeypatch.delenv("PUBNUB_USER_ID", raising=False)
    result = runner.invoke(app, ["files", "upload", str(files[0]), "--channel", "docs"])
    assert result.exit_code == 2
    assert "subscribe_key" in result.output


def test_ctrl_c_prints_what_finished(
    emulator: Emulator, emulator_url: str, files: list[Path]
) -> None:
    # Deterministic whatever the machine's load: the first two storage uploads pass, every
    # later one is held for far longer than the test may run. With two files at a time, two
    # files finish, both slots then hold a file at storage, and one file never starts, in any
    # interleaving. SIGINT is sent only once the emulator has seen exactly that.
    passed = emulator.faults.add(Fault(method="POST", path="/_storage/*", times=2))
    held = emulator.faults.add(Fault(method="POST", path="/_storage/*", delay=600))
    announced = emulator.faults.add(Fault(method="GET", path="/v1/files/publish-file/*"))
    command = ["files", "upload", *map(str, files), "--channel", "docs", "--concurrency", "2",
               "--verbose", *_args(emulator_url)]  # fmt: skip
    with CliProcess(*command) as cli:
        cli.wait_until(
            lambda: held.fired == 2 and announced.fired == 2,
            "two files finished and two held at storage",
            timeout=25,
        )
        code, output = cli.interrupt(timeout=10)
    assert (passed.fired, announced.fired) == (2, 2)
    assert code == 130, output
    assert "uploaded 2 of 5 files" in output
    assert output.count(" ok ") == 2, output
    # held at storage with a reserved file id: reported as failed, naming the id it may have
    assert output.count("failed in upload") == 2, output
    assert output.count("not started") == 1, output
    assert len(emulator.storage.list("")) == 2
