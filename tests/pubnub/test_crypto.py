from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiospaces.core.errors import CryptoError, DecryptionError, ValidationError
from aiospaces.pubnub.crypto import CryptoModule, Decryptor
from aiospaces.pubnub.cryptors import (
    ACRH_ID,
    LEGACY_ID,
    LEGACY_STATIC_IV,
    AesCbcCryptor,
    Cryptor,
    Encryptor,
    LegacyCryptor,
    decode_header,
    encode_header,
)

KEY = "myCipherKey"
ZERO_IV = bytes(16)
KNIGHTS_IV = b"knightsofni12345"


def one_shot(encryptor: Encryptor, data: bytes) -> bytes:
    return encryptor.update(data) + encryptor.finalize()


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces, start = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return pieces


def modules() -> list[CryptoModule]:
    return [
        CryptoModule(KEY),
        CryptoModule(KEY, default="legacy"),
        CryptoModule(KEY, default="legacy", use_random_iv=False),
    ]


# --- pubnub.md §4.5 vectors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "use_random_iv", "text", "expected"),
    [
        # legacy, fixed IV (tests/unit/test_crypto.py): the plaintext is a JSON string
        ("testKey", False, "QfD1NCBJCmt1aPPGU2cshw==", "hey-0"),
        (
            KEY,
            True,
            "T3J9iXI87PG9YY/lhuwmGRZsJgA5y8sFLtUpdFmNgrU1IAitgAkVok6YP7lacBiVhBJSJw39lXCHOLxl2d98Bg==",
            "Hello world encrypted with legacyModuleRandomIv",
        ),
        (
            KEY,
            False,
            "OtYBNABjeAZ9X4A91FQLFBo4th8et/pIAsiafUSw2+L8iWqJlte8x/eCL5cyjzQa",
            "Hello world encrypted with legacyModuleStaticIv",
        ),
        (
            KEY,
            True,
            "UE5FRAFBQ1JIEKzlyoyC/jB1hrjCPY7zm+X2f7skPd0LBocV74cRYdrkRQ2BPKeA22gX/98pMqvcZtFB6TCGp3Zf"
            "1M8F730nlfk=",
            "Hello world encrypted with aesCbcModule",
        ),
        # PHP cross-checks
        (
            KEY,
            False,
            "KGc+SNJD7mIveY+KNIL/L9ZzAjC0dCJCju+HXRwSW2k=",
            "PHP can backwards Legacy static",
        ),
        (
            KEY,
            True,
            "PXjHv0L05kgj0mqIE9s7n4LDPrLtjnfamMoHyiMoL0R1uzSMsYp7dDfqEWrnoaqS",
            "PHP can backwards Legacy random",
        ),
        (
            KEY,
            True,
            "UE5FRAFBQ1JIEHvl3cY3RYsHnbKm6VR51XG/Y7HodnkumKHxo+mrsxbIjZvFpVuILQ0oZysVwjNsDNMKiMfZteoJ"
            "8P1/mvPmbuQKLErBzS2l7vEohCwbmAJODPR2yNhJGB8989reTZ7Y7Q==",
            "PHP can into space with headers and aes cbc and other shiny stuff",
        ),
    ],
)
@pytest.mark.parametrize("default", ["aescbc", "legacy"])
def test_message_vectors_decrypt(
    key: str, use_random_iv: bool, text: str, expected: str, default: str
) -> None:
    module = CryptoModule(key, default=default, use_random_iv=use_random_iv)  # type: ignore[arg-type]
    assert module.decrypt_message(text) == expected


@pytest.mark.parametrize(
    ("key", "use_random_iv", "text", "message"),
    [
        ("testKey", False, "QfD1NCBJCmt1aPPGU2cshw==", "hey-0"),
        (KEY, False, "KGc+SNJD7mIveY+KNIL/L9ZzAjC0dCJCju+HXRwSW2k=", None),
        (KEY, False, "OtYBNABjeAZ9X4A91FQLFBo4th8et/pIAsiafUSw2+L8iWqJlte8x/eCL5cyjzQa", None),
        (KEY, True, "PXjHv0L05kgj0mqIE9s7n4LDPrLtjnfamMoHyiMoL0R1uzSMsYp7dDfqEWrnoaqS", None),
        (
            KEY,
            True,
            "T3J9iXI87PG9YY/lhuwmGRZsJgA5y8sFLtUpdFmNgrU1IAitgAkVok6YP7lacBiVhBJSJw39lXCHOLxl2d98Bg==",
            None,
        ),
    ],
)
def test_legacy_message_vectors_reencrypt_identically(
    key: str, use_random_iv: bool, text: str, message: str | None
) -> None:
    module = CryptoModule(key, default="legacy", use_random_iv=use_random_iv)
    data = base64.b64decode(text)
    plaintext = module.decrypt(data)
    iv = data[:16] if use_random_iv else None
    assert one_shot(module.legacy.encryptor(iv), plaintext) == data
    if message is not None:
        assert module.encrypt_message(message) == text


def test_acrh_message_vectors_reencrypt_identically() -> None:
    module = CryptoModule(KEY)
    for text in [
        "UE5FRAFBQ1JIEKzlyoyC/jB1hrjCPY7zm+X2f7skPd0LBocV74cRYdrkRQ2BPKeA22gX/98pMqvcZtFB6TCGp3Zf"
        "1M8F730nlfk=",
        "UE5FRAFBQ1JIEHvl3cY3RYsHnbKm6VR51XG/Y7HodnkumKHxo+mrsxbIjZvFpVuILQ0oZysVwjNsDNMKiMfZteoJ"
        "8P1/mvPmbuQKLErBzS2l7vEohCwbmAJODPR2yNhJGB8989reTZ7Y7Q==",
    ]:
        data = base64.b64decode(text)
        assert data[:10] == b"PNED\x01ACRH\x10"
        assert one_shot(module.aescbc.encryptor(data[10:26]), module.decrypt(data)) == data


def test_acrh_deterministic_vector_with_zero_iv() -> None:
    module = CryptoModule(KEY)
    data = one_shot(module.aescbc.encryptor(ZERO_IV), b"We are the knights who say NI!")
    assert base64.b64encode(data).decode() == (
        "UE5FRAFBQ1JIEAAAAAAAAAAAAAAAAAAAAABbjKTFb0xLzByXntZkq2G7lHIGg5ZdQd73GwVG6o3ftw=="
    )
    assert module.decrypt_message(base64.b64encode(data).decode()) == (
        "We are the knights who say NI!"
    )


def test_legacy_file_vector() -> None:
    expected = bytes.fromhex(
        "6b6e69676874736f666e693132333435ddd61ef6e8496187a310f1023fd00567"
        "87c5ad9392ab5d8e24fd8723fcd10226"
    )
    module = CryptoModule("testKey", default="legacy")
    assert one_shot(module.legacy.encryptor(KNIGHTS_IV), b"Knights who say Ni!") == expected
    assert module.decrypt(expected) == b"Knights who say Ni!"
    assert module.encrypted_size(19) == 48


def test_legacy_file_message_vector_matches_the_recorded_ends() -> None:
    # The notes keep only both ends of the recorded publish path
    # (%22a25pZ2h0c29mbmkxMjM0NRV4jkZb…AWQD%22); the plaintext, key and IV are complete.
    payload = json.dumps(
        {
            "message": {"test_message": "test"},
            "file": {"id": "b32db05b-b3e6-4530-8b9b-bb01494f8eae", "name": "king_arthur.txt"},
        }
    )
    module = CryptoModule("testKey", default="legacy")
    text = base64.b64encode(one_shot(module.legacy.encryptor(KNIGHTS_IV), payload.encode()))
    path = json.dumps(text.decode())
    assert path.startswith('"a25pZ2h0c29mbmkxMjM0NRV4jkZb')
    assert path.endswith('AWQD"')
    assert module.decrypt_message(text.decode()) == json.loads(payload)


def test_encrypt_message_is_json_with_default_separators() -> None:
    module = CryptoModule(KEY, default="legacy", use_random_iv=False)
    message = {"a": [1, 2], "b": "é"}
    decrypted = module.decrypt(base64.b64decode(module.encrypt_message(message)))
    assert decrypted == b'{"a": [1, 2], "b": "\\u00e9"}'


def test_decrypt_message_falls_back_to_the_text_when_not_json() -> None:
    module = CryptoModule(KEY)
    text = base64.b64encode(module.encrypt(b"not { json")).decode()
    assert module.decrypt_message(text) == "not { json"


# --- header ---------------------------------------------------------------------------------


def test_header_forms() -> None:
    assert encode_header(ACRH_ID, b"") == b"PNED\x01ACRH\x00"
    assert encode_header(ACRH_ID, b"\x00" * 0x21) == b"PNED\x01ACRH\x21" + b"\x00" * 0x21
    assert encode_header(ACRH_ID, b"\x00" * 254)[9:10] == b"\xfe"
    long = b"\x07" * 255
    assert encode_header(ACRH_ID, long) == b"PNED\x01ACRH\xff\x00\xff" + long
    assert encode_header(LEGACY_ID, b"anything") == b""


def test_header_decode_forms() -> None:
    assert decode_header(b"PNED\x01ACRH\x00") == (b"ACRH", b"", 10)
    assert decode_header(b"PNED\x01ACRH\x21" + b"\x01" * 0x21 + b"rest") == (
        b"ACRH",
        b"\x01" * 0x21,
        10 + 0x21,
    )
    long = bytes(range(255))
    assert decode_header(b"PNED\x01ACRH\xff\x00\xff" + long + b"ciphertext") == (
        b"ACRH",
        long,
        12 + 255,
    )
    assert decode_header(encode_header(b"ABCD", b"x" * 65535)) == (b"ABCD", b"x" * 65535, 65547)
    assert decode_header(b"not a header") is None
    assert decode_header(b"PNE") is None


@pytest.mark.parametrize(
    "data",
    [b"PNED", b"PNED\x01ACR", b"PNED\x01ACRH\x10" + b"\x00" * 15, b"PNED\x01ACRH\xff\x01"],
)
def test_header_decode_truncated(data: bytes) -> None:
    with pytest.raises(DecryptionError, match="truncated"):
        decode_header(data)


@pytest.mark.parametrize("version", [0, 2, 255])
def test_header_decode_unknown_version(version: int) -> None:
    with pytest.raises(DecryptionError, match="version"):
        decode_header(b"PNED" + bytes([version]) + b"ACRH\x10" + bytes(16))


def test_header_encode_rejects_bad_input() -> None:
    with pytest.raises(CryptoError):
        encode_header(b"ACR", b"")
    with pytest.raises(CryptoError):
        encode_header(ACRH_ID, b"x" * 65536)


# --- round trips ----------------------------------------------------------------------------

CRYPTORS: list[tuple[str, Cryptor]] = [
    ("legacy-random", LegacyCryptor(KEY)),
    ("legacy-fixed", LegacyCryptor(KEY, use_random_iv=False)),
    ("acrh", AesCbcCryptor(KEY)),
]


def module_for(name: str) -> CryptoModule:
    if name == "acrh":
        return CryptoModule(KEY)
    return CryptoModule(KEY, default="legacy", use_random_iv=name == "legacy-random")


@settings(max_examples=60)
@given(
    index=st.integers(0, len(CRYPTORS) - 1),
    data=st.binary(min_size=0, max_size=3 * 16 + 1),
    iv=st.binary(min_size=16, max_size=16),
    cuts_in=st.lists(st.integers(0, 3 * 16 + 1), max_size=6),
    cuts_out=st.lists(st.integers(0, 4 * 16 + 26), max_size=8),
)
def test_round_trip_streamed_equals_one_shot(
    index: int, data: bytes, iv: bytes, cuts_in: list[int], cuts_out: list[int]
) -> None:
    name, cryptor = CRYPTORS[index]
    use_iv = None if name == "legacy-fixed" else iv
    expected = one_shot(cryptor.encryptor(use_iv), data)
    assert len(expected) == cryptor.encrypted_size(len(data))

    encryptor = cryptor.encryptor(use_iv)
    streamed = b"".join(encryptor.update(piece) for piece in split(data, cuts_in))
    assert streamed + encryptor.finalize() == expected

    module = module_for(name)
    assert module.decrypt(expected) == data
    decryptor = module.decryptor()
    out = b"".join(decryptor.update(piece) for piece in split(expected, cuts_out))
    assert out + decryptor.finalize() == data
    assert decryptor.cryptor_id == cryptor.id


@settings(max_examples=30)
@given(data=st.binary(max_size=100), chunk=st.integers(1, 40))
def test_module_round_trip_with_random_ivs(data: bytes, chunk: int) -> None:
    for module in modules():
        encryptor = module.encryptor()
        pieces = [encryptor.update(data[i : i + chunk]) for i in range(0, len(data), chunk)]
        encrypted = b"".join(pieces) + encryptor.finalize()
        assert len(encrypted) == module.encrypted_size(len(data))
        assert module.decrypt(encrypted) == data
        # every module decrypts the others' output (legacy settings permitting)
        assert CryptoModule(KEY, use_random_iv=module.legacy.use_random_iv).decrypt(encrypted) == (
            data
        )


@pytest.mark.parametrize("name", ["legacy-random", "legacy-fixed", "acrh"])
def test_encrypted_size_is_exact(name: str) -> None:
    module = module_for(name)
    for n in [*range(200), 1023, 1024, 65535, 65536, 65537, 100_000]:
        assert module.encrypted_size(n) == len(module.encrypt(b"x" * n)), n


def test_random_ivs_differ() -> None:
    module = CryptoModule(KEY)
    assert module.encrypt(b"same") != module.encrypt(b"same")
    legacy = CryptoModule(KEY, default="legacy")
    assert legacy.encrypt(b"same") != legacy.encrypt(b"same")


def test_messages_round_trip() -> None:
    message = {"text": "hi", "n": [1, 2.5, None, True], "nested": {"é": "ü"}}
    for module in modules():
        text = module.encrypt_message(message)
        assert module.decrypt_message(text) == message
    assert CryptoModule(KEY).encrypt_message("x").startswith("UE5FRAFBQ1JI")


def test_streaming_holds_at_most_a_block() -> None:
    chunk = b"\xab" * 65536
    for module in modules():
        encryptor = module.encryptor()
        prefix = module.encrypted_size(0) - 16
        sent = out = 0
        pieces = []
        for _ in range(16):
            piece = encryptor.update(chunk)
            pieces.append(piece)
            sent += len(chunk)
            out += len(piece)
            assert sent + prefix - out < 16
        pieces.append(encryptor.finalize())
        decryptor = module.decryptor()
        got = 0
        for piece in pieces:
            got += len(decryptor.update(piece))
            assert decryptor._buf == b""
            assert len(decryptor._tail) <= 16
        got += len(decryptor.finalize())
        assert got == sent


def test_streaming_header_one_byte_at_a_time() -> None:
    module = CryptoModule(KEY)
    encrypted = module.encrypt(b"hello, world, one byte at a time")
    decryptor = module.decryptor()
    out = b"".join(decryptor.update(encrypted[i : i + 1]) for i in range(len(encrypted)))
    assert out + decryptor.finalize() == b"hello, world, one byte at a time"


def test_update_accepts_memoryview() -> None:
    module = CryptoModule(KEY)
    encrypted = module.encrypt(b"abc" * 50)
    decryptor = module.decryptor()
    view = memoryview(encrypted)
    out = decryptor.update(view[:5]) + decryptor.update(view[5:]) + decryptor.finalize()
    assert out == b"abc" * 50


def test_legacy_cryptor_named_in_a_header_is_read_like_a_bare_payload() -> None:
    module = CryptoModule(KEY, default="legacy")
    bare = module.encrypt(b"payload")
    assert module.decrypt(b"PNED\x01" + LEGACY_ID + b"\x00" + bare) == b"payload"


# --- failures -------------------------------------------------------------------------------


def test_wrong_key_raises() -> None:
    # Fixed IVs make this deterministic: with these inputs the wrong key never yields valid
    # padding (a random wrong key would, about once in 256 tries).
    for default, use_random_iv in [("aescbc", True), ("legacy", True), ("legacy", False)]:
        right = CryptoModule(KEY, default=default, use_random_iv=use_random_iv)  # type: ignore[arg-type]
        wrong = CryptoModule("notMyKey", use_random_iv=use_random_iv)
        iv = None if not use_random_iv else ZERO_IV
        blob = one_shot(right.cryptor.encryptor(iv), b"secret file content")
        with pytest.raises(DecryptionError):
            wrong.decrypt(blob)
        text = base64.b64encode(
            one_shot(right.cryptor.encryptor(iv), json.dumps({"secret": 1}).encode())
        ).decode()
        with pytest.raises(DecryptionError):
            wrong.decrypt_message(text)


def test_wrong_key_with_valid_padding_by_chance_is_caught_for_messages() -> None:
    # A block whose wrong-key plaintext ends in 0x01 passes the padding check; messages must
    # still not come back as garbage: the plaintext is not UTF-8.
    right, wrong = CryptoModule(KEY), CryptoModule("notMyKey")
    for i in range(2000):
        iv = i.to_bytes(16, "big")
        blob = one_shot(right.aescbc.encryptor(iv), b'"hello"')
        try:
            garbage = wrong.decrypt(blob)
        except DecryptionError:
            continue
        text = base64.b64encode(blob).decode()
        try:
            garbage.decode("utf-8")
        except UnicodeDecodeError:
            with pytest.raises(DecryptionError):
                wrong.decrypt_message(text)
            return
    pytest.fail("no IV found that gives valid padding under the wrong key")


def test_corrupted_padding_raises_the_same_message_as_truncation() -> None:
    module = CryptoModule(KEY)
    blob = bytearray(module.encrypt(b"A" * 20))
    blob[-17] ^= 0xFF  # corrupts the last plaintext block's padding, keeps block alignment
    with pytest.raises(DecryptionError) as bad_padding:
        module.decrypt(bytes(blob))
    with pytest.raises(DecryptionError) as truncated:
        module.decrypt(module.encrypt(b"A" * 20)[:-3])
    assert str(bad_padding.value) == str(truncated.value)


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"PN",
        b"PNED",
        b"PNED\x01ACRH\x10" + bytes(10),
        b"PNED\x01ACRH\x10" + bytes(16),  # header, no ciphertext
        b"PNED\x01ACRH\x10" + bytes(16) + bytes(15),  # not a whole block
        bytes(15),  # legacy: not even an IV
        bytes(16),  # legacy: an IV, no ciphertext
        bytes(16 + 17),
    ],
)
def test_truncated_raises(blob: bytes) -> None:
    for module in modules():
        with pytest.raises(DecryptionError):
            module.decrypt(blob)


def test_truncated_real_ciphertexts_raise() -> None:
    # Every block of b"x" * 40 but the last decrypts to b"x" * 16, whose last byte (0x78) is
    # no valid padding, so even cuts at block boundaries fail deterministically.
    for module in modules():
        blob = module.encrypt(b"x" * 40)
        for cut in range(len(blob)):
            with pytest.raises(DecryptionError):
                module.decrypt(blob[:cut])


def test_unknown_cryptor_and_version_raise() -> None:
    module = CryptoModule(KEY)
    blob = module.encrypt(b"data")
    with pytest.raises(DecryptionError, match="unknown cryptor"):
        module.decrypt(blob[:5] + b"XXXX" + blob[9:])
    with pytest.raises(DecryptionError, match="version"):
        module.decrypt(blob[:4] + b"\x02" + blob[5:])
    decryptor = module.decryptor()
    with pytest.raises(DecryptionError, match="version"):
        decryptor.update(b"PNED\x09")
    with pytest.raises(DecryptionError, match="16-byte IV"):
        module.decrypt(encode_header(ACRH_ID, bytes(8)) + bytes(16))


def test_data_without_header_needs_a_legacy_cryptor() -> None:
    acrh_only = Decryptor(AesCbcCryptor(KEY))
    legacy_blob = CryptoModule(KEY, default="legacy").encrypt(b"data")
    with pytest.raises(DecryptionError, match="unknown cryptor"):
        acrh_only.update(legacy_blob)


@pytest.mark.parametrize("text", ["not base64!", "QfD1NCBJCmt1aPPGU2cshw=", "é"])
def test_bad_base64_raises(text: str) -> None:
    with pytest.raises(DecryptionError, match="base64"):
        CryptoModule(KEY).decrypt_message(text)


def test_use_after_finalize_raises() -> None:
    module = CryptoModule(KEY)
    encryptor = module.encryptor()
    blob = one_shot(encryptor, b"x")
    with pytest.raises(CryptoError):
        encryptor.update(b"x")
    with pytest.raises(CryptoError):
        encryptor.finalize()
    decryptor = module.decryptor()
    assert decryptor.update(blob) + decryptor.finalize() == b"x"
    with pytest.raises(CryptoError):
        decryptor.update(b"x")
    with pytest.raises(CryptoError):
        decryptor.finalize()


def test_encryptor_without_updates_emits_the_prefix_on_finalize() -> None:
    cryptor = AesCbcCryptor(KEY)
    out = cryptor.encryptor(ZERO_IV).finalize()
    assert out[:26] == encode_header(ACRH_ID, ZERO_IV)
    assert len(out) == cryptor.encrypted_size(0) == 42


def test_bad_arguments_raise_validation_error() -> None:
    with pytest.raises(ValidationError):
        CryptoModule("")
    with pytest.raises(ValidationError):
        LegacyCryptor(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CryptoModule(KEY, default="rot13")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        AesCbcCryptor(KEY).encryptor(b"short")
    with pytest.raises(ValidationError):
        LegacyCryptor(KEY).encryptor(b"x" * 17)
    with pytest.raises(ValidationError):
        LegacyCryptor(KEY, use_random_iv=False).encryptor(ZERO_IV)
    assert LegacyCryptor(KEY, use_random_iv=False).encryptor(LEGACY_STATIC_IV) is not None
    for size in [-1, True, 1.5]:
        with pytest.raises(ValidationError):
            CryptoModule(KEY).encrypted_size(size)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        CryptoModule(KEY).encrypt_message(object())


def test_repr_never_shows_the_key() -> None:
    secret = "super-secret-cipher-key"
    module = CryptoModule(secret, default="legacy")
    texts = [
        repr(module),
        repr(module.legacy),
        repr(module.aescbc),
        repr(module.encryptor()),
        repr(module.decryptor()),
    ]
    for text in texts:
        assert secret not in text
        assert "super" not in text
    assert repr(module) == "CryptoModule(default='legacy', use_random_iv=True)"
    assert repr(CryptoModule(secret)) == "CryptoModule(default='aescbc', use_random_iv=True)"
    assert not hasattr(module, "__dict__")


def test_docs_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "encryption.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    namespace: dict[str, object] = {"__name__": "__docs__"}
    exec(compile(blocks[0] + blocks[1], "encryption.md", "exec"), namespace)  # noqa: S102
    assert capsys.readouterr().out == "ok\n"
    assert namespace["plain"] == b"a" * 65536 + b"b" * 100
