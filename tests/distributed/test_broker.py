"""The stream broker: a task a dead worker took goes to another worker, even on a quiet stream."""

from __future__ import annotations

import importlib
import socket
import time
import uuid
from typing import Any

import pytest
import redis.asyncio as aioredis
import redis.exceptions
from taskiq import BrokerMessage

from aiospaces.distributed.broker import READ_COUNT, StreamBroker, make_broker
from aiospaces.distributed.settings import WorkerSettings
from aiospaces.distributed.tasks import TASK_NAME

pytestmark = pytest.mark.redis


def broker(redis_url: str) -> StreamBroker:
    settings = WorkerSettings(redis_url=redis_url, redelivery_timeout=0.5)
    return make_broker(settings, consumer_name=uuid.uuid4().hex)


async def test_the_settings_make_the_broker(redis_url: str) -> None:
    made = make_broker(WorkerSettings(redis_url=redis_url, queue="q1", redelivery_timeout=42))
    assert (made.queue_name, made.consumer_group_name) == ("q1", "q1")
    assert made.idle_timeout == 42_000  # milliseconds
    assert made.count == READ_COUNT
    assert made.consumer_id == "0"  # tasks sent before the first worker started are delivered


async def test_a_task_never_acknowledged_is_handed_to_another_worker(redis_url: str) -> None:
    sender, first, second = broker(redis_url), broker(redis_url), broker(redis_url)
    client = aioredis.Redis.from_url(redis_url)
    try:
        await sender.startup()  # the group exists before the task is sent
        await sender.kick(BrokerMessage(task_id="1", task_name="t", message=b"task", labels={}))
        taken = await anext(first.listen())
        assert taken.data == b"task"  # ... and the first worker dies without acknowledging
        began = time.monotonic()
        again = await anext(second.listen())  # nothing new in the stream: taken over anyway
        assert again.data == b"task"
        assert 0.4 < time.monotonic() - began < 5
        assert await client.xlen("aiospaces:files") == 1
        acknowledged = again.ack()
        assert acknowledged is not None
        await acknowledged
        assert await client.xlen("aiospaces:files") == 0  # acknowledged tasks are deleted
        assert (await client.xpending("aiospaces:files", "aiospaces:files"))["pending"] == 0
    finally:
        for each in (sender, first, second):
            await each.shutdown()
        await client.aclose()


async def test_tasks_are_sent_and_acknowledged_through_one_client(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[object] = []
    real_init = aioredis.Redis.__init__

    def counting_init(self: aioredis.Redis, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        real_init(self, *args, **kwargs)

    sender = make_broker(WorkerSettings(redis_url=redis_url), maxlen=3, approximate=False)
    worker = broker(redis_url)
    client = aioredis.Redis.from_url(redis_url)
    try:
        await sender.startup()
        monkeypatch.setattr(aioredis.Redis, "__init__", counting_init)
        for n in range(5):
            task = BrokerMessage(task_id=str(n), task_name="t", message=b"task %d" % n, labels={})
            await sender.kick(task)
        assert len(made) == 1  # the sender's client, made by its first task
        entries = await client.xrange("aiospaces:files") or []  # XADD, trimmed to maxlen
        assert [fields for _, fields in entries] == [{b"data": b"task %d" % n} for n in (2, 3, 4)]
        listening = worker.listen()
        taken = [await anext(listening) for _ in range(3)]
        assert [t.data for t in taken] == [b"task 2", b"task 3", b"task 4"]
        made.clear()
        for message in taken:
            acknowledged = message.ack()
            assert acknowledged is not None
            await acknowledged
        assert len(made) == 1  # the worker's client, made by its first acknowledgement
        assert await client.xlen("aiospaces:files") == 0  # acknowledged tasks are deleted
        await listening.aclose()
    finally:
        monkeypatch.undo()
        for each in (sender, worker):
            await each.shutdown()
        await client.aclose()


async def test_a_task_labelled_for_another_queue_goes_to_that_stream(redis_url: str) -> None:
    sender = make_broker(WorkerSettings(redis_url=redis_url))
    client = aioredis.Redis.from_url(redis_url)
    try:
        labels = {"queue_name": "elsewhere"}
        await sender.kick(BrokerMessage(task_id="1", task_name="t", message=b"x", labels=labels))
        assert await client.xlen("elsewhere") == 1
        assert await client.xlen("aiospaces:files") == 0
    finally:
        await sender.shutdown()
        await client.aclose()


async def test_sending_to_an_unreachable_redis_raises() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = make_broker(WorkerSettings(redis_url=f"redis://127.0.0.1:{port}/0"))
    try:
        with pytest.raises(redis.exceptions.ConnectionError):
            await sender.kick(BrokerMessage(task_id="1", task_name="t", message=b"x", labels={}))
    finally:
        await sender.shutdown()


def test_the_shipped_broker_is_made_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiospaces.distributed import worker

    monkeypatch.setenv("AIOSPACES_REDELIVERY_TIMEOUT", "7")
    monkeypatch.setenv("AIOSPACES_QUEUE", "uploads")
    try:
        shipped = importlib.reload(worker)
        assert isinstance(shipped.broker, StreamBroker)
        assert (shipped.broker.idle_timeout, shipped.broker.queue_name) == (7000, "uploads")
        task = shipped.broker.find_task(TASK_NAME)
        assert task is not None
        assert task.labels == {"ack_type": "manual"}  # acknowledged by the task itself
    finally:
        monkeypatch.undo()
        importlib.reload(worker)
