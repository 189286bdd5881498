"""Functions v1 blocks (modules) of a keyset: CRUD, start and stop, waiting for the state.

```python
block = await adm.create_block(key_id=key.id, name="chat", description="moderation")
await adm.start_block(key_id=key.id, block_id=block.id).wait(timeout=30)
await adm.stop_block().key_id(key.id).block_id(block.id).wait()
```

Start and stop set ``intended_state`` at once; ``state`` follows asynchronously, so
``.wait()`` polls the block (with backoff) until ``state == intended_state``.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Literal, Self, TypeVar

from aiospaces.core import validate
from aiospaces.core.builder import CallParams
from aiospaces.core.errors import AiospacesError, BadRequestError, ConflictError
from aiospaces.core.polling import poll_until
from aiospaces.core.request import RequestSpec
from aiospaces.pubnub_admin._base import KeysetBuilder, payload, positive_id
from aiospaces.pubnub_admin.models import Block, converter

if TYPE_CHECKING:
    import httpx

    from aiospaces.pubnub_admin.client import PubNubAdmin

__all__ = [
    "MAX_INTERVAL",
    "STOP_BLOCK_EMPTY",
    "BlockParams",
    "BlockStateError",
    "BlockTimeoutError",
    "CreateBlock",
    "CreateBlockParams",
    "DeleteBlock",
    "GetBlock",
    "KeysetParams",
    "ListBlocks",
    "StartBlock",
    "StopBlock",
    "UpdateBlock",
    "UpdateBlockParams",
    "wait_for_state",
]

T = TypeVar("T")

STOP_BLOCK_EMPTY = "STOP_BLOCK_EMPTY"
"""The portal's error code for stopping a block that has no event handlers."""
MAX_INTERVAL = 2.0
"""Longest pause between two polls of a block's state (seconds)."""


class BlockStateError(AiospacesError):
    """A block did not reach the state it was asked for.

    Raised by ``.wait()`` when the portal refused the start or stop (for a start, usually
    because a handler does not compile: ``stack`` carries the JavaScript trace), or when the
    block's ``intended_state`` changed to something else while waiting.

    Attributes:
        key_id: The keyset id.
        block_id: The block id.
        intended_state: The state that was asked for (``"running"`` or ``"stopped"``).
        state: The block's last known state (None when it was never read).
        message: What went wrong, as the portal said it.
        stack: The JavaScript stack trace the portal sent, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        key_id: int,
        block_id: int,
        intended_state: str,
        state: str | None = None,
        stack: str | None = None,
    ) -> None:
        self.key_id = key_id
        self.block_id = block_id
        self.intended_state = intended_state
        self.state = state
        self.message = message
        self.stack = stack
        super().__init__(f"block {block_id} (key {key_id}) not {intended_state}: {message}")


class BlockTimeoutError(BlockStateError, builtins.TimeoutError):
    """A block's ``state`` did not reach its ``intended_state`` within the timeout."""


class KeysetParams(CallParams, total=False):
    """Keywords of ``list_blocks`` (its setters)."""

    key_id: int


class BlockParams(KeysetParams, total=False):
    """Keywords of the calls on one block (their setters)."""

    block_id: int


class _BlockBuilder(KeysetBuilder[T]):
    _block_id: int | None = None

    def block_id(self, block_id: int) -> Self:
        """Set the block."""
        self._block_id = block_id
        return self

    def _block_path(self) -> str:
        return f"{self._key_path()}/block/{positive_id(self._block_id, 'block_id')}"


class ListBlocks(KeysetBuilder[list[Block]]):
    """``GET`` every block of a keyset, with their event handlers."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=f"{self._key_path()}/block")

    async def _parse(self, response: httpx.Response) -> list[Block]:
        return converter.structure(payload(response) or [], list[Block])


class GetBlock(_BlockBuilder[Block]):
    """``GET`` one block, with its event handlers and its ``state``/``intended_state``."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="GET", path=self._block_path())

    async def _parse(self, response: httpx.Response) -> Block:
        found = payload(response)
        if isinstance(found, list):  # the portal answers with an array of one block
            if not found:
                raise ValueError("the portal answered with no block")
            found = found[0]
        return converter.structure(found, Block)


class CreateBlockParams(KeysetParams, total=False):
    """Keywords of ``create_block`` (its setters)."""

    name: str
    description: str


class CreateBlock(KeysetBuilder[Block]):
    """``POST`` a new (stopped, empty) block."""

    _name: str | None = None
    _description = ""

    def name(self, name: str) -> Self:
        """Set the block's name (required)."""
        self._name = name
        return self

    def description(self, description: str) -> Self:
        """Set the block's description."""
        self._description = description
        return self

    def _build(self) -> RequestSpec:
        path = f"{self._key_path()}/block"
        body = {
            "key_id": self._key_id,
            "name": validate.text(self._name, "name"),
            "description": validate.text(self._description, "description", empty=True),
        }
        return RequestSpec.with_json(
            "POST", path, body, check="list the key's blocks and look for the name you set"
        )

    async def _parse(self, response: httpx.Response) -> Block:
        return converter.structure(payload(response), Block)


class UpdateBlockParams(BlockParams, total=False):
    """Keywords of ``update_block`` (its setters)."""

    name: str
    description: str


class UpdateBlock(_BlockBuilder[None]):
    """``PUT`` a block's name and description (only the fields you set are sent)."""

    _fields: dict[str, str] = {}  # noqa: RUF012 - replaced, never mutated

    def name(self, name: str) -> Self:
        """Rename the block."""
        self._fields = {**self._fields, "name": validate.text(name, "name")}
        return self

    def description(self, description: str) -> Self:
        """Change the description."""
        text = validate.text(description, "description", empty=True)
        self._fields = {**self._fields, "description": text}
        return self

    def _build(self) -> RequestSpec:
        path = self._block_path()
        body = {"key_id": self._key_id, "block_id": self._block_id, "id": self._block_id}
        return RequestSpec.with_json("PUT", path, {**body, **self._fields})

    async def _parse(self, response: httpx.Response) -> None:
        return None


class DeleteBlock(_BlockBuilder[None]):
    """``DELETE`` a block and its event handlers (the emulator wants it stopped first)."""

    def _build(self) -> RequestSpec:
        return RequestSpec(method="DELETE", path=self._block_path())

    async def _parse(self, response: httpx.Response) -> None:
        return None


class _StateChange(_BlockBuilder[None]):
    """``POST …/block/{id}/start`` or ``/stop``; ``.wait()`` also waits for the state."""

    action: Literal["start", "stop"]
    target: Literal["running", "stopped"]

    def _build(self) -> RequestSpec:
        # a state change: repeating one that was applied changes nothing
        return RequestSpec(
            method="POST", path=f"{self._block_path()}/{self.action}", idempotent=True
        )

    async def _parse(self, response: httpx.Response) -> None:
        return None

    async def wait(
        self,
        timeout: float = 60.0,  # noqa: ASYNC109 - a deadline for polling, not for one call
        *,
        interval: float = 0.1,
    ) -> Block:
        """Send the request, then poll the block until ``state == intended_state``.

        Args:
            timeout: Seconds to wait for the state (the request itself not included).
            interval: First pause between polls; it doubles up to 2 s.

        Returns:
            The block as last read, settled in the asked-for state.

        Raises:
            ValidationError: Bad ids or waiting arguments (no request was sent).
            BlockStateError: The portal refused the change (with its message and JS stack)
                or the block's ``intended_state`` changed while waiting.
            BlockTimeoutError: The state did not settle within ``timeout``.
            APIError: Any other error answer.
        """
        validate.timeout(timeout)
        validate.timeout(interval, "interval")
        self._build()  # validate before any I/O
        key_id = positive_id(self._key_id, "key_id")
        block_id = positive_id(self._block_id, "block_id")
        try:
            await self.result()
        except ConflictError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            raise BlockStateError(
                exc.message,
                key_id=key_id,
                block_id=block_id,
                intended_state=self.target,
                stack=details.get("stack") or None,
            ) from exc
        except BadRequestError as exc:
            if self.action != "stop" or exc.error_type != STOP_BLOCK_EMPTY:
                raise
            # a block without handlers cannot run: it is already as stopped as it gets
        return await wait_for_state(
            self._client, key_id, block_id, self.target, timeout=timeout, interval=interval
        )


class StartBlock(_StateChange):
    """``POST`` a block's start; ``await …wait()`` until it runs."""

    action = "start"
    target = "running"


class StopBlock(_StateChange):
    """``POST`` a block's stop; ``await …wait()`` until it has stopped.

    A block without event handlers answers 400 ``STOP_BLOCK_EMPTY``: plain ``await`` raises it
    as a [BadRequestError][aiospaces.core.errors.BadRequestError]; ``.wait()`` takes it as
    success, since such a block cannot run.
    """

    action = "stop"
    target = "stopped"


async def wait_for_state(
    client: PubNubAdmin,
    key_id: int,
    block_id: int,
    target: str,
    *,
    timeout: float = 60.0,  # noqa: ASYNC109 - a deadline for polling, not for one call
    interval: float = 0.1,
) -> Block:
    """Poll a block until its ``state`` is ``target``; return the block as last read.

    Raises:
        BlockStateError: The block's ``intended_state`` is no longer ``target``.
        BlockTimeoutError: It did not settle within ``timeout`` seconds.
    """

    def settled(block: Block) -> bool:
        if block.intended_state != target:
            raise BlockStateError(
                f"its intended_state became {block.intended_state!r} while waiting",
                key_id=key_id,
                block_id=block_id,
                intended_state=target,
                state=block.state,
            )
        return block.state == target

    def expired(last: Block | None, waited: float) -> BlockTimeoutError:
        state = last.state if last is not None else None
        return BlockTimeoutError(
            f"still {state!r} after {waited:.1f} s",
            key_id=key_id,
            block_id=block_id,
            intended_state=target,
            state=state,
        )

    return await poll_until(
        client.get_block(key_id=key_id, block_id=block_id).result,
        settled,
        timeout=timeout,
        interval=interval,
        max_interval=MAX_INTERVAL,
        expired=expired,
    )
