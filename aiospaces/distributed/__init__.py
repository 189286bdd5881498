"""Bulk uploads across machines: taskiq workers on a Redis stream, the job journal in Redis.

Needs the ``distributed`` extra (``pip install 'aiospaces[distributed]'``):

- [redis_journal][aiospaces.distributed.redis_journal]: the job's journal in Redis
  ([RedisJournal][aiospaces.distributed.redis_journal.RedisJournal]), with leases;
- [settings][aiospaces.distributed.settings]: what a worker reads from its environment;
- [broker][aiospaces.distributed.broker]: the Redis stream broker and its redelivery;
- [worker][aiospaces.distributed.worker]: the broker object workers run
  (``taskiq worker aiospaces.distributed.worker:broker``) and its ``upload_file`` task;
- [manifest][aiospaces.distributed.manifest]: a job's files from paths, directories and
  lists, written to the journal and sent as tasks (``aiospaces files enqueue``).
"""

__all__: list[str] = []
