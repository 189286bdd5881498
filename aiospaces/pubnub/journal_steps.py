"""One file's steps with a journal: do what remains, writing the record before and after each.

```python
steps = FileSteps(pn, journal, "photos", send_options={"cipher_key": key})
record = await journal.get(key) or record_for(item)
outcome = await steps.advance(record, item)       # StepOutcome: the record, what was done
```

[FileSteps.advance][aiospaces.pubnub.journal_steps.FileSteps.advance] is the one place the
journal's transitions are made; the single-process bulk upload and distributed workers both
call it. From the record's state:

- ``announced``: nothing (``skipped``);
- ``pending`` (or failed before a file id): reserve (the record is written ``reserved`` before
  the store request is sent), store (written ``stored`` before the file message is sent),
  publish (written ``announced``);
- ``reserved`` (or failed while storing): a form still valid (its expiry minus
  [FORM_MARGIN][aiospaces.pubnub.journal.FORM_MARGIN]) stores the file again under the same
  file id, an overwrite; an expired one has its object deleted (missing is fine), its file id
  kept in ``abandoned``, and a new file id reserved;
- ``stored``, ``announcement_unknown`` or failed at the publish: the channel's history is
  searched for a file message with the file id (from shortly before the reservation on);
  found, the record becomes ``announced`` with its timetoken; otherwise it is published.

A publish whose answer is lost leaves ``announcement_unknown``: never published again blindly.
Transient failures (transport errors, 429, 5xx) are tried again up to ``retries`` times within
the call. Cancellation writes nothing: the record already says where the file stands.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from aiospaces.core.errors import (
    ValidationError,
)
from aiospaces.pubnub._journal_run import JournalFailure, Run
from aiospaces.pubnub.journal import FORM_MARGIN, FileRecord
from aiospaces.pubnub.journal_history import HISTORY_SETTLE, HistoryIndex

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiospaces.pubnub.bulk import UploadFilesParams
    from aiospaces.pubnub.client import PubNub
    from aiospaces.pubnub.journal import JobJournal, StepOutcome
    from aiospaces.pubnub.report import UploadItem

__all__ = ["FileSteps", "item_key", "record_for"]


def item_key(item: UploadItem) -> str:
    """Return a file's identity in a job: its absolute path, else its given file name.

    Raises:
        ValidationError: A source that is not a path has no ``file_name``.
    """
    source = item.source
    if isinstance(source, str | os.PathLike):
        return os.path.abspath(os.fspath(source))
    if not item.file_name:
        raise ValidationError(
            f"file_name is required for a {type(source).__name__} source in a journaled job"
        )
    return item.file_name


def record_for(item: UploadItem, size: int | None = None, *, key: str | None = None) -> FileRecord:
    """Return the ``pending`` record of a file not in the journal yet (``size`` if known).

    ``key`` is the file's [item_key][aiospaces.pubnub.journal_steps.item_key], when the
    caller has it already (else it is worked out).
    """
    return FileRecord(
        key=item_key(item) if key is None else key,
        name=item.name,
        size=item.size if size is None else size,
    )


class FileSteps:
    """Runs files' remaining steps against one journal, for one channel and send options.

    Args:
        client: The PubNub client.
        journal: Where the records are kept.
        channel: The channel the files are shared on.
        send_options: Setters applied to every ``send_file`` (and re-publish): ``cipher_key``,
            ``meta``, ``ttl``, ``publish_retries``, ... The file messages must be stored in
            history (``should_store``, set here unless given), or a file whose announcement
            is unknown could never be checked.
        retries: How many more times a step that failed for a transient reason is tried.
        history: The history index to search (default: one of this object's own).
        settle: Seconds after this object is made before history is first searched (a file
            message sent by the process that died must have reached history).
        form_margin: A form expiring within this many seconds is not used again.
        clock: Seconds since the epoch.

    Raises:
        ValidationError: ``should_store`` is False (history could not tell what was announced).
    """

    def __init__(
        self,
        client: PubNub,
        journal: JobJournal,
        channel: str,
        *,
        send_options: UploadFilesParams | None = None,
        retries: int = 2,
        history: HistoryIndex | None = None,
        settle: float = HISTORY_SETTLE,
        form_margin: float = FORM_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        options: UploadFilesParams = {"should_store": True, **(send_options or {})}
        if not options["should_store"]:
            raise ValidationError(
                "a journaled job stores its file messages in history (should_store=True): "
                "history is how a resumed job knows whether a file was announced"
            )
        self.client = client
        self.journal = journal
        self.channel = channel
        self.send_options = options
        self.retries = retries
        self.history = history or HistoryIndex(
            client, channel, cipher_key=options.get("cipher_key"), clock=clock
        )
        self.form_margin = form_margin
        self.clock = clock
        """Seconds since the epoch."""
        self.history_after = clock() + settle
        """History searched before this time (seconds since the epoch) is not trusted."""

    async def advance(
        self,
        record: FileRecord,
        item: UploadItem,
        *,
        on_bytes: Callable[[int], None] | None = None,
        history_after: float | None = None,
    ) -> StepOutcome:
        """Do what remains of ``record``'s file (its content read from ``item``).

        Args:
            record: The file's record as last read from the journal (or a new one, added).
            item: The file's source, message and size (its name comes from the record).
            on_bytes: Called with each chunk of file bytes sent (negative: taken back).
            history_after: Trust only history searches begun after this time (seconds since
                the epoch; default and at least ``history_after`` of this object). A worker
                taking a file over from one whose lease ran out at ``T`` passes ``T`` plus
                the settle time, so that a message the other sent is in history.

        Returns:
            What was done and the record as it now stands. A file that failed or whose
            announcement is unknown is an outcome too, not an exception.

        Raises:
            Exception: Writing the journal failed (the journal's own error).
        """
        after = max(self.history_after, history_after or 0.0)
        run = Run(self, record, item, on_bytes, after)
        try:
            return await run.go()
        except JournalFailure as failure:
            raise failure.error from failure.error.__cause__
