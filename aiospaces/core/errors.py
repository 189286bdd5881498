"""The one exception hierarchy every aiospaces call raises.

```
AiospacesError
├── ValidationError (also ValueError)          bad input, raised before any request
├── SessionClosedError (also RuntimeError)     the Session was closed
├── EventLoopError (also RuntimeError)         a Session used from a second event loop
├── TransportError                             connect/read/write failures
│   └── TimeoutError (also builtins.TimeoutError)
├── APIError                                   the server answered with an error status
│   ├── BadRequestError 400        ├── AuthenticationError 401
│   ├── PermissionDeniedError 403  ├── NotFoundError 404
│   ├── ConflictError 409          ├── PreconditionFailedError 412
│   ├── PayloadTooLargeError 413   ├── RateLimitError 429
│   ├── ServerError 5xx
│   └── UnexpectedResponseError                a success status with a body of the wrong shape
├── AmbiguousResultError                       a non-idempotent call may or may not have applied
├── CryptoError → DecryptionError              wrong key, bad padding, unknown cryptor
└── FileUploadError                            uploaded but not announced: resumable
```
"""

from __future__ import annotations

import builtins
from typing import Any

__all__ = [
    "APIError",
    "AiospacesError",
    "AmbiguousResultError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CryptoError",
    "DecryptionError",
    "EventLoopError",
    "FileUploadError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "ServerError",
    "SessionClosedError",
    "TimeoutError",
    "TransportError",
    "UnexpectedResponseError",
    "ValidationError",
    "details_text",
    "error_class_for_status",
]


class AiospacesError(Exception):
    """Base class of every error raised by aiospaces."""


class ValidationError(AiospacesError, ValueError):
    """An argument is missing or invalid; raised before any request is sent."""


class SessionClosedError(AiospacesError, RuntimeError):
    """The Session (and its connection pool) was closed and cannot send requests."""


class EventLoopError(AiospacesError, RuntimeError):
    """A Session was used from an event loop other than the one it first sent requests on.

    Its pooled connections belong to the first loop (closed once ``asyncio.run()`` returned),
    so a Session is made inside the loop that uses it: one per ``asyncio.run()``.
    """


class TransportError(AiospacesError):
    """The request could not be completed: connect, read or write failed.

    Attributes:
        attempts: Requests the call sent before giving up (the message says so when > 1).
    """

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        self.attempts = attempts
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_transport_error, (type(self), self.args[0], self.attempts))


def _rebuild_transport_error(
    cls: type[TransportError], message: str, attempts: int
) -> TransportError:
    return cls(message, attempts=attempts)


class TimeoutError(TransportError, builtins.TimeoutError):
    """The request timed out (connect, read, write or waiting for a pooled connection)."""


class APIError(AiospacesError):
    """The server answered with an error status (4xx or 5xx).

    Attributes:
        status_code: The HTTP status code.
        vendor: Which vendor answered (``"pubnub"``, ``"mux"``, ...).
        error_type: The vendor's error type or code, when it sent one.
        message: The vendor's human-readable message.
        details: Extra structured details (field errors, locations), when present.
        request_id: The request id the server returned in its headers, if any.
        body: The parsed JSON body, or the raw text when it was not JSON.
        attempts: Requests the call sent (the message says so when > 1).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        vendor: str = "",
        error_type: str | None = None,
        details: Any = None,
        request_id: str | None = None,
        body: Any = None,
        attempts: int = 1,
    ) -> None:
        self.attempts = attempts
        self.status_code = status_code
        self.vendor = vendor
        self.error_type = error_type
        self.message = message
        self.details = details
        self.request_id = request_id
        self.body = body
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"{self.status_code}"]
        if self.vendor:
            parts.append(self.vendor)
        if self.error_type:
            parts.append(self.error_type)
        text = " ".join(parts) + f": {self.message}"
        said = details_text(self.details)
        if said:
            text += f" ({said})"
        if self.request_id:
            text += f" (request id {self.request_id})"
        if self.attempts > 1:
            text += f" [after {self.attempts} attempts]"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_api_error, (type(self), self.message, self.__dict__))


_DETAILS_SHOWN = 3
_DETAIL_CHARS = 200


def details_text(details: Any) -> str:
    """Return the vendor's per-field explanations of an error as one line ("" if none).

    Reads the shapes the vendors send: PubNub's ``[{"message", "location"}]``, NeuroIO's
    ``[{"name", "message"}]``, plain strings; the first three, each cut at 200 characters.
    Anything else (a stack trace, numbers) is left to ``details``.
    """
    entries = details if isinstance(details, list) else [details]
    said: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            text = entry
        elif isinstance(entry, dict) and isinstance(entry.get("message"), str):
            where = entry.get("location") or entry.get("name") or entry.get("field")
            text = f"{where}: {entry['message']}" if isinstance(where, str) else entry["message"]
        else:
            continue
        text = " ".join(text.split())  # one line
        if text:
            said.append(text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…")
    shown = "; ".join(said[:_DETAILS_SHOWN])
    if len(said) > _DETAILS_SHOWN:
        shown += f"; {len(said) - _DETAILS_SHOWN} more in .details"
    return shown


def _rebuild_api_error(cls: type[APIError], message: str, state: dict[str, Any]) -> APIError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._describe())
    return error


class BadRequestError(APIError):
    """The server rejected the request as malformed (400)."""


class AuthenticationError(APIError):
    """The credentials were missing or wrong (401)."""


class PermissionDeniedError(APIError):
    """The credentials do not allow this operation (403)."""


class NotFoundError(APIError):
    """The resource does not exist (404)."""


class ConflictError(APIError):
    """The request conflicts with the resource's current state (409)."""


class PreconditionFailedError(APIError):
    """A precondition such as ``If-Match`` did not hold (412)."""


class PayloadTooLargeError(APIError):
    """The upload was larger than the server accepts (413, or S3's ``EntityTooLarge``)."""


class RateLimitError(APIError):
    """Too many requests (429).

    Attributes:
        retry_after: Seconds the server asked us to wait, when it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        retry_after: float | None = None,
        vendor: str = "",
        error_type: str | None = None,
        details: Any = None,
        request_id: str | None = None,
        body: Any = None,
        attempts: int = 1,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(
            message,
            status_code=status_code,
            vendor=vendor,
            error_type=error_type,
            details=details,
            request_id=request_id,
            body=body,
            attempts=attempts,
        )


class ServerError(APIError):
    """The server failed (5xx)."""


class UnexpectedResponseError(APIError):
    """The server answered with a success status, but the body is not what the API returns.

    ``message`` says what was expected; ``body`` holds what came (JSON or text).
    """


class AmbiguousResultError(AiospacesError):
    """A call that must not run twice failed in a way that leaves open whether it took effect.

    Raised instead of a blind retry when a non-idempotent request (create a space, publish a
    message) was sent but its answer was lost: the connection dropped after sending, the read
    timed out, or a proxy answered 502/504. The original failure is the ``__cause__``. Check
    what ``check`` says, then send again if the effect is missing (or opt in to blind retries
    with the builder's ``retry_ambiguous(True)`` when a duplicate is acceptable).

    Attributes:
        operation: The call, e.g. ``"POST /video/v1/spaces"``, secrets masked.
        known: What is known about the outcome.
        check: How to find out whether the call took effect.
        attempts: Requests the call sent.
    """

    def __init__(self, *, operation: str, known: str, check: str, attempts: int) -> None:
        self.operation = operation
        self.known = known
        self.check = check
        self.attempts = attempts
        super().__init__(
            f"{operation} may or may not have taken effect ({known}; {attempts} "
            f"request{'s' if attempts != 1 else ''} sent, not retried to avoid a duplicate); "
            f"to find out: {check}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[AmbiguousResultError], state: dict[str, Any]) -> AmbiguousResultError:
    return cls(**{k: state[k] for k in ("operation", "known", "check", "attempts")})


class CryptoError(AiospacesError):
    """Encryption or decryption could not be done."""


class DecryptionError(CryptoError):
    """Data could not be decrypted: wrong key, bad padding or an unknown cryptor."""


class FileUploadError(AiospacesError):
    """A file upload failed part-way; the attributes say where, so it can be resumed.

    Attributes:
        step: The step that failed (for example ``"publish"``).
        file_id: The id of the uploaded file, when the upload itself succeeded.
        file_name: The file's name.
        announced: For the publish step: False when the file message was certainly not
            published (resume with ``publish_file_message``), None when it may have been
            (its answer was lost: look for it in the channel's history before resuming).
    """

    def __init__(
        self,
        message: str,
        *,
        step: str,
        file_id: str | None = None,
        file_name: str | None = None,
        announced: bool | None = False,
    ) -> None:
        self.step = step
        self.file_id = file_id
        self.file_name = file_name
        self.announced = announced
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_upload_error, (type(self), self.args[0], self.__dict__))


def _rebuild_upload_error(
    cls: type[FileUploadError], message: str, state: dict[str, Any]
) -> FileUploadError:
    return cls(message, **state)


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: PayloadTooLargeError,
    429: RateLimitError,
}


def error_class_for_status(status_code: int) -> type[APIError]:
    """Return the APIError subclass that fits a status code (APIError itself for others)."""
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, APIError)
