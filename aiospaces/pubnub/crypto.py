"""Encryption as PubNub clients do it: encrypt with one cryptor, decrypt with either.

A [CryptoModule][aiospaces.pubnub.crypto.CryptoModule] holds both
[cryptors][aiospaces.pubnub.cryptors]: it encrypts with its default one and decrypts
anything, picking the cryptor from the ``PNED`` header and falling back to the legacy one
when there is none. Files are raw bytes; messages are the JSON text, encrypted, in standard
base64:

```python
crypto = CryptoModule("my-cipher-key")                  # ACRH; default="legacy" for 0000
blob = crypto.encrypt(b"file content")                  # len(blob) == crypto.encrypted_size(12)
assert crypto.decrypt(blob) == b"file content"
text = crypto.encrypt_message({"text": "hi"})           # "UE5FRAFBQ1JI..."
assert crypto.decrypt_message(text) == {"text": "hi"}
```

A [Decryptor][aiospaces.pubnub.crypto.Decryptor] streams: it keeps at most one block (and,
while sniffing, the header) between calls, so files of any size are processed in constant
memory. Bad padding, truncated data and unknown cryptors raise
[DecryptionError][aiospaces.core.errors.DecryptionError], and so does a wrong key about 254
times in 255; ciphertext is never handed back as if it were plaintext. There is no MAC: most
flipped bits decrypt to wrong bytes (see the encryption guide).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any, Final, Literal

from cryptography.hazmat.primitives import padding

from aiospaces.core import validate
from aiospaces.core.errors import CryptoError, DecryptionError
from aiospaces.pubnub.cryptors import (
    BLOCK_SIZE,
    HEADER_SENTINEL,
    LEGACY_ID,
    AesCbcCryptor,
    Cryptor,
    Encryptor,
    LegacyCryptor,
    decode_header,
    header_size,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import CipherContext

__all__ = ["CryptoModule", "Decryptor"]

# One message for every failure a padding oracle could tell apart (wrong key, bad padding,
# truncated ciphertext): callers learn only that decryption failed.
_FAILED: Final = "decryption failed: wrong key or corrupted or truncated data"


class Decryptor:
    """Streaming decryption that reads the ``PNED`` header to pick the cryptor.

    Input is buffered only until the cryptor and IV are known: with a ``PNED`` header its
    cryptor id picks the cryptor; without one the legacy cryptor is used (its IV read from the
    first 16 bytes, or fixed, as it is configured). After that at most one block is held back,
    the one whose padding [finalize][aiospaces.pubnub.crypto.Decryptor.finalize] strips. Get one
    from [CryptoModule.decryptor][aiospaces.pubnub.crypto.CryptoModule.decryptor].

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
            if not final and len(buf) < 4 and HEADER_SENTINEL.startswith(buf):
                return False
            if buf[:4] == HEADER_SENTINEL:
                if len(buf) < header_size(buf):
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
        prefix = self._cryptor.prefix_size
        if len(buf) < prefix:
            if final:
                raise DecryptionError(_FAILED)
            return False
        self._cipher = self._cryptor.cipher(self._metadata, buf[:prefix])
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
        validate.one_of(default, "default", ("aescbc", "legacy"))
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
