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
