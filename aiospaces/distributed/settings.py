"""What a distributed worker reads from its environment.

A worker is started by taskiq's own command, so it has no options of ours: everything comes
from environment variables. Its PubNub client reads the variables of the single-process
command line (``PUBNUB_SUBSCRIBE_KEY``, ``PUBNUB_PUBLISH_KEY``, ``PUBNUB_SECRET_KEY``,
``PUBNUB_USER_ID``, ``PUBNUB_ORIGIN``, ``PUBNUB_SSL``, ``PUBNUB_CIPHER_KEY``, ... : see
[PubNubConfig.from_env][aiospaces.core.settings.BaseConfig.from_env]); the queue and the
journal are set by [ENV_VARS][aiospaces.distributed.settings.ENV_VARS].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from aiospaces.core import validate
from aiospaces.core.settings import checked, config_from_env, env_float, env_int

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_REDIS_URL", "ENV_VARS", "WorkerSettings"]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
"""The Redis server used when ``AIOSPACES_REDIS_URL`` is not set."""

ENV_VARS = {
    "redis_url": "AIOSPACES_REDIS_URL",
    "queue": "AIOSPACES_QUEUE",
    "redelivery_timeout": "AIOSPACES_REDELIVERY_TIMEOUT",
    "lease": "AIOSPACES_LEASE",
    "concurrency": "AIOSPACES_CONCURRENCY",
    "retries": "AIOSPACES_RETRIES",
}
"""Environment variable per [WorkerSettings][aiospaces.distributed.settings.WorkerSettings]
field."""

_PARSERS = {
    "redelivery_timeout": env_float,
    "lease": env_float,
    "concurrency": env_int,
    "retries": env_int,
}


def _positive(value: object, name: str) -> None:
    validate.number(value, name, minimum=0.001)


@attrs.frozen(kw_only=True)
class WorkerSettings:
    """How workers and ``aiospaces files enqueue`` reach the queue, and how workers run.

    Attributes:
        redis_url: The Redis server holding the task stream and the jobs' journals.
        queue: The name of the task stream.
        redelivery_timeout: Seconds after which a task a worker took and never acknowledged
            (the worker died) is handed to another worker.
        lease: Seconds a worker holds a file without renewing its hold (renewed every third
            of it while the worker works on the file).
        concurrency: Files one worker process uploads at once.
        retries: How many more times a step that failed for a transient reason is tried.
    """

    redis_url: str = attrs.field(default=DEFAULT_REDIS_URL, validator=checked(validate.text))
    queue: str = attrs.field(default="aiospaces:files", validator=checked(validate.identifier))
    redelivery_timeout: float = attrs.field(default=30.0, validator=checked(_positive))
    lease: float = attrs.field(default=20.0, validator=checked(_positive))
    concurrency: int = attrs.field(
        default=8, validator=checked(lambda v, n: validate.integer(v, n, minimum=1))
    )
    retries: int = attrs.field(
        default=2, validator=checked(lambda v, n: validate.integer(v, n, minimum=0))
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkerSettings:
        """Return the settings from ``environ`` (default: the process environment).

        Raises:
            ValidationError: A variable holds a value its setting does not take.
        """
        return config_from_env(cls, ENV_VARS, {}, parsers=_PARSERS, environ=environ)
