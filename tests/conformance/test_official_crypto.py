"""aiospaces' crypto against the official SDK's (pubnub==10.8.0): each decrypts the other's output.

Both crypto modules (``AesCbcCryptoModule``: ACRH; ``LegacyCryptoModule``: 0000 with random or
fixed IVs), the older ``PubNubCryptodome`` (messages) and ``PubNubFileCrypto`` (files, with
their URL-safe ASCII IVs), for messages and files. No network.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from aiospaces.core.errors import DecryptionError
from aiospaces.pubnub.crypto import CryptoModule

KEY = "enigma-Ω-key"
MESSAGES: list[Any] = [
    "hey",
    "",
    {"message": {"test_message": "test"}, "file": {"id": "abc", "name": "king arthur.txt"}},
    [1, 2.5, None, True, "é ü 漢字"],
    42,
    "x" * 1000,
]
SIZES = [1, 15, 16, 17, 31, 32, 33, 1000, 65536 + 7]
MODES = [("aescbc", True), ("legacy", True), ("legacy", False)]


def config(use_random_iv: bool = True, key: str = KEY) -> Any:
    from pubnub.pnconfiguration import PNConfiguration

    cfg = PNConfiguration()
    cfg.user_id = "crypto-tester"
    cfg.cipher_key = key
    cfg.use_random_initialization_vector = use_random_iv
    return cfg


def official_module(default: str, use_random_iv: bool) -> Any:
    from pubnub.crypto import AesCbcCryptoModule, LegacyCryptoModule

    cls = AesCbcCryptoModule if default == "aescbc" else LegacyCryptoModule
    return cls(config(use_random_iv))


def ours(default: str, use_random_iv: bool) -> CryptoModule:
    return CryptoModule(KEY, default=default, use_random_iv=use_random_iv)  # type: ignore[arg-type]


def data_of(size: int) -> bytes:
    return bytes((i * 7 + 3) % 256 for i in range(size))


@pytest.mark.parametrize(("default", "use_random_iv"), MODES)
@pytest.mark.parametrize("message", MESSAGES)
def test_official_module_decrypts_our_messages(
    default: str, use_random_iv: bool, message: Any
) -> None:
    text = ours(default, use_random_iv).encrypt_message(message)
    assert text.startswith("UE5FRAFBQ1JI") == (default == "aescbc")
    # the official module decodes and json.loads, as ours does
    assert official_module(default, use_random_iv).decrypt(text) == message


@pytest.mark.parametrize(("default", "use_random_iv"), MODES)
@pytest.mark.parametrize("message", MESSAGES)
def test_we_decrypt_official_module_messages(
    default: str, use_random_iv: bool, message: Any
) -> None:
    text = official_module(default, use_random_iv).encrypt(json.dumps(message))
    assert text.startswith("UE5FRAFBQ1JI") == (default == "aescbc")
    # either of our modules decrypts it (the header picks the cryptor)
    for our_default in ("aescbc", "legacy"):
        assert ours(our_default, use_random_iv).decrypt_message(text) == message


@pytest.mark.parametrize("use_random_iv", [True, False])
@pytest.mark.parametrize("message", MESSAGES)
def test_legacy_cryptodome_messages_both_ways(use_random_iv: bool, message: Any) -> None:
    """``PubNubCryptodome`` is what the SDK uses for messages with only ``cipher_key`` set."""
    from pubnub.crypto import PubNubCryptodome

    cryptodome = PubNubCryptodome(config(use_random_iv))
    module = ours("legacy", use_random_iv)
    text = cryptodome.encrypt(KEY, json.dumps(message))
    assert module.decrypt_message(text) == message
    assert cryptodome.decrypt(KEY, module.encrypt_message(message)) == message


@pytest.mark.parametrize(("default", "use_random_iv"), MODES)
@pytest.mark.parametrize("size", SIZES)
def test_files_both_ways_with_the_official_modules(
    default: str, use_random_iv: bool, size: int
) -> None:
    official, module = official_module(default, use_random_iv), ours(default, use_random_iv)
    data = data_of(size)
    ours_encrypted = module.encrypt(data)
    assert len(ours_encrypted) == module.encrypted_size(size)
    assert official.decrypt_file(ours_encrypted) == data
    theirs = official.encrypt_file(data)
    assert len(theirs) == module.encrypted_size(size)
    assert module.decrypt(theirs) == data
    # streamed in odd chunks, too
    decryptor = module.decryptor()
    out = b"".join(decryptor.update(theirs[i : i + 7]) for i in range(0, len(theirs), 7))
    assert out + decryptor.finalize() == data


@pytest.mark.parametrize("default", ["aescbc", "legacy"])
def test_official_module_decrypts_our_empty_file(default: str) -> None:
    # the official modules refuse to *encrypt* an empty file, but decrypt one
    assert official_module(default, True).decrypt_file(ours(default, True).encrypt(b"")) == b""


@pytest.mark.parametrize("size", SIZES)
def test_legacy_file_crypto_both_ways(size: int) -> None:
    """``PubNubFileCrypto`` is what ``send_file().cipher_key(k)`` and downloads with a key use."""
    from pubnub.crypto import PubNubFileCrypto

    file_crypto = PubNubFileCrypto(config())
    module = ours("legacy", True)
    data = data_of(size)
    theirs = file_crypto.encrypt(KEY, data)
    assert len(theirs) == module.encrypted_size(size)
    assert module.decrypt(theirs) == data
    # an aescbc-default module reads it as well: no header means legacy
    assert ours("aescbc", True).decrypt(theirs) == data
    assert file_crypto.decrypt(KEY, module.encrypt(data)) == data


def test_neither_side_accepts_the_other_key() -> None:
    from pubnub.exceptions import PubNubException

    official = official_module("aescbc", True)
    encryptor = CryptoModule("another key").aescbc.encryptor(bytes(16))  # deterministic
    blob = encryptor.update(b"secret file content" * 3) + encryptor.finalize()
    with pytest.raises(PubNubException):
        official.decrypt_file(blob)
    theirs = official_module("legacy", False).encrypt(json.dumps({"secret": "x" * 20}))
    with pytest.raises(DecryptionError):
        CryptoModule("another key", use_random_iv=False).decrypt_message(theirs)
