"""Files sent by the official SDK (pubnub==10.8.0) are read by aiospaces, and vice versa.

Both run against the same served emulator: plain files, the legacy cryptor (``cipher_key`` in
the config, or the deprecated per-call key) and the ACRH cryptor (``AesCbcCryptoModule``);
file contents and the file messages stored by the emulator decrypt on the other side.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.pubnub import PubNub
from aiospaces.pubnub.crypto import CryptoModule
from tests.conformance.conftest import PUB, SUB, make_config
from tests.conformance.test_official_files import official_with
from tests.conformance.test_official_spaces import result_of

KEY = "enigma"  # the key official_with() configures
CHANNEL = "interop files ü"
CONTENT = os.urandom(200_003)  # several chunks, not a multiple of the block size


@pytest.fixture
async def session() -> AsyncIterator[aiospaces.Session]:
    async with aiospaces.Session() as session:
        yield session


def ours(
    session: aiospaces.Session, emulator_url: str, cipher_key: str | None = None, **extra: Any
) -> PubNub:
    return session.pubnub(
        subscribe_key=SUB,
        publish_key=PUB,
        user_id="aiospaces",
        origin=emulator_url.split("://", 1)[1],
        ssl=False,
        cipher_key=cipher_key,
        **extra,
    )


def stored_message(emulator: Emulator) -> Any:
    return emulator.vendors["pubnub"].snapshot()[SUB]["messages"][-1]["message"]


async def official_send(official: Any, mode: str, content: bytes) -> Any:
    builder = (
        official.send_file()
        .channel(CHANNEL)
        .file_name("from official.bin")
        .message({"from": "official", "mode": mode})
        .file_object(content)
    )
    if mode != "call_cipher_key":
        return await result_of(builder)
    # deprecated: warns when set, and again when send_file hands the key to its publish step
    with pytest.warns(UserWarning, match="Deprecated"):
        return await result_of(builder.cipher_key(KEY))


@pytest.mark.parametrize("mode", ["plain", "cipher_key", "crypto_module", "call_cipher_key"])
async def test_official_sends_aiospaces_downloads(
    emulator_url: str, emulator: Emulator, session: aiospaces.Session, tmp_path: Path, mode: str
) -> None:
    official = official_with(emulator_url, "plain" if mode == "call_cipher_key" else mode)
    try:
        sent = await official_send(official, mode, CONTENT)
    finally:
        await official.stop()
    stored = emulator.storage.list(f"{SUB}/")
    assert len(stored) == 1
    if mode == "plain":
        assert stored[0].size == len(CONTENT)
    else:
        module = CryptoModule(KEY, default="aescbc" if mode == "crypto_module" else "legacy")
        assert stored[0].size == module.encrypted_size(len(CONTENT))

    key = None if mode == "plain" else KEY
    for crypto in ("aescbc", "legacy"):  # decryption reads the header, whatever our default
        pn = ours(session, emulator_url, key, crypto=crypto)
        download = pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name=sent.name)
        assert await download == CONTENT
        out = await download.to_path(tmp_path / f"{crypto}.bin")
        assert out.read_bytes() == CONTENT
        assert b"".join([chunk async for chunk in download.stream()]) == CONTENT

    page = await ours(session, emulator_url).list_files(channel=CHANNEL)
    assert [(f.id, f.name, f.size) for f in page.data] == [
        (sent.file_id, "from official.bin", stored[0].size)
    ]

    payload = {
        "message": {"from": "official", "mode": mode},
        "file": {"id": sent.file_id, "name": "from official.bin"},
    }
    message = stored_message(emulator)
    if mode == "plain":
        assert message == payload
    else:
        assert isinstance(message, str)
        assert message.startswith("UE5FRAFBQ1JI") == (mode == "crypto_module")
        assert CryptoModule(KEY).decrypt_message(message) == payload


@pytest.mark.parametrize("mode", ["plain", "cipher_key", "crypto_module"])
async def test_a_keyless_download_returns_the_stored_bytes(
    emulator_url: str, session: aiospaces.Session, mode: str
) -> None:
    """A plain download of an encrypted file returns the stored bytes, never our guess."""
    official = official_with(emulator_url, mode)
    try:
        sent = await official_send(official, mode, b"Knights who say Ni!")
    finally:
        await official.stop()
    raw = await ours(session, emulator_url).download_file(
        channel=CHANNEL, file_id=sent.file_id, file_name=sent.name
    )
    if mode == "plain":
        assert raw == b"Knights who say Ni!"
    else:
        assert CryptoModule(KEY).decrypt(raw) == b"Knights who say Ni!"
        # (no wrong-key check here: with a random IV, a wrong key yields valid PKCS#7 padding
        # about once in 256 tries; the crypto tests check wrong keys with fixed IVs)


def official_reader(emulator_url: str, module: str) -> Any:
    """An official client that decrypts downloads: ``config.cipher_key`` (and a module)."""
    from pubnub.crypto import AesCbcCryptoModule, LegacyCryptoModule
    from pubnub.pubnub_asyncio import PubNubAsyncio

    config = make_config(emulator_url, cipher_key=KEY)
    if module == "aescbc":
        config.crypto_module = AesCbcCryptoModule(config)
    elif module == "legacy":
        config.crypto_module = LegacyCryptoModule(config)
    return PubNubAsyncio(config)


@pytest.mark.parametrize("size", [0, len(CONTENT)])
@pytest.mark.parametrize("crypto", ["plain", "legacy", "aescbc"])
async def test_aiospaces_sends_official_downloads(
    emulator_url: str,
    emulator: Emulator,
    session: aiospaces.Session,
    tmp_path: Path,
    crypto: str,
    size: int,
) -> None:
    content = CONTENT[:size]
    source = tmp_path / "in.bin"
    source.write_bytes(content)
    key = None if crypto == "plain" else KEY
    pn = ours(session, emulator_url, key, **({} if key is None else {"crypto": crypto}))
    sent = await (
        pn.send_file()
        .channel(CHANNEL)
        .file_name("from aiospaces.bin")
        .file_object(source)
        .message({"from": "aiospaces"})
        .should_store(True)
    )
    stored_size = (
        len(content)
        if key is None
        else CryptoModule(KEY, default=crypto).encrypted_size(len(content))  # type: ignore[arg-type]
    )

    readers = ["none"] if key is None else ["config", "legacy", "aescbc"]
    for module in readers:
        official = (
            official_with(emulator_url, "plain")
            if module == "none"
            else official_reader(emulator_url, module)
        )
        try:
            listed = await result_of(official.list_files(channel=CHANNEL))
            assert listed.count == 1
            assert listed.data[0]["id"] == sent.file_id
            assert listed.data[0]["name"] == "from aiospaces.bin"
            assert listed.data[0]["size"] == stored_size
            downloaded = await result_of(
                official.download_file().channel(CHANNEL).file_id(sent.file_id).file_name(sent.name)
            )
            if size == 0 and module == "none":
                # SDK quirk (request_handlers/async_httpx.py): an empty body comes back as "N/A"
                assert downloaded.data == "N/A"
            else:
                assert downloaded.data == content, module
        finally:
            await official.stop()

    payload = {
        "message": {"from": "aiospaces"},
        "file": {"id": sent.file_id, "name": "from aiospaces.bin"},
    }
    message = stored_message(emulator)
    if key is None:
        assert message == payload
        return
    assert isinstance(message, str)
    assert message.startswith("UE5FRAFBQ1JI") == (crypto == "aescbc")
    from pubnub.crypto import LegacyCryptoModule, PubNubCryptodome

    config = make_config(emulator_url, cipher_key=KEY)
    assert LegacyCryptoModule(config).decrypt(message) == payload  # sniffs PNED, else legacy
    if crypto == "legacy":
        # what the official SDK uses for file messages with a per-call key
        assert PubNubCryptodome(config).decrypt(KEY, message) == payload


async def test_official_per_call_key_downloads_our_legacy_file(
    emulator_url: str, session: aiospaces.Session
) -> None:
    """``download_file().cipher_key(k)`` is legacy-only in the official SDK (no header sniffing)."""
    pn = ours(session, emulator_url, KEY, crypto="legacy")
    sent = await pn.send_file(channel=CHANNEL, file_name="legacy.bin", file_object=CONTENT)
    official = official_with(emulator_url, "plain")
    try:
        builder = official.download_file().channel(CHANNEL).file_id(sent.file_id)
        with pytest.warns(UserWarning, match="Deprecated"):
            builder.cipher_key(KEY)
        downloaded = await result_of(builder.file_name(sent.name))
    finally:
        await official.stop()
    assert downloaded.data == CONTENT


async def test_official_resumes_publish_of_our_upload(
    emulator_url: str, emulator: Emulator, session: aiospaces.Session
) -> None:
    """A file message published by either SDK for the other's upload reads the same."""
    pn = ours(session, emulator_url, KEY, crypto="legacy")
    sent = await pn.send_file(channel=CHANNEL, file_name="a.bin", file_object=b"abc")
    official = official_with(emulator_url, "cipher_key")
    try:
        published = await result_of(
            official.publish_file_message()
            .channel(CHANNEL)
            .file_id(sent.file_id)
            .file_name(sent.name)
            .message({"again": True})
            .should_store(True)
        )
    finally:
        await official.stop()
    ours_published = await pn.publish_file_message(
        channel=CHANNEL, file_id=sent.file_id, file_name=sent.name, message={"again": True}
    )
    assert len(published.timestamp) == len(ours_published.timestamp) == 17
    messages = emulator.vendors["pubnub"].snapshot()[SUB]["messages"]
    theirs, mine = messages[-2]["message"], messages[-1]["message"]
    module = CryptoModule(KEY, default="legacy")
    assert module.decrypt_message(theirs) == module.decrypt_message(mine)
    assert json.dumps(module.decrypt_message(mine)) == json.dumps(
        {"message": {"again": True}, "file": {"id": sent.file_id, "name": "a.bin"}}
    )
