"""The vendor-neutral core: Session, builders, retries, errors, pagination, conversion."""

from aiospaces.core.builder import Builder as Builder
from aiospaces.core.builder import Envelope as Envelope
from aiospaces.core.builder import RequestSpec as RequestSpec
from aiospaces.core.builder import Status as Status
from aiospaces.core.client import BaseClient as BaseClient
from aiospaces.core.retry import RetryPolicy as RetryPolicy
from aiospaces.core.session import Session as Session
from aiospaces.core.transport import PoolStats as PoolStats

__all__ = [
    "BaseClient",
    "Builder",
    "Envelope",
    "PoolStats",
    "RequestSpec",
    "RetryPolicy",
    "Session",
    "Status",
]
