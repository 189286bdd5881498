"""aiospaces: an asyncio-native SDK for the spaces APIs of PubNub, Mux and NeuroIO."""

from aiospaces._version import __version__
from aiospaces.core.builder import Envelope, Status
from aiospaces.core.errors import (
    AiospacesError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CryptoError,
    DecryptionError,
    FileUploadError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ServerError,
    SessionClosedError,
    TimeoutError,
    TransportError,
    ValidationError,
)
from aiospaces.core.retry import RetryPolicy
from aiospaces.core.session import Session
from aiospaces.mux.client import Mux
from aiospaces.neuroio.client import NeuroIO
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub_admin.client import PubNubAdmin

__all__ = [
    "APIError",
    "AiospacesError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CryptoError",
    "DecryptionError",
    "Envelope",
    "FileUploadError",
    "Mux",
    "NeuroIO",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "PubNub",
    "PubNubAdmin",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "Session",
    "SessionClosedError",
    "Status",
    "TimeoutError",
    "TransportError",
    "ValidationError",
    "__version__",
]
