"""Mux webhooks: verify the ``Mux-Signature`` header and parse events into typed models.

```python
event = construct_event(raw_body, request.headers["mux-signature"], secret)
if isinstance(event, BroadcastEvent) and event.type == "video.space.broadcast.active":
    ...
```

The header reads ``t=<unix seconds>,v1=<hex>`` (several ``v1=`` values may appear while a
secret is rotated); ``v1`` is HMAC-SHA256, keyed by the webhook secret, over
``"{t}.{raw body}"``. Verify the raw bytes you received, before any JSON parsing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from datetime import datetime  # noqa: TC003 - cattrs reads the annotations at run time
from typing import Any

import attrs
import cattrs

from aiospaces.core import validate
from aiospaces.core.convert import Model
from aiospaces.core.errors import AiospacesError, ValidationError
from aiospaces.mux.models import Broadcast, LiveStream, Space, converter

__all__ = [
    "DEFAULT_TOLERANCE",
    "MAX_HEADER_LENGTH",
    "SIGNATURE_HEADER",
    "BroadcastEvent",
    "LiveStreamEvent",
    "SpaceEvent",
    "WebhookEnvironment",
    "WebhookEvent",
    "WebhookObject",
    "WebhookSignatureError",
    "Webhooks",
    "construct_event",
    "parse_event",
    "sign_payload",
    "verify_signature",
]

SIGNATURE_HEADER = "Mux-Signature"
"""The header carrying the signature."""
DEFAULT_TOLERANCE = 300.0
"""Seconds a signature's timestamp may differ from now (Mux's SDKs use five minutes)."""

_HEX = re.compile(r"[0-9a-fA-F]{64}")
_MAX_STAMP_DIGITS = 12
_DIGITS = re.compile(rf"[0-9]{{1,{_MAX_STAMP_DIGITS}}}")
_Group = cattrs.BaseValidationError


class WebhookSignatureError(AiospacesError, ValueError):
    """A webhook's signature is missing, malformed, stale or does not match."""


@attrs.frozen
class WebhookObject(Model):
    """What an event is about: ``{"type": "space", "id": ...}``."""

    type: str
    id: str


@attrs.frozen
class WebhookEnvironment(Model):
    """The Mux environment an event comes from."""

    id: str
    name: str


@attrs.frozen(kw_only=True)
class WebhookEvent(Model):
    """A webhook event whose ``data`` aiospaces has no model for (kept as a dict).

    Attributes:
        id: The event id (use it to drop duplicate deliveries).
        type: The event type, e.g. ``video.space.active``.
        created_at: When the event happened.
        data: The event's object.
        object: Type and id of the object.
        environment: The environment it belongs to.
        attempts: Earlier delivery attempts.
        accessor: Who caused the event, when known.
        accessor_source: How they did, when known.
        request_id: The API request that caused it, when known.
    """

    id: str
    type: str
    created_at: datetime
    data: dict[str, Any] = attrs.field(factory=dict)
    object: WebhookObject | None = None
    environment: WebhookEnvironment | None = None
    attempts: list[dict[str, Any]] = attrs.field(factory=list)
    accessor: str | None = None
    accessor_source: str | None = None
    request_id: str | None = None


@attrs.frozen(kw_only=True)
class SpaceEvent(WebhookEvent):
    """``video.space.created|updated|active|idle|deleted``: ``data`` is a Space."""

    data: Space  # type: ignore[assignment]


@attrs.frozen(kw_only=True)
class BroadcastEvent(WebhookEvent):
    """``video.space.broadcast.created|active|idle|deleted``: ``data`` is a Broadcast."""

    data: Broadcast  # type: ignore[assignment]


@attrs.frozen(kw_only=True)
class LiveStreamEvent(WebhookEvent):
    """``video.live_stream.*``: ``data`` is a LiveStream."""

    data: LiveStream  # type: ignore[assignment]


MAX_HEADER_LENGTH = 8192
"""Longest ``Mux-Signature`` header accepted (characters); a longer one is refused unread."""


def sign_payload(body: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """Return a ``Mux-Signature`` header value for ``body`` (for tests and emulators).

    Raises:
        ValidationError: The body is not bytes or text, the secret is not a non-empty
            string, or the timestamp is not an int >= 0.
    """
    if timestamp is None:
        stamp = int(time.time())
    else:
        stamp = validate.integer(timestamp, "timestamp", minimum=0, maximum=10**_MAX_STAMP_DIGITS)
    raw = _raw_body(body, ValidationError)
    key = validate.secret(secret, "secret")
    return f"t={stamp},v1={_digest(raw, key, str(stamp))}"


def verify_signature(
    body: bytes | str,
    signature: str | Mapping[str, str] | None,
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check a webhook's signature; return quietly when it is valid.

    Whatever the header or the body hold, a failure is a ``WebhookSignatureError``: a hostile
    request cannot make it raise anything else.

    Args:
        body: The raw request body, exactly as received (bytes; text is encoded as UTF-8).
        signature: The ``Mux-Signature`` header value, or the request's headers.
        secret: The webhook's signing secret.
        tolerance: Largest allowed difference, in seconds, between its timestamp and now.
        now: The current Unix time (defaults to the clock).

    Raises:
        WebhookSignatureError: The header is missing or malformed, the timestamp is outside
            the tolerance, no ``v1`` value matches, the body is not bytes or valid text, or
            the secret is missing.
        ValidationError: ``tolerance`` or ``now`` is not a finite number.
    """
    validate.number(tolerance, "tolerance", minimum=0)
    current = time.time() if now is None else validate.number(now, "now")
    if not isinstance(secret, str) or not secret or not _valid_text(secret):
        raise WebhookSignatureError("a webhook secret is required (a non-empty string)")
    raw = _raw_body(body, WebhookSignatureError)
    stamp, candidates = _parse_header(_header(signature))
    if abs(current - int(stamp)) > tolerance:
        raise WebhookSignatureError("the signature's timestamp is outside the tolerance window")
    expected = _digest(raw, secret, stamp)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise WebhookSignatureError("no signature matches the body and secret")


def parse_event(body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """Return an event as its typed model, without checking any signature.

    Raises:
        ValidationError: The body is not a JSON object with ``id``, ``type`` and
            ``created_at`` (a ``ValueError`` too).
    """
    payload: Any = body
    if not isinstance(body, Mapping):
        raw = _raw_body(body, ValidationError)
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):  # not UTF-8 or not JSON; absurdly deep
            raise ValidationError("a webhook body must be a JSON object") from None
    if not isinstance(payload, Mapping):
        raise ValidationError("a webhook event must be a JSON object")
    kind = payload.get("type")
    kind = kind if isinstance(kind, str) and _valid_text(kind) else ""
    cls: type[WebhookEvent] = WebhookEvent
    if kind.startswith("video.space.broadcast."):
        cls = BroadcastEvent
    elif kind.startswith("video.space."):
        cls = SpaceEvent
    elif kind.startswith("video.live_stream."):
        cls = LiveStreamEvent
    try:
        return converter.structure(dict(payload), cls)
    except Exception as exc:  # cattrs raises ExceptionGroups of structuring errors
        reasons = "; ".join(cattrs.transform_error(exc)) if isinstance(exc, _Group) else ""
        raise ValidationError(f"not a {kind or 'webhook'} event: {reasons or exc}") from exc


def construct_event(
    body: bytes | str,
    signature: str | Mapping[str, str] | None,
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> WebhookEvent:
    """Verify a webhook's signature, then return its event (Mux's ``unwrap``).

    Raises:
        WebhookSignatureError: The signature does not verify.
        ValidationError: The body is not a webhook event (a ``ValueError`` too).
    """
    verify_signature(body, signature, secret, tolerance=tolerance)
    return parse_event(body)


def _header(signature: object) -> str:
    if isinstance(signature, Mapping):
        signature = next(
            (
                value
                for name, value in signature.items()
                if isinstance(name, str) and name.lower() == SIGNATURE_HEADER.lower()
            ),
            None,
        )
    if isinstance(signature, bytes):
        signature = signature.decode("latin-1")
    if not isinstance(signature, str) or not signature:
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header is missing")
    if len(signature) > MAX_HEADER_LENGTH:
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header is too long")
    return signature


def _parse_header(header: str) -> tuple[str, list[str]]:
    """Return the timestamp (ASCII digits) and the well-formed ``v1`` values of a header."""
    stamp: str | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            stamp = value
        elif name == "v1" and _HEX.fullmatch(value):
            candidates.append(value.lower())
    if stamp is None or not _DIGITS.fullmatch(stamp) or not candidates:
        raise WebhookSignatureError(f"malformed {SIGNATURE_HEADER} header")
    return stamp, candidates


def _raw_body(body: object, error: type[Exception]) -> bytes:
    """Return the body as bytes: bytes-like as is, text as UTF-8 (else raise ``error``)."""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        if not _valid_text(body):
            raise error("the body is not valid text (a lone surrogate): pass the raw bytes")
        return body.encode()
    raise error(f"the body must be the raw bytes (or text) received, not {type(body).__name__}")


def _valid_text(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _digest(body: bytes, secret: str, stamp: str) -> str:
    return hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class Webhooks:
    """Webhook helpers bound to a secret (``mux.webhooks``; the secret from ``MUX_WEBHOOK_SECRET``).

    Args:
        secret: The webhook signing secret (None: pass ``secret=`` to each call).
    """

    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret

    def __repr__(self) -> str:
        return f"<Webhooks secret={'set' if self._secret else 'unset'}>"

    def _key(self, secret: str | None) -> str:
        key = self._secret if secret is None else secret
        if not key:
            raise WebhookSignatureError("no webhook secret: pass secret= or set MUX_WEBHOOK_SECRET")
        return key

    def verify_signature(
        self,
        body: bytes | str,
        signature: str | Mapping[str, str] | None,
        *,
        secret: str | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> None:
        """Check a webhook's signature with the bound secret (or ``secret=``).

        Raises:
            WebhookSignatureError: The signature does not verify or no secret is known.
        """
        verify_signature(body, signature, self._key(secret), tolerance=tolerance)

    def unwrap(
        self,
        body: bytes | str,
        signature: str | Mapping[str, str] | None,
        *,
        secret: str | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> WebhookEvent:
        """Verify a webhook, then return its typed event.

        Raises:
            WebhookSignatureError: The signature does not verify or no secret is known.
            ValidationError: The body is not a webhook event (a ``ValueError`` too).
        """
        return construct_event(body, signature, self._key(secret), tolerance=tolerance)
