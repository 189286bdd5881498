"""PubNub's two cryptors and its ``PNED`` header: AES-256-CBC with PKCS#7 padding.

- [LegacyCryptor][aiospaces.pubnub.cryptors.LegacyCryptor], id ``0000``: the key is the ASCII
  of the first 32 hex digits of ``sha256(cipher_key)``; the output is ``IV(16) || ciphertext``
  with a random IV, or just the ciphertext under the fixed IV ``0123456789012345``.
- [AesCbcCryptor][aiospaces.pubnub.cryptors.AesCbcCryptor], id ``ACRH``: the key is the raw
  ``sha256(cipher_key)`` digest; the output is a ``PNED`` header carrying the random IV, then
  the ciphertext.

An [Encryptor][aiospaces.pubnub.cryptors.Encryptor] streams: it keeps at most one partial
block between calls. What clients use is the
[CryptoModule][aiospaces.pubnub.crypto.CryptoModule], which holds both cryptors.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Final, Protocol

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from aiospaces.core import validate
from aiospaces.core.errors import CryptoError, DecryptionError, ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import CipherContext

__all__ = [
    "ACRH_ID",
    "BLOCK_SIZE",
    "HEADER_SENTINEL",
    "LEGACY_ID",
    "LEGACY_STATIC_IV",
    "AesCbcCryptor",
    "Cryptor",
    "Encryptor",
    "LegacyCryptor",
    "decode_header",
    "encode_header",
    "header_size",
]

BLOCK_SIZE: Final = 16
"""The AES block size; also the size of every IV."""
LEGACY_ID: Final = b"0000"
"""Cryptor id of the legacy cryptor (it never writes a header)."""
ACRH_ID: Final = b"ACRH"
"""Cryptor id of the AES-CBC cryptor with a ``PNED`` header."""
LEGACY_STATIC_IV: Final = b"0123456789012345"
"""The fixed IV of the legacy cryptor when random IVs are off (it is not written out)."""

HEADER_SENTINEL: Final = b"PNED"
"""The first four bytes of a crypto header."""

_HEADER_VERSION: Final = 1
_MAX_METADATA: Final = 0xFFFF


class Encryptor:
    """Streaming AES-256-CBC encryption with PKCS#7 padding and an optional output prefix.

    The first output (of [update][aiospaces.pubnub.cryptors.Encryptor.update] or, with no updates,
    of [finalize][aiospaces.pubnub.cryptors.Encryptor.finalize]) starts with the prefix (the IV or
    the ``PNED`` header); all outputs concatenated equal the one-shot encryption. At most one
    partial block is kept between calls. Get one from a cryptor's ``encryptor()``.

    Args:
        key: The 32-byte AES key.
        iv: The 16-byte IV.
        prefix: Bytes to emit before the ciphertext.
    """

    __slots__ = ("_cipher", "_done", "_prefix", "_size")

    def __init__(self, key: bytes, iv: bytes, prefix: bytes = b"") -> None:
        self._cipher: CipherContext = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        self._prefix = prefix
        self._size = 0
        self._done = False

    def __repr__(self) -> str:
        return f"<Encryptor {self._size} bytes in{', finalized' if self._done else ''}>"

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        """Encrypt the next piece of plaintext; return the ciphertext ready so far.

        Raises:
            CryptoError: The encryptor was already finalized.
        """
        if self._done:
            raise CryptoError("the encryptor was already finalized")
        self._size += len(data)
        out = self._cipher.update(data)
        if self._prefix:
            out, self._prefix = self._prefix + out, b""
        return out

    def finalize(self) -> bytes:
        """Pad, encrypt what is left and return the last ciphertext bytes.

        Raises:
            CryptoError: The encryptor was already finalized.
        """
        if self._done:
            raise CryptoError("the encryptor was already finalized")
        self._done = True
        pad = BLOCK_SIZE - self._size % BLOCK_SIZE
        out = self._cipher.update(bytes((pad,)) * pad) + self._cipher.finalize()
        if self._prefix:
            out, self._prefix = self._prefix + out, b""
        return out


class Cryptor(Protocol):
    """One encryption algorithm: its id, its output size, an encryptor and a decryption."""

    id: bytes
    """The 4-byte cryptor id (``b"0000"`` or ``b"ACRH"``)."""

    @property
    def prefix_size(self) -> int:
        """Bytes before the ciphertext that carry the IV (outside any header)."""
        ...

    def encrypted_size(self, plaintext_size: int) -> int:
        """Return the exact size of the encrypted output, IV and header included."""
        ...

    def encryptor(self, iv: bytes | None = None) -> Encryptor:
        """Return a streaming encryptor; a fresh random IV is used when ``iv`` is None."""
        ...

    def cipher(self, metadata: bytes, prefix: bytes) -> CipherContext:
        """Return the AES-CBC decryption context for a payload's header metadata and prefix."""
        ...


def _check_key(cipher_key: str) -> bytes:
    return validate.secret(cipher_key, "cipher_key").encode("utf-8")


def _check_iv(iv: bytes) -> bytes:
    if not isinstance(iv, bytes | bytearray) or len(iv) != BLOCK_SIZE:
        raise ValidationError(f"iv must be {BLOCK_SIZE} bytes")
    return bytes(iv)


def _padded_size(plaintext_size: int) -> int:
    validate.integer(plaintext_size, "size", minimum=0)
    return (plaintext_size // BLOCK_SIZE + 1) * BLOCK_SIZE


class LegacyCryptor:
    """The legacy cryptor ``0000``: no header; ``IV || ciphertext``, or a fixed IV.

    The AES-256 key is the ASCII of the first 32 hex digits of ``sha256(cipher_key)`` (so only
    128 bits of it are secret), as every PubNub SDK does it.

    Args:
        cipher_key: The shared secret.
        use_random_iv: Encrypt with a random IV written before the ciphertext (the default,
            and what files always use in other SDKs); if False, use the fixed IV
            ``0123456789012345`` and write no IV. Decryption follows the same setting.

    Raises:
        ValidationError: ``cipher_key`` is empty.
    """

    id: bytes = LEGACY_ID
    __slots__ = ("_key", "_random_iv")

    def __init__(self, cipher_key: str, *, use_random_iv: bool = True) -> None:
        secret = hashlib.sha256(_check_key(cipher_key)).hexdigest()[:32]
        self._key = secret.encode("ascii")
        self._random_iv = bool(use_random_iv)

    def __repr__(self) -> str:
        return f"LegacyCryptor(use_random_iv={self._random_iv})"

    @property
    def use_random_iv(self) -> bool:
        """Whether a random IV is used and written before the ciphertext."""
        return self._random_iv

    def encrypted_size(self, plaintext_size: int) -> int:
        """Return the exact size of the output: the padded ciphertext plus the IV, if written.

        Raises:
            ValidationError: The size is negative.
        """
        return (BLOCK_SIZE if self._random_iv else 0) + _padded_size(plaintext_size)

    def encryptor(self, iv: bytes | None = None) -> Encryptor:
        """Return a streaming encryptor whose output starts with the IV (random IVs only).

        Args:
            iv: The IV to use instead of a fresh random one (for test vectors). With fixed
                IVs only ``LEGACY_STATIC_IV`` is accepted.

        Raises:
            ValidationError: ``iv`` is not 16 bytes, or not the fixed IV when random IVs are off.
        """
        if not self._random_iv:
            if iv is not None and bytes(iv) != LEGACY_STATIC_IV:
                raise ValidationError("a fixed-IV legacy cryptor only encrypts with the fixed IV")
            return Encryptor(self._key, LEGACY_STATIC_IV)
        iv = secrets.token_bytes(BLOCK_SIZE) if iv is None else _check_iv(iv)
        return Encryptor(self._key, iv, iv)

    @property
    def prefix_size(self) -> int:
        """The IV written before the ciphertext: 16 bytes with random IVs, else none."""
        return BLOCK_SIZE if self._random_iv else 0

    def cipher(self, metadata: bytes, prefix: bytes) -> CipherContext:
        """Return the decryption context; ``prefix`` is the IV (random IVs) or unused.

        A legacy cryptor in a PNED header (no SDK writes one) is read like a bare payload.
        """
        iv = prefix if self._random_iv else LEGACY_STATIC_IV
        return Cipher(algorithms.AES(self._key), modes.CBC(iv)).decryptor()


class AesCbcCryptor:
    """The ``ACRH`` cryptor: a ``PNED`` header carrying a random IV, then AES-256-CBC.

    The key is the raw 32-byte ``sha256(cipher_key)`` digest. The header is
    ``PNED 01 ACRH 10 <IV>``: 26 bytes.

    Args:
        cipher_key: The shared secret.

    Raises:
        ValidationError: ``cipher_key`` is empty.
    """

    id: bytes = ACRH_ID
    __slots__ = ("_key",)

    def __init__(self, cipher_key: str) -> None:
        self._key = hashlib.sha256(_check_key(cipher_key)).digest()

    def __repr__(self) -> str:
        return "AesCbcCryptor()"

    def encrypted_size(self, plaintext_size: int) -> int:
        """Return the exact size of the output: 26 header bytes plus the padded ciphertext.

        Raises:
            ValidationError: The size is negative.
        """
        return 10 + BLOCK_SIZE + _padded_size(plaintext_size)

    def encryptor(self, iv: bytes | None = None) -> Encryptor:
        """Return a streaming encryptor whose output starts with the ``PNED`` header.

        Args:
            iv: The IV to use instead of a fresh random one (for test vectors).

        Raises:
            ValidationError: ``iv`` is not 16 bytes.
        """
        iv = secrets.token_bytes(BLOCK_SIZE) if iv is None else _check_iv(iv)
        return Encryptor(self._key, iv, encode_header(ACRH_ID, iv))

    prefix_size = 0
    """The IV travels in the header, so nothing precedes the ciphertext."""

    def cipher(self, metadata: bytes, prefix: bytes) -> CipherContext:
        """Return the decryption context for the IV the header carries.

        Raises:
            DecryptionError: The header does not carry a 16-byte IV.
        """
        if len(metadata) != BLOCK_SIZE:
            raise DecryptionError(f"an ACRH header carries a 16-byte IV, not {len(metadata)}")
        return Cipher(algorithms.AES(self._key), modes.CBC(metadata)).decryptor()


def encode_header(cryptor_id: bytes, metadata: bytes) -> bytes:
    """Return the ``PNED`` header for a cryptor and its metadata (empty for the legacy one).

    The layout is ``PNED``, version ``0x01``, the 4-byte id, then the metadata length (one
    byte below 255, else ``0xFF`` and two big-endian bytes) and the metadata.

    Raises:
        CryptoError: The id is not 4 bytes or the metadata is longer than 65535 bytes.
    """
    if cryptor_id == LEGACY_ID:
        return b""
    if len(cryptor_id) != 4:
        raise CryptoError(f"a cryptor id is 4 bytes, not {cryptor_id!r}")
    size = len(metadata)
    if size > _MAX_METADATA:
        raise CryptoError(f"cryptor metadata is at most {_MAX_METADATA} bytes, not {size}")
    length = bytes((size,)) if size < 0xFF else b"\xff" + size.to_bytes(2, "big")
    return (
        HEADER_SENTINEL + bytes((_HEADER_VERSION,)) + bytes(cryptor_id) + length + bytes(metadata)
    )


def header_size(data: bytes) -> int:
    """Return the bytes the header starting ``data`` needs (a lower bound until it is read).

    Raises:
        DecryptionError: The header is of an unknown version.
    """
    if len(data) > 4 and data[4] != _HEADER_VERSION:
        raise DecryptionError(f"unknown crypto header version {data[4]}")
    if len(data) < 10:
        return 10
    if data[9] < 0xFF:
        return 10 + data[9]
    if len(data) < 12:
        return 12
    return 12 + int.from_bytes(data[10:12], "big")


def decode_header(data: bytes) -> tuple[bytes, bytes, int] | None:
    """Return ``(cryptor_id, metadata, header_length)``, or None without a ``PNED`` sentinel.

    Raises:
        DecryptionError: The header is truncated or of an unknown version.
    """
    if data[:4] != HEADER_SENTINEL:
        return None
    size = header_size(data)
    if len(data) < size:
        raise DecryptionError("the crypto header is truncated")
    start = 12 if data[9] == 0xFF else 10
    return bytes(data[5:9]), bytes(data[start:size]), size
