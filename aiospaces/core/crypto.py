"""AES-CBC encryption exactly as PubNub does it: the legacy cryptor and the PNED/ACRH cryptor.

Two cryptors, both AES-256-CBC with PKCS#7 padding:

- [LegacyCryptor][aiospaces.core.crypto.LegacyCryptor], id ``0000``: the key is the ASCII of the
  first 32 hex digits of ``sha256(cipher_key)``; the output is ``IV(16) || ciphertext`` with a
  random IV, or just the ciphertext under the fixed IV ``0123456789012345``.
- [AesCbcCryptor][aiospaces.core.crypto.AesCbcCryptor], id ``ACRH``: the key is the raw
  ``sha256(cipher_key)`` digest; the output is a ``PNED`` header carrying the random IV, then
  the ciphertext.

A [CryptoModule][aiospaces.core.crypto.CryptoModule] holds both: it encrypts with its default
cryptor and decrypts anything, picking the cryptor from the ``PNED`` header and falling back to
the legacy one when there is none. Files are raw bytes; messages are the JSON text, encrypted,
in standard base64:

```python
crypto = CryptoModule("my-cipher-key")                  # ACRH; default="legacy" for 0000
blob = crypto.encrypt(b"file content")                  # len(blob) == crypto.encrypted_size(12)
assert crypto.decrypt(blob) == b"file content"
text = crypto.encrypt_message({"text": "hi"})           # "UE5FRAFBQ1JI..."
assert crypto.decrypt_message(text) == {"text": "hi"}
```

[Encryptor][aiospaces.core.crypto.Encryptor] and [Decryptor][aiospaces.core.crypto.Decryptor]
stream: they keep at most one block (and, while sniffing, the header) between calls, so files
of any size are processed in constant memory. Wrong keys, bad padding, truncated data and
unknown cryptors raise [DecryptionError][aiospaces.core.errors.DecryptionError]; ciphertext is
never handed back as if it were plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from aiospaces.core.errors import CryptoError, DecryptionError, ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import CipherContext

__all__ = [
    "ACRH_ID",
    "BLOCK_SIZE",
    "LEGACY_ID",
    "LEGACY_STATIC_IV",
    "AesCbcCryptor",
    "CryptoModule",
    "Cryptor",
    "Decryptor",
    "Encryptor",
    "LegacyCryptor",
    "decode_header",
    "encode_header",
]

BLOCK_SIZE: Final = 16
"""The AES block size; also the size of every IV."""
LEGACY_ID: Final = b"0000"
"""Cryptor id of the legacy cryptor (it never writes a header)."""
ACRH_ID: Final = b"ACRH"
"""Cryptor id of the AES-CBC cryptor with a ``PNED`` header."""
LEGACY_STATIC_IV: Final = b"0123456789012345"
"""The fixed IV of the legacy cryptor when random IVs are off (it is not written out)."""

_SENTINEL: Final = b"PNED"
_HEADER_VERSION: Final = 1
_MAX_METADATA: Final = 0xFFFF
# One message for every failure a padding oracle could tell apart (wrong key, bad padding,
# truncated ciphertext): callers learn only that decryption failed.
_FAILED: Final = "decryption failed: wrong key or corrupted or truncated data"


class Encryptor:
    """Streaming AES-256-CBC encryption with PKCS#7 padding and an optional output prefix.

    The first output (of [update][aiospaces.core.crypto.Encryptor.update] or, with no updates,
    of [finalize][aiospaces.core.crypto.Encryptor.finalize]) starts with the prefix (the IV or
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
    """One encryption algorithm: its id, its output size and a fresh encryptor."""

    id: bytes
    """The 4-byte cryptor id (``b"0000"`` or ``b"ACRH"``)."""

    def encrypted_size(self, plaintext_size: int) -> int:
        """Return the exact size of the encrypted output, IV and header included."""
        ...

    def encryptor(self, iv: bytes | None = None) -> Encryptor:
        """Return a streaming encryptor; a fresh random IV is used when ``iv`` is None."""
        ...


def _check_key(cipher_key: str) -> bytes:
    if not isinstance(cipher_key, str) or not cipher_key:
        raise ValidationError("cipher_key must be a non-empty str")
    return cipher_key.encode("utf-8")


def _check_iv(iv: bytes) -> bytes:
    if not isinstance(iv, bytes | bytearray) or len(iv) != BLOCK_SIZE:
        raise ValidationError(f"iv must be {BLOCK_SIZE} bytes")
    return bytes(iv)


def _padded_size(plaintext_size: int) -> int:
    if isinstance(plaintext_size, bool) or not isinstance(plaintext_size, int):
        raise ValidationError(f"size must be an int >= 0, not {plaintext_size!r}")
    if plaintext_size < 0:
        raise ValidationError(f"size must be an int >= 0, not {plaintext_size!r}")
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

    def _iv_prefix_size(self) -> int:
        return BLOCK_SIZE if self._random_iv else 0

    def _decryptor(self, metadata: bytes, prefix: bytes) -> CipherContext:
        # A legacy cryptor in a PNED header (no SDK writes one) is read like a bare payload.
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

    def _iv_prefix_size(self) -> int:
        return 0

    def _decryptor(self, metadata: bytes, prefix: bytes) -> CipherContext:
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
    return _SENTINEL + bytes((_HEADER_VERSION,)) + bytes(cryptor_id) + length + bytes(metadata)


def _header_size(data: bytes) -> int:
    """Bytes the header starting ``data`` needs (a lower bound while the length is unread)."""
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
    if data[:4] != _SENTINEL:
        return None
    if len(data) > 4 and data[4] != _HEADER_VERSION:
        raise DecryptionError(f"unknown crypto header version {data[4]}")
    size = _header_size(data)
    if len(data) < size:
        raise DecryptionError("the crypto header is truncated")
    start = 12 if data[9] == 0xFF else 10
    return bytes(data[5:9]), bytes(data[start:size]), size


class Decryptor:
    """Streaming decryption that reads the ``PNED`` header to pick the cryptor.

    Input is buffered only until the cryptor and IV are known: with a ``PNED`` header its
    cryptor id picks the cryptor; without one the legacy cryptor is used (its IV read from the
    first 16 bytes, or fixed, as it is configured). After that at most one block is held back,
    the one whose padding [finalize][aiospaces.core.crypto.Decryptor.finalize] strips. Get one
    from [CryptoModule.decryptor][aiospaces.core.crypto.CryptoModule.decryptor].

    Args:
        *cryptors: The cryptors it may use; data without a header needs a legacy one.
    """

    __slots__ = ("_buf", "_cipher", "_cryptor", "_cryptors", "_done", "_metadata", "_tail")

    def __init__(self, *cryptors: LegacyCryptor | AesCbcCryptor) -> None:
        self._cryptors = {cryptor.id: cryptor for cryptor in cryptors}
        self._cryptor: LegacyCryptor | AesCbcCryptor | None = None
        self._metadata = b""
        self._cipher: CipherContext | None = None
        self._buf = b""
        self._tail = b""
        self._done = False

    def __repr__(self) -> str:
        ids = ", ".join(cryptor_id.decode("ascii") for cryptor_id in self._cryptors)
        return f"<Decryptor [{ids}] cryptor={self.cryptor_id!r}>"

    @property
    def cryptor_id(self) -> bytes | None:
        """The id of the cryptor in use, once the start of the data told it (else None)."""
        return self._cryptor.id if self._cryptor is not None else None

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        """Decrypt the next piece of input; return the plaintext ready so far.

        Raises:
            DecryptionError: The header names an unknown cryptor or header version.
            CryptoError: The decryptor was already finalized.
        """
        if self._done:
            raise CryptoError("the decryptor was already finalized")
        if self._cipher is not None:
            return self._feed(data)
        self._buf += data
        if not self._start(final=False):
            return b""
        rest, self._buf = self._buf, b""
        return self._feed(rest)

    def finalize(self) -> bytes:
        """Check and strip the padding; return the last plaintext bytes.

        Raises:
            DecryptionError: Wrong key or corrupted data (bad padding), truncated data, or an
                unknown cryptor or header version.
            CryptoError: The decryptor was already finalized.
        """
        if self._done:
            raise CryptoError("the decryptor was already finalized")
        self._done = True
        out = b""
        if self._cipher is None:
            self._start(final=True)
            rest, self._buf = self._buf, b""
            out = self._feed(rest)
        assert self._cipher is not None  # noqa: S101 - _start(final=True) sets it or raises
        try:
            self._cipher.finalize()  # CBC keeps nothing back; this checks the length
        except ValueError:
            raise DecryptionError(_FAILED) from None
        if len(self._tail) != BLOCK_SIZE:
            raise DecryptionError(_FAILED)
        unpadder = padding.PKCS7(BLOCK_SIZE * 8).unpadder()
        try:
            last = unpadder.update(self._tail) + unpadder.finalize()
        except ValueError:
            raise DecryptionError(_FAILED) from None
        self._tail = b""
        return out + last

    def _start(self, *, final: bool) -> bool:
        """Pick the cryptor and IV from the buffered input once there is enough of it."""
        buf = self._buf
        if self._cryptor is None:
            if not final and len(buf) < 4 and _SENTINEL.startswith(buf):
                return False
            if buf[:4] == _SENTINEL:
                if len(buf) > 4 and buf[4] != _HEADER_VERSION:
                    raise DecryptionError(f"unknown crypto header version {buf[4]}")
                if len(buf) < _header_size(buf):
                    if final:
                        raise DecryptionError("the crypto header is truncated")
                    return False
                header = decode_header(buf)
                assert header is not None  # noqa: S101 - the sentinel was checked above
                cryptor_id, self._metadata, size = header
                buf = self._buf = buf[size:]
            else:
                cryptor_id = LEGACY_ID
            cryptor = self._cryptors.get(cryptor_id)
            if cryptor is None:
                raise DecryptionError(f"unknown cryptor {cryptor_id!r}")
            self._cryptor = cryptor
        prefix = self._cryptor._iv_prefix_size()
        if len(buf) < prefix:
            if final:
                raise DecryptionError(_FAILED)
            return False
        self._cipher = self._cryptor._decryptor(self._metadata, buf[:prefix])
        self._buf = buf[prefix:]
        return True

    def _feed(self, data: bytes | bytearray | memoryview) -> bytes:
        assert self._cipher is not None  # noqa: S101 - only called once started
        out = self._cipher.update(data)
        if not out:
            return b""
        if self._tail:
            out = self._tail + out
        self._tail = out[-BLOCK_SIZE:]
        return out[:-BLOCK_SIZE]


class CryptoModule:
    """Encrypt with one cryptor, decrypt with either: what clients holding a cipher key use.

    Like PubNub's ``AesCbcCryptoModule`` (``default="aescbc"``) and ``LegacyCryptoModule``
    (``default="legacy"``): both cryptors are registered for decryption; the default one
    encrypts. The key itself is not kept, only the derived AES keys, and never shown in a repr.

    Args:
        cipher_key: The shared secret.
        default: ``"aescbc"`` (``ACRH``, with a ``PNED`` header) or ``"legacy"`` (``0000``).
        use_random_iv: For the legacy cryptor: random IVs written before the ciphertext (the
            default), or the fixed IV and none written. Applies when decrypting too.

    Raises:
        ValidationError: ``cipher_key`` is empty or ``default`` is unknown.
    """

    __slots__ = ("aescbc", "cryptor", "legacy")

    def __init__(
        self,
        cipher_key: str,
        *,
        default: Literal["aescbc", "legacy"] = "aescbc",
        use_random_iv: bool = True,
    ) -> None:
        if default not in ("aescbc", "legacy"):
            raise ValidationError(f"default must be 'aescbc' or 'legacy', not {default!r}")
        self.legacy = LegacyCryptor(cipher_key, use_random_iv=use_random_iv)
        """The legacy ``0000`` cryptor."""
        self.aescbc = AesCbcCryptor(cipher_key)
        """The ``ACRH`` cryptor."""
        self.cryptor: Cryptor = self.aescbc if default == "aescbc" else self.legacy
        """The cryptor used for encrypting."""

    def __repr__(self) -> str:
        default = "aescbc" if self.cryptor is self.aescbc else "legacy"
        return f"CryptoModule(default={default!r}, use_random_iv={self.legacy.use_random_iv})"

    def encrypted_size(self, size: int) -> int:
        """Return the exact size of ``encrypt()``'s output for ``size`` bytes of input.

        Raises:
            ValidationError: The size is negative.
        """
        return self.cryptor.encrypted_size(size)

    def encryptor(self) -> Encryptor:
        """Return a streaming encryptor of the default cryptor, with a fresh random IV."""
        return self.cryptor.encryptor()

    def decryptor(self) -> Decryptor:
        """Return a streaming decryptor that reads the header to pick the cryptor."""
        return Decryptor(self.legacy, self.aescbc)

    def encrypt(self, data: bytes | bytearray | memoryview) -> bytes:
        """Return ``data`` encrypted with the default cryptor (a file's stored form)."""
        encryptor = self.cryptor.encryptor()
        return encryptor.update(data) + encryptor.finalize()

    def decrypt(self, data: bytes | bytearray | memoryview) -> bytes:
        """Return the plaintext of ``data``, encrypted by either cryptor.

        Raises:
            DecryptionError: Wrong key, corrupted or truncated data, or an unknown cryptor.
        """
        decryptor = self.decryptor()
        return decryptor.update(data) + decryptor.finalize()

    def encrypt_message(self, message: Any) -> str:
        """Return the message's JSON text (``json.dumps`` defaults) encrypted, in base64.

        Raises:
            TypeError: The message is not JSON-serializable.
        """
        plaintext = json.dumps(message).encode("utf-8")
        return base64.b64encode(self.encrypt(plaintext)).decode("ascii")

    def decrypt_message(self, text: str) -> Any:
        """Return the decrypted message: its JSON value, or the text itself if it is not JSON.

        Raises:
            DecryptionError: Not base64, wrong key, corrupted data, the plaintext is not UTF-8,
                or an unknown cryptor.
        """
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise DecryptionError("the message is not base64") from None
        try:
            plaintext = self.decrypt(data).decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionError(_FAILED) from None
        try:
            return json.loads(plaintext)
        except ValueError:
            return plaintext
