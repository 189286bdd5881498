"""Awaitable builders: every aiospaces operation is a ``Builder[T]``.

```python
space = await pn.create_space().space_id("room").name("Room")   # -> the result
env = await pn.fetch_space().space_id("room").future()          # -> Envelope(result, status)
```

A single-request builder implements ``_build()`` (validate and describe the request) and
``_parse()`` (turn the response into the result); the default ``_run()`` sends it through
[BaseClient.request][aiospaces.core.client.BaseClient.request]. A multi-step operation
(uploading a file, downloading one) overrides ``_run()`` with plain async code over the same
request path.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Self, TypedDict, TypeVar

import attrs
import httpx

from aiospaces.core import validate
from aiospaces.core.errors import AmbiguousResultError, ValidationError
from aiospaces.core.request import CallOptions, Status

if TYPE_CHECKING:
    from aiospaces.core.client import BaseClient
    from aiospaces.core.request import RequestSpec

__all__ = ["Builder", "CallParams", "Envelope", "prefill"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class CallParams(TypedDict, total=False):
    """The per-call settings every builder factory takes as keywords (the same setters).

    Each factory's own ``...Params`` extends it with the setters of its builder, so a
    misspelt keyword is a type error and editors complete them.
    """

    timeout: httpx.Timeout | float
    max_retries: int
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, str] | Sequence[tuple[str, str]]
    retry_ambiguous: bool


@attrs.frozen
class Envelope(Generic[T_co]):
    """A call's result together with the [Status][aiospaces.core.request.Status] of its exchange.

    Attributes:
        result: The parsed result.
        status: Status code, headers, request id, attempts and elapsed time.
    """

    result: T_co
    status: Status


class Builder(Generic[T]):
    """Base of every operation: set options, then ``await`` it.

    ``await builder`` (or ``await builder.result()``) returns the parsed result;
    ``await builder.future()`` returns an [Envelope][aiospaces.core.builder.Envelope].
    Setters return the builder so calls chain; the keyword arguments a factory takes call
    the same setters. Validation runs when the builder executes, before any request.

    Args:
        client: The client that sends the builder's requests.
        settings: Setter name → value, applied in order (what factories pass on).

    Raises:
        TypeError: A setting names no setter.
    """

    def __init__(self, client: BaseClient, settings: Mapping[str, object] | None = None) -> None:
        self._client = client
        self._options = CallOptions()
        for name, value in (settings or {}).items():
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
        if not isinstance(seconds, httpx.Timeout):
            validate.timeout(seconds)
        self._options = attrs.evolve(self._options, timeout=seconds)
        return self

    def max_retries(self, retries: int) -> Self:
        """Set how many times this call may be retried (0 disables retries)."""
        validate.integer(retries, "max_retries", minimum=0)
        self._options = attrs.evolve(self._options, max_retries=retries)
        return self

    def extra_headers(self, headers: Mapping[str, str]) -> Self:
        """Add headers to this call (they win over the SDK's own)."""
        if not isinstance(headers, Mapping):
            raise ValidationError(f"extra_headers must be a mapping, not {type(headers).__name__}")
        merged = {**self._options.headers}
        for name, value in headers.items():
            merged[validate.text(name, "header name")] = validate.text(
                value, f"header {name}", empty=True
            )
        self._options = attrs.evolve(self._options, headers=merged)
        return self

    def extra_query(self, params: Mapping[str, str] | Sequence[tuple[str, str]]) -> Self:
        """Append query parameters to this call."""
        given: object = params  # typed for users; checked here for everyone else
        if isinstance(given, Mapping):
            items: Any = given.items()
        elif isinstance(given, list | tuple):
            items = given
        else:
            raise ValidationError(
                f"extra_query must be a mapping or a list of pairs, not {type(given).__name__}"
            )
        try:
            added = [(str(k), str(v)) for k, v in items]
        except (TypeError, ValueError):
            raise ValidationError("extra_query must hold (name, value) pairs") from None
        self._options = attrs.evolve(self._options, query=[*self._options.query, *added])
        return self

    def retry_ambiguous(self, allow: bool = True) -> Self:
        """Retry this call even when a failed attempt may have been processed.

        By default a call that is not idempotent (creating a space, publishing a message) is
        not sent again after a failure that leaves its outcome open; it is reconciled where
        the vendor allows it, or raises
        [AmbiguousResultError][aiospaces.core.errors.AmbiguousResultError]. With this set it
        is retried like any other call, which may create a duplicate.
        """
        validate.boolean(allow, "retry_ambiguous")
        self._options = attrs.evolve(self._options, retry_ambiguous=allow)
        return self

    # -- execution ----------------------------------------------------------------------------

    async def future(self) -> Envelope[T]:
        """Run the call and return its result with the HTTP status, headers and attempts.

        Raises:
            ValidationError: The builder's arguments are invalid (no request was sent).
            APIError: The server answered with an error status (a subclass per status).
            TransportError: The request could not be completed after all retries.
        """
        return await self._run()

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

    async def _run(self) -> Envelope[T]:
        """Load, build, send and parse the call's one request (multi-step calls override it)."""
        await self._load()
        spec = self._build()
        try:
            exchange = await self._client.request(spec, self._options)
        except AmbiguousResultError as error:
            return await self._reconcile(error)
        return Envelope(await self._parse(exchange.response), exchange.status)

    async def _reconcile(self, error: AmbiguousResultError) -> Envelope[T]:
        """After an ambiguous failure, find out what happened, or re-raise ``error``.

        A builder whose vendor offers a read that can tell (the resource it created, looked
        up by a field the caller set) overrides this; the default re-raises.
        """
        raise error

    async def _load(self) -> None:
        """Do the I/O the request needs before it is built (reading a file); default: none."""

    def _build(self) -> RequestSpec:
        """Validate the arguments and describe the request; raise ValidationError on bad input."""
        raise NotImplementedError

    async def _parse(self, response: httpx.Response) -> T:
        """Turn a successful (status < 400) response into the result."""
        raise NotImplementedError

    def _clone(self) -> Self:
        """Return an independent copy (used to fetch the next page)."""
        return copy.copy(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {type(self._client).__name__}>"


_NOT_SETTERS = frozenset({"future", "result", "pages"})


def prefill(params: Mapping[str, object], /, **ids: object) -> dict[str, object]:
    """Return a builder's settings: the ids a factory took (those not None), then ``params``.

    Python refuses an id given both by position and by keyword, so this is the one rule for
    both: ``mux.get_space("sp1")`` and ``mux.get_space(space_id="sp1")`` are the same call.
    """
    return {**{name: value for name, value in ids.items() if value is not None}, **params}
