"""aiospaces: an asyncio-native SDK for the spaces APIs of PubNub, Mux and NeuroIO."""

from aiospaces._version import __version__ as __version__
from aiospaces.core.builder import Envelope as Envelope
from aiospaces.core.errors import AiospacesError as AiospacesError
from aiospaces.core.errors import AmbiguousResultError as AmbiguousResultError
from aiospaces.core.errors import APIError as APIError
from aiospaces.core.errors import AuthenticationError as AuthenticationError
from aiospaces.core.errors import BadRequestError as BadRequestError
from aiospaces.core.errors import ConflictError as ConflictError
from aiospaces.core.errors import CryptoError as CryptoError
from aiospaces.core.errors import DecryptionError as DecryptionError
from aiospaces.core.errors import EventLoopError as EventLoopError
from aiospaces.core.errors import FileUploadError as FileUploadError
from aiospaces.core.errors import NotFoundError as NotFoundError
from aiospaces.core.errors import PayloadTooLargeError as PayloadTooLargeError
from aiospaces.core.errors import PermissionDeniedError as PermissionDeniedError
from aiospaces.core.errors import PreconditionFailedError as PreconditionFailedError
from aiospaces.core.errors import RateLimitError as RateLimitError
from aiospaces.core.errors import ServerError as ServerError
from aiospaces.core.errors import SessionClosedError as SessionClosedError
from aiospaces.core.errors import TimeoutError as TimeoutError
from aiospaces.core.errors import TransportError as TransportError
from aiospaces.core.errors import UnexpectedResponseError as UnexpectedResponseError
from aiospaces.core.errors import ValidationError as ValidationError
from aiospaces.core.request import Status as Status
from aiospaces.core.retry import RetryPolicy as RetryPolicy
from aiospaces.core.sources import FileSource as FileSource
from aiospaces.mux.client import Mux as Mux
from aiospaces.neuroio.client import NeuroIO as NeuroIO
from aiospaces.pubnub.client import PubNub as PubNub
from aiospaces.pubnub_admin.client import PubNubAdmin as PubNubAdmin
from aiospaces.session import Session as Session

__all__ = [
    "APIError",
    "AiospacesError",
    "AmbiguousResultError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CryptoError",
    "DecryptionError",
    "Envelope",
    "EventLoopError",
    "FileSource",
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
    "UnexpectedResponseError",
    "ValidationError",
    "__version__",
]
