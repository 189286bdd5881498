"""The Mux-Signature verifier and typed webhook events."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from aiospaces.mux import (
    BroadcastEvent,
    BroadcastStatus,
    LiveStreamEvent,
    Mux,
    SpaceEvent,
    SpaceStatus,
    WebhookEvent,
    WebhookSignatureError,
    construct_event,
    parse_event,
    verify_signature,
)
from aiospaces.mux.webhooks import Webhooks, sign_payload

SECRET = "whsec-test"
EVENT: dict[str, Any] = {
    "type": "video.space.active",
    "object": {"type": "space", "id": "sp1"},
    "id": "3a56ac3d-33da-4366-855b-f592d898409d",
    "environment": {"name": "Production", "id": "j0863n"},
    "data": {
        "id": "sp1",
        "created_at": "1653342466",
        "type": "server",
        "status": "active",
        "active_session_id": "sess",
    },
    "created_at": "2022-05-24T16:01:00.000000Z",
    "attempts": [],
    "accessor_source": None,
    "accessor": None,
    "request_id": None,
}
BODY = json.dumps(EVENT).encode()


def header(body: bytes, secret: str = SECRET, stamp: int | None = None) -> str:
    stamp = int(time.time()) if stamp is None else stamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def test_valid_signature_verifies_and_parses() -> None:
    signature = header(BODY)
    verify_signature(BODY, signature, SECRET)
    verify_signature(BODY.decode(), {"Mux-Signature": signature}, SECRET)
    event = construct_event(BODY, {"mux-signature": signature}, SECRET)
    assert isinstance(event, SpaceEvent)
    assert event.data.status is SpaceStatus.ACTIVE
    assert event.data.active_session_id == "sess"
    assert event.object is not None
    assert event.object.id == "sp1"
    assert event.environment is not None
    assert event.environment.name == "Production"
    assert event.created_at.year == 2022


def test_sign_payload_matches_the_documented_scheme() -> None:
    assert sign_payload(BODY, SECRET, 1565125718) == header(BODY, stamp=1565125718)
    verify_signature(BODY, sign_payload(BODY.decode(), SECRET), SECRET)


def test_tampered_body_is_rejected() -> None:
    signature = header(BODY)
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify_signature(BODY.replace(b"active", b"idle!!"), signature, SECRET)


def test_wrong_secret_is_rejected() -> None:
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify_signature(BODY, header(BODY, secret="other"), SECRET)


def test_stale_or_future_timestamp_is_rejected() -> None:
    old = int(time.time()) - 301
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_signature(BODY, header(BODY, stamp=old), SECRET)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_signature(BODY, header(BODY, stamp=int(time.time()) + 400), SECRET)
    verify_signature(BODY, header(BODY, stamp=old), SECRET, tolerance=600)
    verify_signature(BODY, header(BODY, stamp=1000), SECRET, now=1100)


def test_any_of_several_v1_values_may_match() -> None:
    stamp = int(time.time())
    good = header(BODY, stamp=stamp).split("v1=")[1]
    rotated = header(BODY, secret="old", stamp=stamp).split("v1=")[1]
    verify_signature(BODY, f"t={stamp},v1={rotated},v1={good}", SECRET)
    verify_signature(BODY, f"t={stamp}, v1={good}, v0=ignored, junk", SECRET)
    with pytest.raises(WebhookSignatureError):
        verify_signature(BODY, f"t={stamp},v1={rotated},v1=deadbeef", SECRET)


@pytest.mark.parametrize(
    "signature",
    [None, "", {"other": "x"}, "v1=abc", "t=abc,v1=abc", "t=123"],
)
def test_missing_or_malformed_header(signature: object) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_signature(BODY, signature, SECRET)  # type: ignore[arg-type]


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(WebhookSignatureError):
        verify_signature(BODY, header(BODY), "")


def test_events_parse_into_their_models() -> None:
    broadcast = parse_event(
        {
            **EVENT,
            "type": "video.space.broadcast.active",
            "data": {
                "id": "b1",
                "live_stream_id": "ls1",
                "status": "active",
                "layout": "gallery",
                "resolution": "1920x1080",
            },
        }
    )
    assert isinstance(broadcast, BroadcastEvent)
    assert broadcast.data.status is BroadcastStatus.ACTIVE
    stream = parse_event(
        {**EVENT, "type": "video.live_stream.idle",
         "data": {"id": "ls1", "created_at": "1", "status": "idle", "stream_key": "k"}}
    )  # fmt: skip
    assert isinstance(stream, LiveStreamEvent)
    other = parse_event(json.dumps({**EVENT, "type": "video.asset.ready", "data": {"id": "a"}}))
    assert type(other) is WebhookEvent
    assert other.data == {"id": "a"}
    with pytest.raises(ValueError, match="JSON object"):
        parse_event("[]")
    with pytest.raises(ValueError, match=r"video\.space\.active"):
        parse_event({**EVENT, "data": {"id": "sp1"}})


def test_client_webhooks_use_the_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUX_WEBHOOK_SECRET", SECRET)
    mux = Mux(token_id="i", token_secret="s")
    signature = header(BODY)
    mux.webhooks.verify_signature(BODY, signature)
    assert mux.webhooks.unwrap(BODY, {"Mux-Signature": signature}).id == EVENT["id"]
    assert SECRET not in repr(mux.webhooks)
    bare = Webhooks()
    with pytest.raises(WebhookSignatureError, match="MUX_WEBHOOK_SECRET"):
        bare.unwrap(BODY, signature)
    assert bare.unwrap(BODY, signature, secret=SECRET).type == "video.space.active"
