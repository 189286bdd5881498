"""The vendor-neutral core: Session, builders, the request path, retries, errors, validation."""

from aiospaces.core.builder import Builder as Builder
from aiospaces.core.builder import CallParams as CallParams
from aiospaces.core.builder import Envelope as Envelope
from aiospaces.core.client import BaseClient as BaseClient
from aiospaces.core.request import CallOptions as CallOptions
from aiospaces.core.request import Exchange as Exchange
from aiospaces.core.request import RequestSpec as RequestSpec
from aiospaces.core.request import Status as Status
from aiospaces.core.retry import RetryPolicy as RetryPolicy
from aiospaces.core.session import Session as Session
from aiospaces.core.transport import PoolStats as PoolStats

__all__ = [
    "BaseClient",
    "Builder",
    "CallOptions",
    "CallParams",
    "Envelope",
    "Exchange",
    "PoolStats",
    "RequestSpec",
    "RetryPolicy",
    "Session",
    "Status",
]
