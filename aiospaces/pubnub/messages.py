"""Publishing to a channel: messages (stored, encrypted with the client's key) and signals.

```python
sent = await pn.publish().channel("room").message({"text": "hi"}).meta({"lang": "en"})
print(sent.timetoken)                                   # 17 digits
await pn.signal(channel="room", message={"typing": True})
```

A publish is ``GET /publish/{pub}/{sub}/0/{channel}/0/{message}`` with the message's JSON
text (``json.dumps`` defaults, ASCII only) percent-encoded into the path, or with
``use_post(True)`` ``POST /publish/{pub}/{sub}/0/{channel}/0`` with that text as the body
(for payloads too long for a URL; a ~100 KB URL is refused with 414 by PubNub's edge). With a
cipher key the JSON text is encrypted and sent as a JSON string of base64. A signal is
``GET /signal/...`` with the same path layout, never encrypted, not stored, and small (PubNub
accepts 64 bytes of payload by default).

Neither is idempotent: each request that arrives publishes once more, so neither is sent again
after a failure that leaves open whether it arrived (see
[AmbiguousResultError][aiospaces.core.errors.AmbiguousResultError]).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Self, TypeVar

from aiospaces.core import validate
from aiospaces.core.builder import CallParams
from aiospaces.core.errors import APIError, ValidationError
from aiospaces.core.request import RequestSpec
from aiospaces.pubnub._base import PubNubBuilder, read_timetoken, url_encode
from aiospaces.pubnub.models import Published

if TYPE_CHECKING:
    import httpx

__all__ = ["Publish", "PublishParams", "Signal", "SignalParams", "read_published"]

T = TypeVar("T")

_UNSET = object()

_PUBLISH_CHECK = (
    "look for the message in the channel's history (fetch_messages with include_uuid and "
    "include_meta; a unique id in meta makes it easy to find) before publishing it again"
)
_SIGNAL_CHECK = "signals are not stored: nothing can tell; send it again only if a repeat is fine"


def read_published(response: httpx.Response) -> Published:
    """Return the timetoken of a ``[1, "Sent", "<timetoken>"]`` publish or signal answer.

    Raises:
        APIError: PubNub says it was not published (``[0, "<reason>", ...]``).
        ValueError: The answer is not a publish answer (an UnexpectedResponseError once the
            caller's [parsing][aiospaces.core.convert.parsing] sees it).
    """
    body = response.json()
    if not isinstance(body, list) or len(body) < 3:
        raise ValueError('a publish answer is [1, "Sent", "<timetoken>"]')
    if body[0] != 1:
        raise APIError(
            f"publish failed: {str(body[1])[:200]}",
            status_code=response.status_code,
            vendor="pubnub",
            body=body,
        )
    return Published(read_timetoken(body[2]))


class _Send(PubNubBuilder[Published]):
    """What a publish and a signal share: the channel, the message, its custom type."""

    _kind = "publish"
    _channel: str | None = None
    _message: object = _UNSET
    _custom_message_type: str | None = None

    def channel(self, channel: str) -> Self:
        """Set the channel to send to."""
        self._channel = channel
        return self

    def message(self, message: object) -> Self:
        """Set the message: any JSON-serialisable value."""
        self._message = validate.json_value(message, "message")
        return self

    def custom_message_type(self, message_type: str) -> Self:
        """Set the message's custom type (3 to 50 characters; PubNub's rules for it apply)."""
        self._custom_message_type = validate.text(
            message_type, "custom_message_type", max_length=50
        )
        return self

    def _path(self, text: str | None) -> str:
        """Return ``/{kind}/{pub}/{sub}/0/{channel}/0[/{text}]`` (validating the keys)."""
        channel = validate.identifier(self._channel, "channel")
        publish_key = validate.identifier(
            self._client.config.publish_key, "publish_key (in the client's config)"
        )
        sub = url_encode(self._client.config.subscribe_key)
        path = f"/{self._kind}/{url_encode(publish_key)}/{sub}/0/{url_encode(channel)}/0"
        return path if text is None else f"{path}/{url_encode(text)}"

    def _payload(self) -> object:
        if self._message is _UNSET or self._message is None:
            raise ValidationError("message is required (any JSON value but null)")
        return self._message

    async def _parse(self, response: httpx.Response) -> Published:
        return read_published(response)


class SignalParams(CallParams, total=False):
    """Keywords of ``signal`` (its setters)."""

    channel: str
    message: object
    custom_message_type: str


class Signal(_Send):
    """Send a signal: a small message that is delivered to subscribers but not stored.

    Signals are never encrypted (PubNub's SDKs do not encrypt them either), whatever the
    client's cipher key.
    """

    _kind = "signal"

    def _build(self) -> RequestSpec:
        path = self._path(json.dumps(self._payload()))
        query = []
        if self._custom_message_type:
            query.append(("custom_message_type", self._custom_message_type))
        # a GET, but each one is delivered again: never repeated after a lost answer
        return RequestSpec(
            method="GET", path=path, query=query, idempotent=False, check=_SIGNAL_CHECK
        )


class PublishParams(SignalParams, total=False):
    """Keywords of ``publish`` (its setters)."""

    meta: object
    should_store: bool
    ttl: int
    use_post: bool
    cipher_key: str


class Publish(_Send):
    """Publish a message to a channel (encrypted when the client has a cipher key)."""

    _meta: object = None
    _store: bool | None = None
    _ttl: int | None = None
    _post = False
    _cipher_key: str | None = None

    def meta(self, meta: object) -> Self:
        """Set ``meta``: JSON beside the message, never encrypted (subscribe filters read it)."""
        self._meta = validate.json_value(meta, "meta")
        return self

    def should_store(self, store: bool) -> Self:
        """Store the message in history or not (unset: the keyset's setting decides)."""
        self._store = validate.boolean(store, "should_store")
        return self

    def ttl(self, hours: int) -> Self:
        """Keep the stored message for ``hours`` (0: without expiry; unset: the keyset's)."""
        self._ttl = validate.integer(hours, "ttl", minimum=0)
        return self

    def use_post(self, post: bool = True) -> Self:
        """Send the message as a POST body instead of in the URL (for long messages)."""
        self._post = validate.boolean(post, "use_post")
        return self

    def cipher_key(self, key: str) -> Self:
        """Encrypt with this key instead of the client's."""
        self._cipher_key = validate.secret(key, "cipher_key")
        return self

    def _build(self) -> RequestSpec:
        message = self._payload()
        crypto = self._client.crypto_for(self._cipher_key)
        text = json.dumps(crypto.encrypt_message(message) if crypto else message)
        query: list[tuple[str, str]] = []
        if self._ttl is not None:
            query.append(("ttl", str(self._ttl)))
        if self._meta is not None:
            query.append(("meta", json.dumps(self._meta)))
        if self._custom_message_type:
            query.append(("custom_message_type", self._custom_message_type))
        if self._store is not None:
            query.append(("store", "1" if self._store else "0"))
        if self._post:
            return RequestSpec(
                method="POST",
                path=self._path(None),
                query=query,
                headers={"Content-Type": "application/json"},
                body=text.encode(),
                idempotent=False,
                check=_PUBLISH_CHECK,
            )
        # a GET, but each one publishes a message: never repeated after a lost answer
        return RequestSpec(
            method="GET",
            path=self._path(text),
            query=query,
            idempotent=False,
            check=_PUBLISH_CHECK,
        )
