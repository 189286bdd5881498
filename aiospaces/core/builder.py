"""Awaitable builders: every aiospaces operation is a ``Builder[T]``.

```python
space = await pn.create_space().space_id("room").name("Room")   # -> the result
env = await pn.fetch_space().space_id("room").future()          # -> Envelope(result, status)
```
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import AsyncIterable, Callable, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import attrs

from aiospaces.core.errors import ValidationError

if TYPE_CHECKING:
    import httpx

    from aiospaces.core.client import BaseClient

__all__ = ["BodyFactory", "Builder", "CallOptions", "Envelope", "RequestSpec", "Status", "require"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

BodyFactory = Callable[[], AsyncIterable[bytes]]
"""A zero-argument callable returning a fresh body stream; called once per attempt."""


@attrs.frozen
class Status:
    """What the HTTP exchange looked like.

    Attributes:
        status_code: The final response's status code.
        headers: The final response's headers.
        request_id: The server's request id (``x-request-id`` and friends), if it sent one.
        attempts: How many attempts the call took (1 when no retry was needed).
        elapsed: Seconds from the first attempt to the parsed result.
    """

    status_code: int
    headers: httpx.Headers
    request_id: str | None
    attempts: int
    elapsed: float


@attrs.frozen
class Envelope(Generic[T_co]):
    """A call's result together with the [Status][aiospaces.core.builder.Status] of its exchange.

    Attributes:
        result: The parsed result.
        status: Status code, headers, request id, attempts and elapsed time.
    """

    result: T_co
    status: Status


@attrs.frozen(kw_only=True)
class RequestSpec:
    """A vendor-neutral description of one HTTP request, built before any I/O.

    Attributes:
        method: HTTP method.
        path: Path relative to the client's base URL (or an absolute URL).
        query: Query parameters in wire order; values are plain (not yet encoded).
        headers: Request headers.
        body: Bytes, a [BodyFactory][aiospaces.core.builder.BodyFactory] (rebuilt for each
            attempt), or None.
        content_length: Required with a factory: the exact length of the stream.
        stream: Hand the response to the parser unread (downloads); the parser must consume it.
    """

    method: str
    path: str
    query: Sequence[tuple[str, str]] = ()
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes | BodyFactory | None = None
    content_length: int | None = None
    stream: bool = False

    @property
    def absolute(self) -> bool:
        """Whether ``path`` is a full URL (e.g. presigned storage), not under the base URL."""
        return "://" in self.path


@attrs.define
class CallOptions:
    """Per-call settings shared by every builder."""

    timeout: httpx.Timeout | float | None = None
    max_retries: int | None = None
    headers: dict[str, str] = attrs.field(factory=dict)
    query: list[tuple[str, str]] = attrs.field(factory=list)


class Builder(Generic[T]):
    """Base of every operation: set options, then ``await`` it.

    ``await builder`` (or ``await builder.result()``) returns the parsed result;
    ``await builder.future()`` returns an [Envelope][aiospaces.core.builder.Envelope].
    Setters return the builder so calls chain; keyword arguments given to the factory call
    the same setters. Validation runs when the builder executes, before any request.

    Subclasses implement ``_build()`` (validate and describe the request) and ``_parse()``.
    """

    def __init__(self, client: BaseClient, **kwargs: Any) -> None:
        self._client = client
        self._options = CallOptions()
        for name, value in kwargs.items():
            setter = None if name.startswith("_") else getattr(self, name, None)
            if (
                not callable(setter)
                or name in _NOT_SETTERS
                or inspect.iscoroutinefunction(setter)  # to_path(), wait(): actions, not setters
                or inspect.isasyncgenfunction(setter)  # stream(), pages()
            ):
                raise TypeError(f"{type(self).__name__}() got an unexpected argument {name!r}")
            setter(value)

    # -- per-call options -------------------------------------------------------------------

    def timeout(self, seconds: httpx.Timeout | float) -> Self:
        """Set this call's timeout (seconds for each of connect/read/write/pool, per attempt)."""
        if isinstance(seconds, int | float) and (isinstance(seconds, bool) or seconds <= 0):
            raise ValidationError(f"timeout must be a positive number, not {seconds!r}")
        self._options.timeout = seconds
        return self

    def max_retries(self, retries: int) -> Self:
        """Set how many times this call may be retried (0 disables retries)."""
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise ValidationError(f"max_retries must be an int >= 0, not {retries!r}")
        self._options.max_retries = retries
        return self

    def extra_headers(self, headers: Mapping[str, str]) -> Self:
        """Add headers to this call (they win over the SDK's own)."""
        self._options.headers.update(headers)
        return self

    def extra_query(self, params: Mapping[str, str] | Sequence[tuple[str, str]]) -> Self:
        """Append query parameters to this call."""
        items = params.items() if isinstance(params, Mapping) else params
        self._options.query.extend((str(k), str(v)) for k, v in items)
        return self

    # -- execution ----------------------------------------------------------------------------

    async def future(self) -> Envelope[T]:
        """Run the call and return its result with the HTTP status, headers and attempts.

        Raises:
            ValidationError: The builder's arguments are invalid (no request was sent).
            APIError: The server answered with an error status (a subclass per status).
            TransportError: The request could not be completed after all retries.
        """
        return await self._client._execute(self)

    async def result(self) -> T:
        """Run the call and return its parsed result.

        Raises:
            ValidationError: The builder's arguments are invalid (no request was sent).
            APIError: The server answered with an error status (a subclass per status).
            TransportError: The request could not be completed after all retries.
        """
        envelope = await self.future()
        return envelope.result

    def __await__(self) -> Generator[Any, None, T]:
        return self.result().__await__()

    # -- for subclasses -----------------------------------------------------------------------

    def _build(self) -> RequestSpec:
        """Validate the arguments and describe the request; raise ValidationError on bad input."""
        raise NotImplementedError

    async def _parse(self, response: httpx.Response) -> T:
        """Turn a successful (status < 400) response into the result."""
        raise NotImplementedError

    def _clone(self) -> Self:
        """Return an independent copy (used to fetch the next page)."""
        clone = copy.copy(self)
        clone._options = copy.deepcopy(self._options)
        return clone

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {type(self._client).__name__}>"


_NOT_SETTERS = frozenset({"future", "result", "pages"})


def require(value: str | None, name: str) -> str:
    """Return ``value`` if it is a non-empty string, else raise a ValidationError naming it.

    The message shows ``None`` or ``''`` as given, but only the *type* of any other value, so a
    password or key passed as the wrong type never ends up in an error message or a log.
    """
    if not isinstance(value, str) or not value:
        shown = repr(value) if value is None or isinstance(value, str) else type(value).__name__
        raise ValidationError(f"{name} is required and must be a non-empty string, not {shown}")
    return value
