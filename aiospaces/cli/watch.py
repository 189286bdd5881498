"""``aiospaces files watch``: download every file announced on a channel as it arrives.

[watch_files][aiospaces.cli.watch.watch_files] is the worker pattern of the realtime docs
(subscribe → download → done) with the care a tool needs: a file name from the network is
reduced to a plain name inside the target directory (``../x`` cannot escape it), two files of
one name do not overwrite each other, each download lands under a temporary name and is renamed
into place only once complete and decrypted, and a file that fails is recorded and the watch
goes on. ``make demo`` runs it while a bulk upload sends its files.
"""

from __future__ import annotations

import time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import anyio
import attrs

from aiospaces.core.errors import AiospacesError
from aiospaces.pubnub.events import FileEvent, UndecryptableEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from anyio.abc import TaskStatus

    from aiospaces.pubnub.client import PubNub

__all__ = ["Received", "WatchStats", "target_name", "watch_files"]


@attrs.frozen
class Received:
    """A file the watch wrote.

    Attributes:
        file_id: Its PubNub file id.
        file_name: Its name as announced.
        path: Where it was written.
        size: Its size in bytes, decrypted.
        timetoken: When its file message was published.
    """

    file_id: str
    file_name: str
    path: Path
    size: int
    timetoken: int


@attrs.define
class WatchStats:
    """What a watch has seen so far (updated as it goes).

    Attributes:
        announced: File messages received, readable or not.
        received: The files written, in the order they completed.
        failed: ``(name, reason)`` of each file that could not be downloaded or read.
        started: ``time.perf_counter()`` when the watch began.
    """

    announced: int = 0
    received: list[Received] = attrs.field(factory=list)
    failed: list[tuple[str, str]] = attrs.field(factory=list)
    started: float = attrs.field(factory=time.perf_counter)

    @property
    def bytes(self) -> int:
        """Bytes written (decrypted)."""
        return sum(item.size for item in self.received)

    @property
    def pending(self) -> int:
        """Files announced and not yet written or failed."""
        return self.announced - len(self.received) - len(self.failed)


def target_name(file_name: str, file_id: str, taken: Callable[[str], bool]) -> str:
    """Return a safe, unused name in the target directory for an announced file.

    Only the last part of the announced name is kept (``a/../b.txt`` gives ``b.txt``, a
    backslash counts as a separator); a name that is empty, ``.``, ``..``, hidden or holds
    a NUL becomes the file id. A name already ``taken`` gets the file id before its suffix.
    """
    name = PurePosixPath(file_name.replace("\\", "/")).name
    if not name or name in (".", "..") or name.startswith(".") or "\0" in name:
        name = file_id
    if not taken(name):
        return name
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
    for candidate in (f"{stem}-{file_id[:8]}{suffix}", f"{stem}-{file_id}{suffix}"):
        if not taken(candidate):
            return candidate
    counter = 2
    while taken(f"{stem}-{file_id}-{counter}{suffix}"):
        counter += 1
    return f"{stem}-{file_id}-{counter}{suffix}"


async def watch_files(
    pn: PubNub,
    channel: str,
    directory: Path,
    *,
    stats: WatchStats | None = None,
    concurrency: int = 4,
    stop_after: int | None = None,
    timetoken: int | None = None,
    on_change: Callable[[WatchStats], None] | None = None,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> WatchStats:
    """Subscribe to ``channel`` and download each announced file into ``directory``.

    Runs until cancelled, or until ``stop_after`` files were announced and handled. Signals
    ``task_status`` once subscribed, so ``await task_group.start(watch_files, ...)`` returns
    when nothing announced afterwards can be missed.

    Args:
        pn: The client: its cipher key decrypts file messages and files.
        channel: The channel to watch.
        directory: Where files are written (created if missing).
        stats: Record into this (so a caller still has it after a cancellation).
        concurrency: Downloads at once.
        stop_after: Return after this many file messages.
        timetoken: Start after this timetoken instead of now (to catch up).
        on_change: Called after each change of ``stats``.
        task_status: Set by ``TaskGroup.start``.

    Returns:
        What was received and what failed.
    """
    stats = stats if stats is not None else WatchStats()
    report = on_change or (lambda _: None)
    await anyio.Path(directory).mkdir(parents=True, exist_ok=True)
    limiter = anyio.CapacityLimiter(concurrency)
    reserved = {entry.name async for entry in anyio.Path(directory).iterdir()}

    async def download(event: FileEvent, target: Path) -> None:
        async with limiter:
            try:
                written = await event.download_file().to_path(target)
                size = (await anyio.Path(written).stat()).st_size
            except AiospacesError as error:
                stats.failed.append((event.file_name, str(error)))
            else:
                item = Received(event.file_id, event.file_name, written, size, event.timetoken)
                stats.received.append(item)
            report(stats)

    async with pn.subscribe(channels=channel, timetoken=timetoken) as sub:
        task_status.started()
        async with anyio.create_task_group() as downloads:
            async for event in sub:
                if isinstance(event, FileEvent):
                    stats.announced += 1
                    name = target_name(event.file_name, event.file_id, reserved.__contains__)
                    reserved.add(name)
                    downloads.start_soon(download, event, directory / name)
                elif isinstance(event, UndecryptableEvent) and event.kind == "file":
                    stats.announced += 1
                    stats.failed.append((f"file message {event.timetoken}", event.error))
                else:
                    continue
                report(stats)
                if stop_after is not None and stats.announced >= stop_after:
                    break
    return stats
