"""``aiospaces files watch`` and ``watch_files``: every announced file lands once, safely."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest

import aiospaces
from aiospaces.cli.watch import WatchStats, target_name, watch_files
from aiospaces.emulator import Emulator
from aiospaces.pubnub.crypto import CryptoModule
from tests.cli.child import CliProcess

SUB, PUB = "sub-c-watch", "pub-c-watch"
KEY = "watch-key"


@pytest.mark.parametrize(
    ("announced", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/abs/path/x.txt", "x.txt"),
        ("a\\..\\..\\win.ini", "win.ini"),
        ("..", "FILEID-0123456789"),
        (".", "FILEID-0123456789"),
        ("", "FILEID-0123456789"),
        ("dir/", "dir"),
        (".hidden", "FILEID-0123456789"),
        ("nul\0byte", "FILEID-0123456789"),
    ],
)
def test_target_name_keeps_a_plain_name_inside_the_directory(announced: str, expected: str) -> None:
    assert target_name(announced, "FILEID-0123456789", lambda _: False) == expected


def test_target_name_adds_the_file_id_to_a_taken_name() -> None:
    taken = {"a.txt", "a-0123abcd.txt"}
    assert target_name("a.txt", "0123abcd-ffff", taken.__contains__) == "a-0123abcd-ffff.txt"
    assert target_name("a.txt", "0123abcd", taken.__contains__) == "a-0123abcd-2.txt"
    taken = {"a.txt"}
    assert target_name("a.txt", "0123abcd-ffff", taken.__contains__) == "a-0123abcd.txt"


def client(session: aiospaces.Session, emulator: Emulator, url: str, **extra: Any) -> Any:
    keys: dict[str, Any] = {"subscribe_key": SUB, "publish_key": PUB, "user_id": "w"}
    return session.pubnub(**keys, **emulator.settings(url)["pubnub"], **extra)


@pytest.mark.emulator(subscribe_timeout=1.0)
async def test_watch_files_writes_each_file_once_and_survives_bad_ones(
    emulator_session: aiospaces.Session, emulator: Emulator, tmp_path: Path
) -> None:
    watcher = client(emulator_session, emulator, "http://emu", cipher_key=KEY)
    sender = client(emulator_session, emulator, "http://emu", cipher_key=KEY)
    stranger = client(emulator_session, emulator, "http://emu", cipher_key="another key")
    out = tmp_path / "out"
    (tmp_path / "out").mkdir()
    (out / "existing.txt").write_bytes(b"mine")
    contents = {f"f{i}.bin": os.urandom(1000 * i + 1) for i in range(12)}
    changes: list[int] = []
    stats = WatchStats()
    async with anyio.create_task_group() as tg:
        await tg.start(
            lambda task_status: watch_files(
                watcher,
                "inbox",
                out,
                stats=stats,
                stop_after=len(contents) + 3,
                on_change=lambda s: changes.append(len(s.received)),
                task_status=task_status,
            )
        )
        for name, data in contents.items():
            await sender.send_file(channel="inbox", file_name=name, file_object=data)
        await sender.send_file(channel="inbox", file_name="existing.txt", file_object=b"theirs")
        await _announce(emulator_session, "../../climb.txt", "0000-not-stored")
        await stranger.send_file(channel="inbox", file_name="secret.bin", file_object=b"s")
    assert stats.announced == len(contents) + 3
    assert len(stats.received) == len(contents) + 1
    for name, data in contents.items():
        assert (out / name).read_bytes() == data
    assert (out / "existing.txt").read_bytes() == b"mine"  # not overwritten
    (theirs,) = [r for r in stats.received if r.file_name == "existing.txt"]
    assert theirs.path.read_bytes() == b"theirs"
    assert theirs.path.name == f"existing-{theirs.file_id[:8]}.txt"
    # a hostile announcement naming "../../climb.txt", and a file message under another key:
    # both flagged, neither written anywhere
    reasons = sorted(why for _, why in stats.failed)
    assert [what.startswith("file message ") for what, _ in stats.failed] == [True, True]
    assert "cannot be fetched" in reasons[1]
    assert "decrypt" in reasons[0].lower()
    assert not (tmp_path / "climb.txt").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*contents, "existing.txt", theirs.path.name]
    )  # no temporary files left
    assert changes[-1] == len(contents) + 1
    assert stats.pending == 0
    assert stats.bytes == sum(map(len, contents.values())) + len(b"theirs")


async def _announce(session: aiospaces.Session, name: str, file_id: str) -> None:
    """Publish a file message by hand, as a hostile client could, naming any file."""
    payload = {"message": None, "file": {"id": file_id, "name": name}}
    text = json.dumps(CryptoModule(KEY).encrypt_message(payload))
    path = f"/v1/files/publish-file/{PUB}/{SUB}/0/inbox/0/{quote(text, safe='')}"
    answer = await session.http_client.get(f"http://emu{path}", params={"uuid": "hostile"})
    assert answer.status_code == 200, answer.text


def _args(url: str) -> list[str]:
    return ["--subscribe-key", SUB, "--user-id", "watcher",
            "--origin", url.split("://", 1)[1], "--no-ssl"]  # fmt: skip


def _send(url: str, emulator: Emulator, files: dict[str, bytes], **extra: Any) -> None:
    async def send() -> None:
        async with aiospaces.Session() as session:
            sender = client(session, emulator, url, **extra)
            for name, data in files.items():
                await sender.send_file(channel="inbox", file_name=name, file_object=data)

    anyio.run(send)


def _subscribed(emulator: Emulator) -> bool:
    return bool(emulator.vendors["pubnub"].streams.stream(SUB).waiting)  # type: ignore[attr-defined]


@pytest.mark.emulator(subscribe_timeout=2.0)
def test_the_command_downloads_decrypts_and_summarises(
    emulator: Emulator, emulator_url: str, tmp_path: Path
) -> None:
    files = {"a.bin": os.urandom(70_000), "b.txt": b"hello"}
    command = ["files", "watch", "inbox", "--to", str(tmp_path), "--count", "2",
               "--cipher-key", KEY, *_args(emulator_url)]  # fmt: skip
    with CliProcess(*command) as cli:
        cli.wait_until(lambda: _subscribed(emulator), "the watch subscribed", timeout=20)
        _send(emulator_url, emulator, files, cipher_key=KEY)
        cli.wait_until(lambda: cli.process.poll() is not None, "the watch ended", timeout=20)
        output = cli.rest()
    assert cli.process.returncode == 0, output
    assert "downloaded 2 of 2 files" in output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files


@pytest.mark.emulator(subscribe_timeout=2.0)
def test_ctrl_c_ends_the_watch_with_a_summary(
    emulator: Emulator, emulator_url: str, tmp_path: Path
) -> None:
    command = ["files", "watch", "inbox", "--to", str(tmp_path), *_args(emulator_url)]
    with CliProcess(*command) as cli:
        cli.wait_until(lambda: _subscribed(emulator), "the watch subscribed", timeout=20)
        _send(emulator_url, emulator, {"one.txt": b"1"})
        deadline = time.monotonic() + 20
        while not (tmp_path / "one.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        code, output = cli.interrupt(timeout=10)
    assert code == 130, output
    assert "downloaded 1 of 1 files" in output
    assert [p.name for p in tmp_path.iterdir()] == ["one.txt"]
