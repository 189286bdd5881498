"""The emulator's state file: a restart keeps every vendor's state; bad files are refused."""

from __future__ import annotations

import itertools
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any, ClassVar

import anyio
import httpx
import pytest

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.emulator.state_file import StateFile, StateFileError, dump_part, load_part

EMU = "http://emu"
KEYS: dict[str, Any] = {"subscribe_key": "sub-c-state", "publish_key": "pub-c-state"}
HELLO = "export default (request, response) => response.send('hello');\n"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


async def test_a_restart_keeps_spaces_files_messages_tokens_and_blocks(
    state: Path, tmp_path: Path
) -> None:
    content = os.urandom(100_001)
    source = tmp_path / "in.bin"
    source.write_bytes(content)
    first = Emulator(state_path=state)
    async with aiospaces.Session(transport=first.transport()) as session:
        pn = session.pubnub(**KEYS, user_id="u", **first.settings(EMU)["pubnub"])
        await pn.create_space(space_id="room-1", name="Room 1", custom={"tier": "gold"})
        sent = await pn.send_file().channel("room-1").file_name("a.bin").file_object(source)
        await pn.publish(channel="room-1", message={"text": "hi"})
        before = await pn.fetch_messages(channel="room-1", include_message_type=True)
        old_url = await pn.get_file_url(channel="room-1", file_id=sent.file_id, file_name="a.bin")

        mux = session.mux(**first.settings(EMU)["mux"])
        stream = await mux.create_live_stream()
        mux_space = await mux.create_space(broadcasts=[{"live_stream_id": stream.id}])

        nio_settings = first.settings(EMU)["neuroio"] | {"api_token": "sandbox-token"}
        nio = session.neuroio(**nio_settings)
        nio_space = await nio.spaces.create(name="kept")
        token = await nio.tokens.create(permanent=True)

        adm = session.pubnub_admin(email="dev@example.com", password="pw", base_url=EMU)
        key = (await adm.list_apps())[0].keys[0].id
        block = await adm.create_block(key_id=key, name="greeter", description="hello")
        await adm.create_event_handler(
            key_id=key, block_id=block.id, name="h", event="js-on-rest", path="hello"
        ).code(HELLO)
        await adm.start_block(key_id=key, block_id=block.id).wait(timeout=10)
    first.close()

    second = Emulator(state_path=state)
    try:
        async with aiospaces.Session(transport=second.transport()) as session:
            pn = session.pubnub(**KEYS, user_id="u", **second.settings(EMU)["pubnub"])
            fetched = await pn.fetch_space(space_id="room-1").include_custom()
            assert (fetched.name, fetched.custom) == ("Room 1", {"tier": "gold"})
            listed = await pn.list_files().channel("room-1")
            assert [(f.id, f.name, f.size) for f in listed.data] == [
                (sent.file_id, "a.bin", len(content))
            ]
            download = pn.download_file(channel="room-1", file_id=sent.file_id, file_name="a.bin")
            assert await download == content
            async with httpx.AsyncClient(transport=second.transport()) as raw:
                assert (await raw.get(old_url)).content == content  # old URLs stay valid
            history = await pn.fetch_messages(channel="room-1", include_message_type=True)
            assert history.messages == before.messages
            assert history.messages[-1].message == {"text": "hi"}
            published = await pn.publish(channel="room-1", message="later")
            assert int(published.timetoken) > int(history.messages[-1].timetoken)

            mux = session.mux(**second.settings(EMU)["mux"])
            again = await mux.get_space(mux_space.id)
            assert again.broadcasts is not None
            assert [b.live_stream_id for b in again.broadcasts] == [stream.id]

            nio = session.neuroio(**nio_settings).with_token(token.key)
            assert await nio.spaces.get(nio_space.id) == nio_space
            assert (await nio.tokens.get(token.id)).permanent
            newer = await nio.spaces.create(name="after the restart")
            assert newer.id > nio_space.id  # the id counters were kept too

            adm = session.pubnub_admin(email="dev@example.com", password="pw", base_url=EMU)
            kept = await adm.get_block(key_id=key, block_id=block.id)
            assert (kept.state, [h.name for h in kept.event_handlers]) == ("running", ["h"])
    finally:
        second.close()


async def test_an_unanswered_change_made_in_python_is_saved_on_close(state: Path) -> None:
    first = Emulator(state_path=state)
    first.vendors["pubnub"].seed({"subscribe_key": "sub-c-seeded", "auth_keys": ["a"]})
    first.close()
    second = Emulator(state_path=state)
    assert list(second.vendors["pubnub"].snapshot()) == ["sub-c-seeded"]
    second.reset()  # saved at once
    second.close()
    third = Emulator(state_path=state)
    assert third.vendors["pubnub"].snapshot() == {}
    third.close()


async def test_an_upload_whose_metadata_was_never_committed_is_swept(state: Path) -> None:
    first = Emulator(state_path=state)
    directory = first.storage.directory
    assert directory == state.with_name("state.db.files")
    first.close()
    orphan = directory / f"{'ab' * 16}.blob"
    partial = directory / f"{'cd' * 16}.part"
    mine = directory / "notes.txt"  # not named as an upload: left alone
    for path in (orphan, partial, mine):
        path.write_bytes(b"x" * 1000)
    Emulator(state_path=state).close()
    assert sorted(p.name for p in directory.iterdir()) == ["notes.txt"]


def test_a_new_state_file_sweeps_its_storage_dir_too(state: Path) -> None:
    directory = state.with_name("state.db.files")
    directory.mkdir()
    leftover = directory / f"{'01' * 16}.blob"
    leftover.write_bytes(b"from a run without --state")
    Emulator(state_path=state).close()
    assert not leftover.exists()


def test_a_storage_dir_without_state_starts_empty_and_clean(tmp_path: Path) -> None:
    leftover = tmp_path / f"{'ef' * 16}.blob"
    leftover.write_bytes(b"forgotten")
    Emulator(storage_dir=tmp_path)
    assert not leftover.exists()


def test_a_file_that_is_not_sqlite_is_refused(state: Path) -> None:
    state.write_bytes(b"this is a text file, not a database" * 100)
    with pytest.raises(StateFileError, match="not an emulator state file"):
        Emulator(state_path=state)


def test_another_programs_database_is_refused(state: Path) -> None:
    with sqlite3.connect(state) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    db.close()
    with pytest.raises(StateFileError, match="not an emulator state file"):
        Emulator(state_path=state)


def test_another_state_format_is_refused(state: Path) -> None:
    Emulator(state_path=state).close()
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(StateFileError, match="format 99"):
        Emulator(state_path=state)


def test_a_file_in_use_by_another_emulator_is_refused(state: Path) -> None:
    first = Emulator(state_path=state)
    try:
        with pytest.raises(StateFileError, match="in use"):
            Emulator(state_path=state)
    finally:
        first.close()


def test_a_constructor_that_fails_after_opening_the_file_leaves_it_free(state: Path) -> None:
    with pytest.raises(ValueError, match="mode") as failed:
        Emulator(state_path=state, fault_mode="bogus")  # type: ignore[arg-type]
    Emulator(state_path=state).close()  # not "in use", even with the error (and its frames) kept
    assert failed.value is not None


class Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo pwned > pwned.txt",))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (pickle.dumps(Evil()), "names .*system"),  # refused before anything runs
        (b"\x00\xff", "unreadable state"),
        (pickle.dumps([1, 2]), "does not match"),
    ],
)
def test_a_corrupt_part_is_refused(
    state: Path, data: bytes, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(state.parent)
    Emulator(state_path=state).close()
    with sqlite3.connect(state) as db:
        db.execute("UPDATE state SET data = ? WHERE part = 'mux' AND attr = ''", (data,))
    db.close()
    with pytest.raises(StateFileError, match=f"part 'mux'.*{reason}"):
        Emulator(state_path=state)
    assert not (state.parent / "pwned.txt").exists()


def test_an_unknown_part_is_refused(state: Path) -> None:
    file = StateFile(state)
    file.write([("somebody-else", "", "", b"x")])
    file.close()
    with pytest.raises(StateFileError, match="unknown part 'somebody-else'"):
        Emulator(state_path=state)


class Counted:
    persistent: ClassVar[tuple[str, ...]] = ("ids", "seen")

    def __init__(self) -> None:
        self.ids = itertools.count(7)
        self.seen: set[str] = {"a"}


def test_counters_are_stored_by_value() -> None:
    source, target = Counted(), Counted()
    next(source.ids)
    source.seen.add("b")
    load_part(target, dump_part(source))
    assert (next(target.ids), target.seen) == (8, {"a", "b"})
    with pytest.raises(StateFileError, match="does not match"):
        load_part(target, pickle.dumps({"ids": 1}))


def rows(emulator: Emulator, part: str, attr: str) -> int:
    assert emulator.durable is not None
    return sum(1 for row in emulator.durable.file.read() if row[:2] == (part, attr))


async def test_messages_and_files_are_one_row_each(state: Path) -> None:
    emulator = Emulator(state_path=state)
    try:
        async with aiospaces.Session(transport=emulator.transport()) as session:
            pn = session.pubnub(**KEYS, user_id="u", **emulator.settings(EMU)["pubnub"])
            for n in range(5):
                await pn.publish(channel="c", message=n)
            assert rows(emulator, "pubnub", "stored_records") == 5
            sent = await pn.send_file().channel("c").file_name("f.txt").file_object(b"data")
            assert rows(emulator, "storage", "_objects") == 1
            await pn.delete_file(channel="c", file_id=sent.file_id, file_name="f.txt")
            assert rows(emulator, "storage", "_objects") == 0
        kept = rows(emulator, "pubnub", "stored_records")  # the file message too
        assert kept == 6
        emulator.reset()
        assert rows(emulator, "pubnub", "stored_records") == 0
    finally:
        emulator.close()


async def test_concurrent_writes_and_a_reset_leave_the_file_as_memory(state: Path) -> None:
    emulator = Emulator(state_path=state)
    base = f"/v2/objects/{KEYS['subscribe_key']}/channels"
    publish = f"/publish/{KEYS['publish_key']}/{KEYS['subscribe_key']}/0/c/0"
    async with httpx.AsyncClient(transport=emulator.transport(), base_url=EMU) as client:

        async def write(n: int) -> None:
            if n == 40:
                assert (await client.post("/_emulator/reset")).status_code == 200
            elif n % 2:
                assert (await client.get(f"{publish}/{n}")).status_code == 200
            else:
                assert (
                    await client.patch(f"{base}/s{n}", json={"name": str(n)})
                ).status_code == 200

        async with anyio.create_task_group() as tasks:
            for n in range(100):
                tasks.start_soon(write, n)
    expected = {name: vendor.snapshot() for name, vendor in emulator.vendors.items()}
    files = emulator.storage.list()
    emulator.close()
    again = Emulator(state_path=state)
    try:
        assert {name: vendor.snapshot() for name, vendor in again.vendors.items()} == expected
        assert again.storage.list() == files
    finally:
        again.close()


def test_a_commit_looks_only_at_the_parts_a_request_may_change(state: Path) -> None:
    emulator = Emulator(state_path=state)
    try:
        assert emulator.durable is not None
        owners = emulator.durable.owners
        assert owners("/video/v1/spaces") == {"mux", "storage"}
        assert owners("/v1/files/s/channels/c/generate-upload-url") == {"pubnub", "storage"}
        assert owners("/v1/spaces/") == {"neuroio", "storage"}  # /v1/files/ is longer
        assert owners("/publish/p/s/0/c/0/1") == {"pubnub", "storage"}
        assert owners("/api/v1/blocks/key/1/block") == {"pubnub_admin", "storage"}
        assert owners("/_storage/") == {"storage"}
        assert owners("/_emulator/reset") is None  # the control API: any part
        assert owners("/_emulator/pubnub/seed") is None
        assert owners("/unknown") is None
    finally:
        emulator.close()


async def test_a_control_api_write_commits_every_part(state: Path) -> None:
    emulator = Emulator(state_path=state)
    emulator.vendors["pubnub"].seed({"subscribe_key": "sub-c-python"})  # no request: not saved
    async with httpx.AsyncClient(transport=emulator.transport(), base_url=EMU) as client:
        await client.post("/_emulator/mux/seed", json={"token_id": "t", "token_secret": "s"})
    emulator.durable.file.close()  # type: ignore[union-attr] # a crash: no save on close
    again = Emulator(state_path=state)
    try:
        assert list(again.vendors["mux"].snapshot()) == ["t"]
        # the control API may change any part, so its commit holds the PubNub seed too
        assert list(again.vendors["pubnub"].snapshot()) == ["sub-c-python"]
    finally:
        again.close()


async def test_a_moved_state_file_finds_its_files(state: Path, tmp_path: Path) -> None:
    first = Emulator(state_path=state)
    async with aiospaces.Session(transport=first.transport()) as session:
        pn = session.pubnub(**KEYS, user_id="u", **first.settings(EMU)["pubnub"])
        await pn.send_file().channel("c").file_name("f.txt").file_object(b"moved bytes")
    first.close()
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    state.rename(moved / "state.db")
    state.with_name("state.db.files").rename(moved / "state.db.files")
    again = Emulator(state_path=moved / "state.db")
    try:
        (stored,) = again.storage.list()
        url = again.storage.presign_download(stored.key, base_url=EMU)
        async with httpx.AsyncClient(transport=again.transport()) as client:
            assert (await client.get(url)).content == b"moved bytes"
    finally:
        again.close()
