"""Signature v2 over values with every reserved character, checked against the official SDK."""

from __future__ import annotations

import pytest
from pubnub import utils as official

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.pubnub.signing import pam_encode, sign_request

AWKWARD = ["a~b", "~", "x y+z", "it's (1)*!", "[k]=v&w", "é/ü?#", "-_.", "A-Za-z0-9"]


@pytest.mark.parametrize("value", AWKWARD)
def test_pam_encoding_matches_the_official_sdk(value: str) -> None:
    assert pam_encode(value) == official.pam_encode(value)


def test_a_tilde_is_encoded_in_what_is_signed() -> None:
    assert pam_encode("a~b") == "a%7Eb"
    query = [("uuid", "me"), ("filter", 'name LIKE "a~b*"'), ("timestamp", "1700000000")]
    expected_input = "\n".join(
        ["GET", "pub-c-x", "/v2/objects/sub-c-x/channels",
         official.prepare_pam_arguments(dict(query)), ""]
    )  # fmt: skip
    expected = "v2." + official.sign_sha256("sec-c-x", expected_input).rstrip("=")
    signed = sign_request("sec-c-x", "pub-c-x", "GET", "/v2/objects/sub-c-x/channels", query, "")
    assert signed == expected


@pytest.mark.emulator(strict=True)
async def test_signed_values_with_a_tilde_pass_strict_mode(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    keys = {"subscribe_key": "sub-c-t", "publish_key": "pub-c-t", "secret_key": "sec-c-t"}
    emulator.vendors["pubnub"].seed({**keys, "auth_keys": ["tok"]})
    pn = emulator_session.pubnub(
        subscribe_key="sub-c-t", publish_key="pub-c-t", secret_key="sec-c-t", token="tok",
        user_id="me~you", origin="emu", ssl=False,
    )  # fmt: skip
    created = await pn.create_space(space_id="tilde~room", name="Tilde ~ room")
    assert created.id == "tilde~room"
    listed = await pn.fetch_spaces().filter('name LIKE "Tilde ~*"').extra_query({"note": "~"})
    assert [s.id for s in listed.data] == ["tilde~room"]
