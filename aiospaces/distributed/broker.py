"""The task queue: a Redis stream whose unacknowledged tasks go to another worker in time.

taskiq-redis's [RedisStreamBroker][taskiq_redis.RedisStreamBroker] hands a task that a worker
took but never acknowledged (the worker died) to another worker once it has been idle for
``idle_timeout`` milliseconds — 10 minutes by default, and only after a read of the stream that
found new tasks, so a job whose last tasks are all taken waits for the next job to resume them.
[StreamBroker][aiospaces.distributed.broker.StreamBroker] looks for them after every read,
found or not, walks the whole pending list a batch at a time, and is made by
[make_broker][aiospaces.distributed.broker.make_broker] with the
[WorkerSettings][aiospaces.distributed.settings.WorkerSettings]' redelivery timeout
(30 s by default). An acknowledged task is deleted from the stream, so the stream holds only
the tasks still to do (the queue has one consumer group, named like the stream). Tasks are sent
and acknowledged through one Redis client of the broker's connection pool, not a client made
per task.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from taskiq import AckableMessage, BrokerMessage
from taskiq_redis import RedisStreamBroker

from aiospaces.distributed.settings import WorkerSettings

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

__all__ = ["READ_COUNT", "StreamBroker", "make_broker"]

READ_COUNT = 16
"""Tasks a worker takes from the stream per read (taskiq-redis reads 100)."""


class StreamBroker(RedisStreamBroker):
    """A Redis stream broker that takes over idle unacknowledged tasks after every read.

    Takes [RedisStreamBroker][taskiq_redis.RedisStreamBroker]'s arguments; ``idle_timeout``
    (milliseconds) is how long a task stays with a worker that took it and never acknowledged
    it before another worker gets it.
    """

    @functools.cached_property
    def _client(self) -> Redis:
        """A client of the broker's connection pool, made once for every task sent and acked.

        taskiq-redis makes a client per task sent and per acknowledgement, which builds the
        client's table of response callbacks each time: about 0.4 ms of CPU per file.
        """
        return Redis(connection_pool=self.connection_pool)

    async def kick(self, message: BrokerMessage) -> None:
        """Add a task to the stream (``XADD``, trimmed to ``maxlen`` as taskiq-redis does)."""
        await self._client.xadd(
            message.labels.get("queue_name") or self.queue_name,
            {b"data": message.message},
            maxlen=self.maxlen,
            approximate=self.approximate,
        )

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """Yield new tasks, then tasks idle longer than ``idle_timeout``; forever."""
        cursor: Any = "0-0"
        async with Redis(connection_pool=self.connection_pool) as connection:
            while True:
                fetched: Any = await connection.xreadgroup(
                    self.consumer_group_name,
                    self.consumer_name,
                    {self.queue_name: ">"},
                    block=self.block,
                    noack=False,
                    count=self.count,
                )
                # RESP2 answers [[stream, messages]], RESP3 {stream: messages}
                streams = fetched.items() if isinstance(fetched, dict) else fetched or []
                for stream, messages in streams:
                    for message_id, fields in messages:
                        yield self._message(stream, message_id, fields)
                claim: list[Any] = await connection.xautoclaim(
                    self.queue_name,
                    self.consumer_group_name,
                    self.consumer_name,
                    min_idle_time=self.idle_timeout,
                    start_id=cursor,
                    count=self.unacknowledged_batch_size,
                )
                cursor, claimed = claim[0], claim[1]
                for message_id, fields in claimed:
                    if fields:  # None: the entry was deleted from the stream
                        yield self._message(self.queue_name, message_id, fields)

    def _message(self, stream: Any, message_id: Any, fields: dict[bytes, bytes]) -> AckableMessage:
        async def ack() -> None:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.xack(stream, self.consumer_group_name, message_id)
                pipe.xdel(stream, message_id)
                await pipe.execute()

        return AckableMessage(data=fields[b"data"], ack=ack)


def make_broker(settings: WorkerSettings | None = None, **options: Any) -> StreamBroker:
    """Return the broker of ``settings`` (default: from the environment).

    Args:
        settings: Where the queue is and its redelivery timeout.
        **options: More [RedisStreamBroker][taskiq_redis.RedisStreamBroker] arguments; they
            win over those made from ``settings``.
    """
    settings = settings or WorkerSettings.from_env()
    arguments: dict[str, Any] = {
        "url": settings.redis_url,
        "queue_name": settings.queue,
        "consumer_group_name": settings.queue,
        "idle_timeout": max(1, round(settings.redelivery_timeout * 1000)),
        "xread_count": READ_COUNT,
        "xread_block": 1000,
        # a task taken from the stream before the group existed would never be delivered
        "consumer_id": "0",
    }
    return StreamBroker(**(arguments | options))
