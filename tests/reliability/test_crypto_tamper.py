"""What damaged encrypted data does, pinned: every claim of docs/encryption.md is a row here."""

from __future__ import annotations

import base64
import json

import pytest

import aiospaces
from aiospaces.pubnub.crypto import CryptoModule
from aiospaces.pubnub.cryptors import BLOCK_SIZE
from tests.reliability.crypto_tamper import (
    CRYPTORS,
    PLAINTEXT_SIZE,
    TamperRow,
    render,
    tamper_table,
)


@pytest.fixture(scope="module")
def table() -> list[TamperRow]:
    return tamper_table()


def row(rows: list[TamperRow], cryptor: str, tamper: str) -> TamperRow:
    (found,) = [r for r in rows if r.cryptor == cryptor and r.tamper == tamper]
    return found


def test_every_row_matches_its_claim(table: list[TamperRow]) -> None:
    wrong = [r for r in table if not r.holds]
    assert not wrong, "\n" + render(wrong)


def test_the_table_covers_each_format(table: list[TamperRow]) -> None:
    counts = {cryptor: sum(r.cryptor == cryptor for r in table) for cryptor in CRYPTORS}
    # the header rows apply to ACRH only; with a fixed IV there is no IV to flip
    assert counts == {"ACRH": 16, "legacy": 15, "legacy, fixed IV": 14}
    assert {r.claim for r in table} == {"always", "mostly", "never"}


@pytest.mark.parametrize("cryptor", CRYPTORS)
def test_most_damage_goes_unnoticed(table: list[TamperRow], cryptor: str) -> None:
    """Flips away from the end, reordered, dropped or spliced blocks give wrong bytes."""
    for tamper in (
        "flip a bit in the first block",
        "flip a bit in a middle block",
        "flip a bit in the 2nd-last block, over data",
        "swap two middle blocks",
        "drop a middle block",
        "append a copy of the last two blocks",
    ):
        found = row(table, cryptor, tamper)
        assert found.detected == 0, tamper
        assert found.wrong == found.trials, tamper


@pytest.mark.parametrize("cryptor", CRYPTORS)
def test_a_stream_hands_out_all_but_the_last_block_before_it_fails(
    table: list[TamperRow], cryptor: str
) -> None:
    """Padding is checked at the very end: the bytes before it were already yielded."""
    found = row(table, cryptor, "flip a bit in the last block")
    assert found.released == PLAINTEXT_SIZE - PLAINTEXT_SIZE % BLOCK_SIZE  # 96 of 100


def test_a_damaged_sentinel_streams_garbage_before_failing(table: list[TamperRow]) -> None:
    """Without ``PNED`` the data is read as legacy; only its length gives it away, at the end."""
    found = row(table, "ACRH", "flip a bit in the PNED header")
    assert found.detected == found.trials
    assert found.released > 0


def _wrong_key_passes(crypto: CryptoModule, plaintext: bytes) -> bytes:
    """Return a ciphertext of ``plaintext`` whose padding a module with another key accepts."""
    wrong = CryptoModule("another-key")
    for seed in range(10_000):
        encryptor = crypto.aescbc.encryptor(seed.to_bytes(BLOCK_SIZE, "big"))
        blob = encryptor.update(plaintext) + encryptor.finalize()
        try:
            wrong.decrypt(blob)
        except aiospaces.DecryptionError:
            continue
        return blob
    raise AssertionError("no IV of 10,000 passed the padding check (expected about 1 in 255)")


def test_a_wrong_key_sometimes_returns_wrong_bytes() -> None:
    """About 1 IV in 255 makes a wrong key's last block end in valid padding: no error."""
    right = CryptoModule("tamper-key")
    plaintext = b"file content " * 10
    blob = _wrong_key_passes(right, plaintext)
    assert right.decrypt(blob) == plaintext
    garbage = CryptoModule("another-key").decrypt(blob)
    assert garbage != plaintext


def test_a_wrong_key_on_a_message_still_raises_when_the_padding_passes() -> None:
    """The garbage behind valid padding is (almost) never UTF-8, so messages still fail."""
    right = CryptoModule("tamper-key")
    plaintext = json.dumps({"text": "a message of a few blocks", "n": 1}).encode()
    blob = _wrong_key_passes(right, plaintext)
    encoded = base64.b64encode(blob).decode()
    assert right.decrypt_message(encoded) == json.loads(plaintext)
    with pytest.raises(aiospaces.DecryptionError):
        CryptoModule("another-key").decrypt_message(encoded)


def test_a_flipped_iv_bit_changes_a_message_without_the_key() -> None:
    """The docs' example: one bit of the IV turns ``100`` into ``900``, and nothing notices."""
    crypto = CryptoModule("tamper-key")
    blob = bytearray(base64.b64decode(crypto.encrypt_message({"amount": 100})))
    plaintext = json.dumps({"amount": 100}).encode()
    blob[10 + plaintext.index(b"1")] ^= ord("1") ^ ord("9")  # the IV follows 10 header bytes
    assert crypto.decrypt_message(base64.b64encode(blob).decode()) == {"amount": 900}


def test_a_garbled_block_in_a_message_fails_the_utf8_check() -> None:
    crypto = CryptoModule("tamper-key")
    message = {"text": "a message long enough to fill several blocks of ciphertext"}
    encryptor = crypto.aescbc.encryptor(bytes(BLOCK_SIZE))  # a fixed IV: the same garbage
    blob = bytearray(encryptor.update(json.dumps(message).encode()) + encryptor.finalize())
    blob[26 + BLOCK_SIZE + 5] ^= 0x40  # the second block: not the last two
    damaged = bytes(blob)
    assert crypto.decrypt(damaged) != json.dumps(message).encode()  # files: wrong bytes
    with pytest.raises(aiospaces.DecryptionError):  # messages: 16 random bytes are not UTF-8
        crypto.decrypt_message(base64.b64encode(damaged).decode())
