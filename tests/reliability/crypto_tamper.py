"""What PubNub's AES-CBC formats detect when encrypted data is damaged: a table of trials.

Neither format carries a MAC, so decryption notices damage only through the structure around
the ciphertext (the ``PNED`` header, whole 16-byte blocks) and the PKCS#7 padding of the last
block. Each row damages freshly encrypted data in one way, ``trials`` times (new data, IV, bit
position each time, from a seeded generator), and counts what decryption did: raise
[DecryptionError][aiospaces.core.errors.DecryptionError] or return wrong bytes. It also records
how many plaintext bytes a streaming [Decryptor][aiospaces.pubnub.crypto.Decryptor] had already
handed out before it raised: what ``.stream()`` yields before the error.

``tamper_table()`` is what ``tests/reliability/test_crypto_tamper.py`` checks against each
row's claim (what docs/encryption.md says) and what the reliability benchmark prints with
``render()``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final, Literal

import attrs

from aiospaces.core.errors import DecryptionError
from aiospaces.pubnub.crypto import CryptoModule
from aiospaces.pubnub.cryptors import BLOCK_SIZE

__all__ = ["CRYPTORS", "PLAINTEXT_SIZE", "Claim", "TamperRow", "render", "tamper_table"]

Claim = Literal["always", "mostly", "never"]
"""How often the docs say the damage raises: every time, all but ≈ 1 in 255, or never."""

CRYPTORS: Final = ("ACRH", "legacy", "legacy, fixed IV")
"""The formats in the table: ``PNED``/``ACRH``, legacy ``0000`` with a random IV, and without."""

PLAINTEXT_SIZE: Final = 100
"""Bytes of random plaintext per trial: six full blocks, then 4 data bytes + 12 of padding."""

_KEY: Final = "tamper-key"
_MOSTLY: Final = 0.98  # a "mostly" row must raise in at least this share of its trials


@attrs.frozen
class TamperRow:
    """One kind of damage done to one format, tried ``trials`` times.

    Attributes:
        cryptor: The format (one of ``CRYPTORS``).
        tamper: What was done to the encrypted bytes.
        claim: How often the docs say it raises ``DecryptionError``.
        trials: How often it was tried.
        detected: Trials that raised ``DecryptionError``.
        wrong: Trials that returned bytes other than the plaintext, without an error.
        released: The most plaintext bytes a streaming decryptor yielded before it raised
            (0 when nothing raised).
    """

    cryptor: str
    tamper: str
    claim: Claim
    trials: int
    detected: int
    wrong: int
    released: int

    @property
    def share(self) -> float:
        """The share of trials that raised ``DecryptionError``."""
        return self.detected / self.trials

    @property
    def holds(self) -> bool:
        """Whether the trials agree with the claim (and nothing decrypted unharmed)."""
        if self.detected + self.wrong != self.trials:
            return False  # some damage went unnoticed *and* did no harm: the row is wrong
        if self.claim == "always":
            return self.detected == self.trials
        if self.claim == "never":
            return self.detected == 0
        return self.share >= _MOSTLY


@attrs.frozen
class _Sample:
    """One encryption: the module that made it, its plaintext, its bytes and their layout."""

    crypto: CryptoModule
    plain: bytes
    blob: bytes
    prefix: int  # bytes before the first ciphertext block (header and IV)
    header: int  # bytes of the PNED header before the IV (ACRH only)

    def block(self, index: int) -> slice:
        """Return the byte range of ciphertext block ``index`` (negative counts from the end)."""
        count = (len(self.blob) - self.prefix) // BLOCK_SIZE
        start = self.prefix + (index % count) * BLOCK_SIZE
        return slice(start, start + BLOCK_SIZE)


_Tamper = Callable[[_Sample, random.Random], bytes]


def _flip(blob: bytes, at: int, rng: random.Random) -> bytes:
    out = bytearray(blob)
    out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def _flip_in(region: Callable[[_Sample], range]) -> _Tamper:
    def tamper(sample: _Sample, rng: random.Random) -> bytes:
        return _flip(sample.blob, rng.choice(region(sample)), rng)

    return tamper


def _block(index: int, first: int = 0, last: int = BLOCK_SIZE) -> Callable[[_Sample], range]:
    """Bytes ``first:last`` of ciphertext block ``index``."""

    def region(sample: _Sample) -> range:
        start = sample.block(index).start
        return range(start + first, start + last)

    return region


_DATA_IN_LAST: Final = PLAINTEXT_SIZE % BLOCK_SIZE  # data bytes in the last block (4)
# a bit flipped in the 2nd-last block is flipped in the same place of the last block's plaintext
_OVER_DATA: Final = _block(-2, 0, _DATA_IN_LAST)
_OVER_PADDING: Final = _block(-2, _DATA_IN_LAST)


def _swap(sample: _Sample, rng: random.Random) -> bytes:
    blob, one, two = sample.blob, sample.block(1), sample.block(3)
    return blob[: one.start] + blob[two] + blob[one.stop : two.start] + blob[one] + blob[two.stop :]


def _drop(sample: _Sample, rng: random.Random) -> bytes:
    middle = sample.block(3)
    return sample.blob[: middle.start] + sample.blob[middle.stop :]


def _splice(sample: _Sample, rng: random.Random) -> bytes:
    return sample.blob + sample.blob[sample.block(-2).start :]


def _truncate(sample: _Sample, rng: random.Random) -> bytes:
    return sample.blob[: -rng.randrange(1, BLOCK_SIZE)]


def _append(sample: _Sample, rng: random.Random) -> bytes:
    return sample.blob + rng.randbytes(rng.randrange(1, BLOCK_SIZE))


def _wrong_key(sample: _Sample, rng: random.Random) -> bytes:
    return sample.blob  # decrypted by a module with another key: see _row


# (what is done, the claim, what the format must have: a PNED header or an IV, the tamper)
_ROWS: Final[list[tuple[str, Claim, Literal["header", "iv", ""], _Tamper]]] = [
    ("flip a bit in the PNED header", "always", "header", _flip_in(lambda s: range(s.header))),
    ("flip a bit in the IV", "never", "iv", _flip_in(lambda s: range(s.header, s.prefix))),
    ("flip a bit in the first block", "never", "", _flip_in(_block(0))),
    ("flip a bit in a middle block", "never", "", _flip_in(_block(3))),
    ("flip a bit in the 2nd-last block, over data", "never", "", _flip_in(_OVER_DATA)),
    ("flip a bit in the 2nd-last block, over padding", "always", "", _flip_in(_OVER_PADDING)),
    ("flip a bit in the last block", "mostly", "", _flip_in(_block(-1))),
    ("swap two middle blocks", "never", "", _swap),
    ("drop a middle block", "never", "", _drop),
    ("append a copy of the last two blocks", "never", "", _splice),
    ("truncate by 1-15 bytes", "always", "", _truncate),
    ("truncate by a whole block", "mostly", "", lambda s, rng: s.blob[:-BLOCK_SIZE]),
    ("remove every ciphertext block", "always", "", lambda s, rng: s.blob[: s.prefix]),
    ("append 1-15 bytes", "always", "", _append),
    ("append a random block", "mostly", "", lambda s, rng: s.blob + rng.randbytes(BLOCK_SIZE)),
    ("decrypt with a wrong key", "mostly", "", _wrong_key),
]  # fmt: skip


def _module(cryptor: str, key: str) -> CryptoModule:
    if cryptor == "ACRH":
        return CryptoModule(key)
    return CryptoModule(key, default="legacy", use_random_iv=cryptor == "legacy")


def _encrypt(cryptor: str, rng: random.Random) -> _Sample:
    crypto = _module(cryptor, _KEY)
    plain = rng.randbytes(PLAINTEXT_SIZE)
    iv = rng.randbytes(BLOCK_SIZE)
    if cryptor == "ACRH":
        encryptor, prefix, header = crypto.aescbc.encryptor(iv), 26, 10
    elif cryptor == "legacy":
        encryptor, prefix, header = crypto.legacy.encryptor(iv), BLOCK_SIZE, 0
    else:
        encryptor, prefix, header = crypto.legacy.encryptor(), 0, 0
    blob = encryptor.update(plain) + encryptor.finalize()
    return _Sample(crypto, plain, blob, prefix, header)


def _decrypt(crypto: CryptoModule, blob: bytes) -> tuple[bytes | None, int]:
    """Stream ``blob`` through a decryptor a block at a time: (plaintext or None, released).

    The one-shot ``decrypt`` must agree with the stream, or the table is wrong.
    """
    try:
        whole: bytes | None = crypto.decrypt(blob)
    except DecryptionError:
        whole = None
    decryptor = crypto.decryptor()
    pieces = []
    try:
        for start in range(0, len(blob), BLOCK_SIZE):
            pieces.append(decryptor.update(blob[start : start + BLOCK_SIZE]))
        pieces.append(decryptor.finalize())
    except DecryptionError:
        if whole is not None:
            raise AssertionError("a stream raised where one-shot decryption did not") from None
        return None, sum(map(len, pieces))
    if whole != b"".join(pieces):
        raise AssertionError("streamed and one-shot decryption disagree")
    return whole, 0


def _row(
    cryptor: str, tamper: str, claim: Claim, make: _Tamper, trials: int, seed: int
) -> TamperRow:
    rng = random.Random(f"{seed}/{cryptor}/{tamper}")  # noqa: S311 - reproducible trials
    reader = _module(cryptor, "another-key") if make is _wrong_key else None
    detected = wrong = released = 0
    for _ in range(trials):
        sample = _encrypt(cryptor, rng)
        plain, shown = _decrypt(reader or sample.crypto, make(sample, rng))
        if plain is None:
            detected += 1
            released = max(released, shown)
        elif plain != sample.plain:
            wrong += 1
    return TamperRow(cryptor, tamper, claim, trials, detected, wrong, released)


def tamper_table(trials: int = 200, seed: int = 19) -> list[TamperRow]:
    """Return one row per format and kind of damage, each tried ``trials`` times.

    The trials are seeded: the same arguments give the same table. Damage to a part a format
    does not have (legacy data has no header; with a fixed IV, no IV either) is left out.
    """
    rows = []
    for cryptor in CRYPTORS:
        for tamper, claim, needs, make in _ROWS:
            if (needs == "header" and cryptor != "ACRH") or (
                needs == "iv" and cryptor == "legacy, fixed IV"
            ):
                continue
            rows.append(_row(cryptor, tamper, claim, make, trials, seed))
    return rows


def render(rows: list[TamperRow]) -> str:
    """Return the table as aligned text, one line per row."""
    head = (
        "cryptor",
        "damage",
        "raised",
        "wrong bytes",
        "yielded before raising",
        "claim",
        "holds",
    )
    lines = [head]
    for row in rows:
        lines.append(
            (
                row.cryptor,
                row.tamper,
                f"{row.detected}/{row.trials} ({row.share:.1%})",
                str(row.wrong),
                f"up to {row.released} B" if row.detected else "-",
                row.claim,
                "yes" if row.holds else "NO",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
