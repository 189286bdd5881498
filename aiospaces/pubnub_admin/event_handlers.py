"""Event handlers (Functions) of a block: create, update, delete, and a one-call deploy.

```python
handler = await adm.create_event_handler(
    key_id=key.id, block_id=block.id, name="hello", event="js-on-rest", path="hello",
    code_file="hello.js",          # or code="export default (request, response) => ..."
)
await adm.update_event_handler(key_id=key.id, handler_id=handler.id).code(new_source)
```

The code travels inside a JSON body, so any JavaScript (quotes, backslashes, newlines,
non-ASCII) arrives exactly as written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Self

import attrs

from aiospaces.core import validate
from aiospaces.core.errors import ValidationError
from aiospaces.core.request import RequestSpec
from aiospaces.core.threads import run_blocking
from aiospaces.pubnub_admin._base import KeysetBuilder, payload, positive_id
from aiospaces.pubnub_admin.blocks import KeysetParams
from aiospaces.pubnub_admin.models import Block, EventHandler, converter

if TYPE_CHECKING:
    import httpx

    from aiospaces.pubnub_admin.client import PubNubAdmin

__all__ = [
    "EVENTS",
    "NO_CHANNELS",
    "ON_REST",
    "CreateEventHandler",
    "DeleteEventHandler",
    "DeleteEventHandlerParams",
    "Deployment",
    "EventHandlerParams",
    "UpdateEventHandler",
    "UpdateEventHandlerParams",
    "deploy_event_handler",
]

EVENTS = (
    "js-before-publish",
    "js-after-publish",
    "js-after-presence",
    "js-on-rest",
    "js-before-signal",
    "js-after-signal",
    "js-on-interval",
)
"""The documented handler events."""
ON_REST = "js-on-rest"
"""The event of handlers answering HTTP requests (they take a ``path``)."""
NO_CHANNELS = frozenset({ON_REST, "js-on-interval"})
"""Events whose handlers listen on no channel (every other event needs ``channels``)."""


def _event(value: object) -> str:
    return validate.one_of(value, "event", EVENTS)


def _code_path(value: object) -> Path:
    """Return a code file's path; refuse what is no path (a NUL, a lone surrogate)."""
    if not isinstance(value, str | os.PathLike):
        raise ValidationError(f"code_file must be a path, not {type(value).__name__}")
    path = Path(value)
    text = str(path)
    if not text or "\x00" in text:
        raise ValidationError("code_file must be a non-empty path without NUL")
    validate.text(text, "code_file")
    return path


async def _read_code(path: Path) -> str:
    try:
        return await run_blocking(path.read_text, "utf-8")
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise ValidationError(f"cannot read the handler code from {str(path)!r}: {exc}") from exc


class EventHandlerParams(KeysetParams, total=False):
    """Keywords of ``create_event_handler`` (its setters)."""

    block_id: int
    name: str
    event: str
    channels: str
    path: str
    code: str
    code_file: str | os.PathLike[str]
    output: str
    log_level: str
    type: str


class UpdateEventHandlerParams(EventHandlerParams, total=False):
    """Keywords of ``update_event_handler`` (its setters)."""

    handler_id: int


class _HandlerFields(KeysetBuilder[EventHandler]):
    """Setters shared by create and update; only the fields you set are sent."""

    _creating: ClassVar[bool] = False
    _fields: dict[str, object] = {}  # noqa: RUF012 - replaced, never mutated
    _code_file: Path | None = None

    def _set(self, key: str, value: object) -> Self:
        self._fields = {**self._fields, key: value}
        return self

    def block_id(self, block_id: int) -> Self:
        """Set the block the handler belongs to."""
        return self._set("block_id", block_id)

    def name(self, name: str) -> Self:
        """Set the handler's name."""
        return self._set("name", validate.text(name, "name"))

    def event(self, event: str) -> Self:
        """Set what triggers it: one of [EVENTS][aiospaces.pubnub_admin.event_handlers.EVENTS]."""
        return self._set("event", _event(event))

    def channels(self, channels: str) -> Self:
        """Set the channel pattern it listens on (``chat``, ``chat.*``)."""
        return self._set("channels", validate.text(channels, "channels"))

    def path(self, path: str) -> Self:
        """Set the URL path of a ``js-on-rest`` handler."""
        return self._set("path", validate.text(path, "path"))

    def code(self, code: str) -> Self:
        """Set the JavaScript source from a string."""
        self._code_file = None
        return self._set("code", validate.text(code, "code"))

    def code_file(self, path: str | os.PathLike[str]) -> Self:
        """Read the JavaScript source from a UTF-8 file when the call runs."""
        self._code_file = _code_path(path)
        self._fields = {k: v for k, v in self._fields.items() if k != "code"}
        return self

    def output(self, channel: str) -> Self:
        """Set the debug console channel."""
        return self._set("output", validate.text(channel, "output"))

    def log_level(self, level: str) -> Self:
        """Set the log level (``"debug"``)."""
        return self._set("log_level", validate.text(level, "log_level"))

    def type(self, type_: str) -> Self:
        """Set the code type (default ``"js"``)."""
        return self._set("type", validate.text(type_, "type"))

    async def _read(self) -> None:
        if self._code_file is not None:
            code = await _read_code(self._code_file)
            self._set("code", validate.text(code, "code"))

    def _check_code_read(self) -> None:
        if self._code_file is not None and "code" not in self._fields:
            raise ValidationError("the code file has not been read (await the builder)")

    def _check(self) -> None:
        if "block_id" in self._fields:
            positive_id(self._fields["block_id"], "block_id")
        event = self._fields.get("event")
        creating = self._creating
        if event == ON_REST and "path" not in self._fields and creating:
            raise ValidationError("a js-on-rest handler needs a path")
        if "path" in self._fields and event is not None and event != ON_REST:
            raise ValidationError(f"path is only for js-on-rest handlers, not {event}")
        if creating and event not in NO_CHANNELS and "channels" not in self._fields:
            raise ValidationError(f"a {event} handler needs channels")

    async def _parse(self, response: httpx.Response) -> EventHandler:
        return converter.structure(payload(response), EventHandler)


class CreateEventHandler(_HandlerFields):
    """``POST`` a new event handler to a block.

    Needs ``block_id``, ``name``, ``event`` and ``code`` (or ``code_file``); ``channels`` for
    channel events, ``path`` for ``js-on-rest``. ``type`` defaults to ``"js"``.
    """

    _creating: ClassVar[bool] = True

    def _build(self) -> RequestSpec:
        path = f"{self._key_path()}/event_handler"
        self._check_code_read()
        for required in ("block_id", "name", "event", "code"):
            if required not in self._fields:
                raise ValidationError(f"{required} is required to create an event handler")
        self._check()
        body = {"key_id": self._key_id, **self._fields}
        body.setdefault("type", "js")
        return RequestSpec.with_json(
            "POST",
            path,
            body,
            check="list the key's event handlers and look for the name you set",
        )


class UpdateEventHandler(_HandlerFields):
    """``PUT`` changes to an event handler (only the fields you set are sent).

    The portal (and the emulator) refuse to change the code, event, channels or path of a
    handler while its block runs: stop the block, save, start it again — or use
    [deploy_event_handler][aiospaces.pubnub_admin.client.PubNubAdmin.deploy_event_handler].
    """

    _handler_id: int | None = None

    def handler_id(self, handler_id: int) -> Self:
        """Set the handler to change."""
        self._handler_id = handler_id
        return self

    def _build(self) -> RequestSpec:
        handler_id = positive_id(self._handler_id, "handler_id")
        path = f"{self._key_path()}/event_handler/{handler_id}"
        self._check_code_read()
        self._check()
        body = {"id": handler_id, "key_id": self._key_id, **self._fields}
        return RequestSpec.with_json("PUT", path, body)


class DeleteEventHandlerParams(KeysetParams, total=False):
    """Keywords of ``delete_event_handler`` (its setters)."""

    handler_id: int


class DeleteEventHandler(KeysetBuilder[None]):
    """``DELETE`` an event handler."""

    _handler_id: int | None = None

    def handler_id(self, handler_id: int) -> Self:
        """Set the handler to delete."""
        self._handler_id = handler_id
        return self

    def _build(self) -> RequestSpec:
        path = f"{self._key_path()}/event_handler/{positive_id(self._handler_id, 'handler_id')}"
        return RequestSpec(method="DELETE", path=path)

    async def _parse(self, response: httpx.Response) -> None:
        return None


@attrs.frozen
class Deployment:
    """What [deploy_event_handler][aiospaces.pubnub_admin.event_handlers.deploy_event_handler] did.

    Attributes:
        block: The block, running.
        handler: The saved handler.
        created: True when the handler was new, False when an existing one was updated.
        restarted: True when the block was running and had to be stopped first.
    """

    block: Block
    handler: EventHandler
    created: bool
    restarted: bool


async def deploy_event_handler(
    client: PubNubAdmin,
    *,
    key_id: int,
    block_id: int,
    event: str,
    code: str | None = None,
    code_file: str | os.PathLike[str] | None = None,
    name: str | None = None,
    channels: str | None = None,
    path: str | None = None,
    timeout: float = 60.0,  # noqa: ASYNC109 - a deadline for polling, not for one call
) -> Deployment:
    """Create or update a block's handler, then (re)start the block and wait until it runs.

    The handler to update is the block's handler with the same ``name`` (default: the
    ``path`` of a ``js-on-rest`` handler, else the code file's stem, else the event), or
    failing that its ``js-on-rest`` handler with the same ``path`` (which keeps its name
    unless ``name`` is given). A running block is
    stopped before the save, as the portal requires.

    Raises:
        ValidationError: Bad arguments, or neither or both of ``code``/``code_file``.
        BlockStateError: The block did not start (``stack`` has the JavaScript trace).
        BlockTimeoutError: It did not settle within ``timeout``.
        APIError: The portal refused a call.
    """
    _event(event)
    positive_id(key_id, "key_id")
    positive_id(block_id, "block_id")
    validate.timeout(timeout)
    if (code is None) == (code_file is None):
        raise ValidationError("pass exactly one of code= and code_file=")
    if code_file is not None:
        code = await _read_code(_code_path(code_file))
    wanted = name
    if wanted is None:
        wanted = path if path else (Path(code_file).stem if code_file is not None else event)
    # every argument goes through its setter before the first request
    probe = client.create_event_handler(key_id=key_id, block_id=block_id, name=wanted)._quiet()
    probe.event(event).code(validate.text(code, "code"))
    if channels is not None:
        probe.channels(channels)
    if path is not None:
        probe.path(path)
    block = await client.get_block(key_id=key_id, block_id=block_id)
    existing = next((h for h in block.event_handlers if h.name == wanted), None)
    if existing is None and event == ON_REST:
        existing = next(
            (h for h in block.event_handlers if h.event == ON_REST and h.path == path), None
        )
    save: _HandlerFields
    if existing is None:
        save = client.create_event_handler(key_id=key_id, block_id=block_id, name=wanted)
    else:
        save = client.update_event_handler(key_id=key_id, handler_id=existing.id)
        save.block_id(block_id)
        if name is not None:
            save.name(name)
    save._quiet()  # a failure before it is awaited below is raised: dropping it is no mistake
    save.event(event).code(validate.text(code, "code"))
    if channels is not None:
        save.channels(channels)
    if path is not None:
        save.path(path)
    save._build()  # validate before the block is stopped, not after
    restarted = "running" in (block.state, block.intended_state)
    if restarted:
        await client.stop_block(key_id=key_id, block_id=block_id).wait(timeout)
    handler = await save
    running = await client.start_block(key_id=key_id, block_id=block_id).wait(timeout)
    return Deployment(block=running, handler=handler, created=existing is None, restarted=restarted)
