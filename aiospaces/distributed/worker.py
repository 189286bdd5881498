"""The broker object workers run: ``taskiq worker aiospaces.distributed.worker:broker``.

Made from the environment when imported (see [settings][aiospaces.distributed.settings]):
``AIOSPACES_REDIS_URL`` (the queue and the journals), ``AIOSPACES_REDELIVERY_TIMEOUT``,
``AIOSPACES_LEASE``, ``AIOSPACES_CONCURRENCY``, and the ``PUBNUB_*`` variables. Each worker
process opens one Session on the worker startup event and closes it on shutdown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiospaces.distributed.broker import StreamBroker, make_broker
from aiospaces.distributed.settings import WorkerSettings
from aiospaces.distributed.tasks import register

if TYPE_CHECKING:
    from taskiq import AsyncTaskiqDecoratedTask

__all__ = ["broker", "settings", "upload_file"]

settings: WorkerSettings = WorkerSettings.from_env()
"""The settings read from the environment."""
broker: StreamBroker = make_broker(settings)
"""The broker taskiq's worker command runs."""
upload_file: AsyncTaskiqDecoratedTask[[str, str], Any] = register(broker)
"""The task: ``await upload_file.kiq(job, key)``."""
