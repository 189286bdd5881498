"""PubNub emulation state: keysets, App Context channels, the error answer and access checks.

[Keysets][aiospaces.emulator.pubnub.state.Keysets] finds the keyset a request names (sandbox
mode provisions unknown ones) and checks its ``auth`` key and signature v2 when the keyset was
seeded with them. Errors answer in PubNub's v2 shape, or in Access Manager's for access.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

import attrs
from starlette.responses import JSONResponse, Response

from aiospaces.emulator._http import ErrorAnswer
from aiospaces.emulator._parse import ascii_int, equal_secrets, is_text, is_texts

if TYPE_CHECKING:
    from starlette.requests import Request

    from aiospaces.emulator._http import EmulatorContext

__all__ = [
    "MAX_LIMIT",
    "SIGNATURE_WINDOW",
    "WRITABLE_FIELDS",
    "Channel",
    "Keyset",
    "KeysetSeed",
    "Keysets",
    "PubNubError",
    "pam_encode",
    "sign_v1",
    "sign_v2",
]

MAX_LIMIT = 100
"""Largest page a list answers (channels and files)."""
WRITABLE_FIELDS = ("name", "description", "status", "type", "custom")
"""The channel fields a ``PATCH`` may set."""
SIGNATURE_WINDOW = 60
"""Seconds a signed request's ``timestamp`` may be off."""


class PubNubError(ErrorAnswer):
    """An error answer in PubNub's v2 shape: ``{"status", "error": {message, source, details}}``."""

    def __init__(
        self, status: int, message: str, *, source: str = "objects", details: Any = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.source = source
        self.details = details

    def response(self) -> Response:
        """Return the error as an HTTP response."""
        if self.source == "Access Manager":  # PAM-style body, as PubNub's auth layer answers
            body: dict[str, Any] = {
                "error": True,
                "status": self.status,
                "service": "Access Manager",
                "message": self.message,
            }
        else:
            error: dict[str, Any] = {"message": self.message, "source": self.source}
            if self.details:
                error["details"] = self.details
            body = {"status": self.status, "error": error}
        return JSONResponse(body, status_code=self.status)


def _access_denied(status: int, message: str) -> PubNubError:
    return PubNubError(status, message, source="Access Manager")


def pam_encode(value: str) -> str:
    """Percent-encode like PubNub's signer: everything but ``A-Za-z0-9_.-`` (``~`` too)."""
    return quote(value, safe="").replace("~", "%7E")


def sign_v2(
    secret_key: str, publish_key: str, method: str, path: str, query: str, body: str
) -> str:
    """Return PubNub's signature v2 over a request (``query`` is already sorted and encoded)."""
    message = f"{method}\n{publish_key}\n{path}\n{query}\n{body}"
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return "v2." + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_v1(secret_key: str, subscribe_key: str, publish_key: str, path: str, query: str) -> str:
    """Return PubNub's legacy signature (a POST publish's): padded URL-safe base64, no prefix."""
    message = f"{subscribe_key}\n{publish_key}\n{path}\n{query}"
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _now_rfc3339() -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return stamp + "Z"


@attrs.define
class Channel:
    """An App Context channel (a Space)."""

    id: str
    name: str | None = None
    description: str | None = None
    status: str | None = None
    type: str | None = None
    custom: dict[str, Any] | None = None
    updated: str = ""
    etag: str = ""

    def touch(self) -> None:
        """Stamp a new ``updated`` time and eTag."""
        self.updated = _now_rfc3339()
        state = json.dumps(attrs.asdict(self), sort_keys=True).encode()
        self.etag = hashlib.md5(state, usedforsecurity=False).hexdigest()

    def filterable(self) -> dict[str, Any]:
        """Return the fields the filter language sees."""
        return attrs.asdict(self)

    def wire(self, include: frozenset[str]) -> dict[str, Any]:
        """Return the channel as PubNub sends it, with optional fields per ``include``."""
        data: dict[str, Any] = {"id": self.id, "name": self.name, "description": self.description}
        if "type" in include:
            data["type"] = self.type
        if "status" in include:
            data["status"] = self.status
        if "custom" in include:
            data["custom"] = self.custom
        data["updated"] = self.updated
        data["eTag"] = self.etag
        return data


@attrs.frozen(kw_only=True)
class KeysetSeed:
    """What ``POST /_emulator/pubnub/seed`` takes: a keyset's keys and auth keys."""

    subscribe_key: str = attrs.field(validator=is_text())
    publish_key: str | None = attrs.field(default=None, validator=is_text(optional=True))
    secret_key: str | None = attrs.field(default=None, validator=is_text(empty=True, optional=True))
    auth_keys: list[str] | None = attrs.field(default=None, validator=is_texts)


@attrs.define
class Keyset:
    """A PubNub keyset and everything stored under it."""

    subscribe_key: str
    publish_key: str | None = None
    secret_key: str | None = attrs.field(default=None, repr=False)
    auth_keys: frozenset[str] = attrs.field(default=frozenset(), repr=False)
    channels: dict[str, Channel] = attrs.field(factory=dict)


class Keysets:
    """Every keyset of the emulation, and the access checks of a request to one.

    Attributes:
        by_key: The keysets by subscribe key.
    """

    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self.by_key: dict[str, Keyset] = {}

    async def admit(
        self, request: Request, *, publish_key: str | None = None, legacy_signature: bool = False
    ) -> Keyset:
        """Return the keyset of the request's ``{sub}`` once its access checks pass.

        Sandbox mode provisions an unknown subscribe key on first use; strict mode refuses
        it. A keyset seeded with auth keys needs one of them in ``auth``, one seeded with a
        secret key a valid signature v2 (with a ``timestamp`` within
        [SIGNATURE_WINDOW][aiospaces.emulator.pubnub.state.SIGNATURE_WINDOW] seconds).

        Args:
            request: The request; its path names the subscribe key as ``{sub}``.
            publish_key: The publish key the request names, if any: it must be the keyset's.
            legacy_signature: Check the legacy v1 signature instead (a POST publish's).

        Raises:
            PubNubError: A 400 or 403 in Access Manager's shape.
        """
        sub = request.path_params["sub"]
        keyset = self.by_key.get(sub)
        if keyset is None:
            if self.context.strict:
                raise _access_denied(400, "Invalid Subscribe Key")
            keyset = self.by_key[sub] = Keyset(subscribe_key=sub, publish_key=publish_key)
        if publish_key is not None and keyset.publish_key not in (None, publish_key):
            raise _access_denied(400, "Invalid Publish Key")
        body = await request.body()
        query = parse_qsl(request.url.query, keep_blank_values=True)
        params = dict(query)
        if keyset.auth_keys and params.get("auth") not in keyset.auth_keys:
            raise _access_denied(403, "Forbidden")
        if keyset.secret_key:
            _verify_signature(request, keyset, query, params, body, legacy=legacy_signature)
        return keyset


def _verify_signature(
    request: Request,
    keyset: Keyset,
    query: list[tuple[str, str]],
    params: dict[str, str],
    body: bytes,
    *,
    legacy: bool,
) -> None:
    signature, stamp = params.get("signature"), ascii_int(params.get("timestamp"))
    if not signature or stamp is None:
        raise _access_denied(403, "Signature and timestamp are required")
    if abs(stamp - time.time()) > SIGNATURE_WINDOW:
        raise _access_denied(403, "Request timestamp expired")
    signed = "&".join(f"{k}={pam_encode(v)}" for k, v in sorted(query) if k != "signature")
    path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    secret, pub = keyset.secret_key or "", keyset.publish_key or ""
    if legacy:
        expected = sign_v1(secret, keyset.subscribe_key, pub, path, signed)
    else:
        text = body.decode("utf-8", "replace")
        expected = sign_v2(secret, pub, request.method, path, signed, text)
    if not equal_secrets(signature, expected):
        raise _access_denied(403, "Signature does not match")
