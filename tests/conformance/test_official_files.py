"""The official SDK's file calls against the emulator (upload via the presigned POST)."""

from __future__ import annotations

from typing import Any

import pytest

from aiospaces.emulator import Emulator
from tests.conformance.conftest import SUB, make_config
from tests.conformance.test_official_spaces import result_of

PAYLOAD = b"King Arthur and the knights of the round table\n" * 300


def official_with(emulator_url: str, mode: str) -> Any:
    from pubnub.crypto import AesCbcCryptoModule
    from pubnub.pubnub_asyncio import PubNubAsyncio

    extra: dict[str, Any] = {}
    if mode != "plain":
        extra["cipher_key"] = "enigma"  # send_file encrypts only when cipher_key is set
    config = make_config(emulator_url, **extra)
    if mode == "crypto_module":
        config.crypto_module = AesCbcCryptoModule(config)  # needs cipher_key too
    return PubNubAsyncio(config)


@pytest.mark.parametrize("mode", ["plain", "cipher_key", "crypto_module"])
async def test_send_list_url_download_delete(
    emulator_url: str, emulator: Emulator, mode: str
) -> None:
    pubnub = official_with(emulator_url, mode)
    try:
        sent = await result_of(
            pubnub.send_file()
            .channel("files-ch")
            .file_name("king_arthur.txt")
            .message({"test_message": "test"})
            .file_object(PAYLOAD)
        )
        assert len(sent.timestamp) == 17
        stored = emulator.storage.list(f"{SUB}/")
        assert len(stored) == 1
        if mode == "plain":
            assert stored[0].size == len(PAYLOAD)
        else:  # ciphertext is stored, never the plaintext
            assert stored[0].size > len(PAYLOAD)
        message = emulator.vendors["pubnub"].snapshot()[SUB]["messages"][0]
        assert message["channel"] == "files-ch"

        listed = await result_of(pubnub.list_files(channel="files-ch"))
        assert listed.count == 1
        assert listed.data[0]["id"] == sent.file_id
        assert listed.data[0]["name"] == "king_arthur.txt"

        url = await result_of(
            pubnub.get_file_url(channel="files-ch", file_name=sent.name, file_id=sent.file_id)
        )
        assert url.file_url.startswith(emulator_url + "/_storage/")

        downloaded = await result_of(
            pubnub.download_file().channel("files-ch").file_id(sent.file_id).file_name(sent.name)
        )
        assert downloaded.data == PAYLOAD

        deleted = await result_of(
            pubnub.delete_file(channel="files-ch", file_name=sent.name, file_id=sent.file_id)
        )
        assert deleted.status == 200
        assert emulator.storage.list(f"{SUB}/") == []
    finally:
        await pubnub.stop()


async def test_list_files_pages(official: Any) -> None:
    ids = []
    for i in range(3):
        sent = await result_of(
            official.send_file().channel("paged").file_name(f"f{i}.txt").file_object(b"x" * (i + 1))
        )
        ids.append(sent.file_id)
    first = await result_of(official.list_files(channel="paged", limit=2))
    assert first.count == 2
    assert first.next
    second = await result_of(official.list_files(channel="paged", limit=2, next=first.next))
    assert second.count == 1
    assert second.next is None
    assert sorted(ids) == [f["id"] for f in first.data + second.data]


@pytest.mark.emulator(max_upload_size=1024)
async def test_too_large_upload_fails(official: Any, emulator: Emulator) -> None:
    # SDK bug (protocol notes §3.3): when a step fails, AsyncioSendFile.future reads
    # `.result.file_id` on None and raises AttributeError instead of returning the error.
    with pytest.raises(AttributeError):
        await (
            official.send_file()
            .channel("big")
            .file_name("big.bin")
            .file_object(b"x" * 4096)
            .future()
        )
    assert emulator.storage.list(f"{SUB}/") == []  # S3 refused it: EntityTooLarge
    assert emulator.vendors["pubnub"].snapshot()[SUB]["messages"] == []  # never announced
