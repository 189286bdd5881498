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
import functools
import inspect
import typing
import warnings
from collections.abc import Mapping, Sequence  # noqa: TC003 - CallParams resolves them at run time
from typing import TYPE_CHECKING, Any, Generic, Self, TypedDict, TypeVar

import attrs
import httpx  # noqa: TC002 - CallParams resolves it at run time

from aiospaces.core import validate
from aiospaces.core.convert import parsing
from aiospaces.core.errors import AmbiguousResultError
from aiospaces.core.observe import operation_name, reset_operation
from aiospaces.core.request import CallOptions, Status

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from aiospaces.core.client import BaseClient
    from aiospaces.core.request import RequestSpec

__all__ = ["Builder", "CallParams", "Envelope", "action", "prefill"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
F = TypeVar("F", bound="Callable[..., Any]")


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

    A builder that is dropped without being run (never awaited, iterated or streamed) sent
    nothing; like a coroutine never awaited, it says so with a ``RuntimeWarning`` when it is
    garbage-collected.

    Args:
        client: The client that sends the builder's requests.
        settings: Setter name → value, applied in order (what factories pass on).

    Raises:
        TypeError: A setting names no setter.
    """

    _unused = False
    """True from construction until the builder is run (then ``__del__`` stays quiet)."""

    def __init__(self, client: BaseClient, settings: Mapping[str, object] | None = None) -> None:
        self._client = client
        self._options = CallOptions()
        for name, value in (settings or {}).items():
            setter = None if name.startswith("_") else getattr(self, name, None)
            if (
                not callable(setter)
                or name in _NOT_SETTERS
                or getattr(setter, "_is_action", False)  # to_path(), wait(), stream(), pages()
            ):
                raise TypeError(f"{type(self).__name__}() got an unexpected argument {name!r}")
            setter(value)
        self._unused = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _quiet_on_error(cls)

    def __del__(self) -> None:
        if self._unused:
            self._unused = False
            warnings.warn(
                f"{type(self).__name__} builder was never awaited, so no request was sent "
                "(await it, or call .future(), iterate it or stream it)",
                RuntimeWarning,
                stacklevel=1,
                source=self,
            )

    # -- per-call options -------------------------------------------------------------------

    def timeout(self, seconds: httpx.Timeout | float) -> Self:
        """Set this call's timeout (seconds for each of connect/read/write/pool, per attempt).

        Raises:
            ValidationError: It is not a positive finite number or an ``httpx.Timeout``
                whose parts are (or None).
        """
        checked = validate.timeout_or_timeouts(seconds)
        self._options = attrs.evolve(self._options, timeout=checked)
        return self

    def max_retries(self, retries: int) -> Self:
        """Set how many times this call may be retried (0 disables retries).

        Raises:
            ValidationError: It is not an int >= 0.
        """
        validate.integer(retries, "max_retries", minimum=0)
        self._options = attrs.evolve(self._options, max_retries=retries)
        return self

    def extra_headers(self, headers: Mapping[str, str]) -> Self:
        """Add headers to this call (they win over the SDK's own).

        Names are HTTP tokens and values printable ASCII (httpx sends nothing else; CR and LF
        would split the header): percent-encode other text, or use RFC 8187's form.

        Raises:
            ValidationError: It is not a mapping of such names and values.
        """
        added = validate.headers(headers)
        self._options = attrs.evolve(self._options, headers={**self._options.headers, **added})
        return self

    def extra_query(self, params: Mapping[str, str] | Sequence[tuple[str, str]]) -> Self:
        """Append query parameters to this call: a mapping or a list of (name, value) pairs.

        Raises:
            ValidationError: It is neither, or holds something other than strings.
        """
        added = validate.query(params)
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
        self._unused = False
        token = operation_name(type(self).__name__)
        try:
            return await self._run()
        finally:
            reset_operation(token)

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
        """Load, build, send and parse the call's one request (multi-step calls override it).

        A body ``_parse`` cannot read raises an UnexpectedResponseError (see
        [parsing][aiospaces.core.convert.parsing]).
        """
        await self._load()
        spec = self._build()
        try:
            exchange = await self._client.request(spec, self._options)
        except AmbiguousResultError as error:
            return await self._reconcile(error)
        with parsing(exchange, vendor=self._client.vendor, expected=self._expected()):
            result = await self._parse(exchange.response)
        return Envelope(result, exchange.status)

    def _expected(self) -> str:
        """Say what a successful answer holds, for errors about one that does not."""
        return _expected_of(type(self))

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

    def _quiet(self) -> Self:
        """Mark the builder as handled: dropping it unrun is then no mistake (no warning)."""
        self._unused = False
        return self

    def _clone(self) -> Self:
        """Return an independent copy (used to fetch the next page)."""
        clone = copy.copy(self)
        clone._unused = False  # made to be run by the walk that made it
        return clone

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {type(self._client).__name__}>"


_NOT_SETTERS = frozenset({"future", "result", "pages"})


def _quiet_on_error(cls: type[Builder[Any]]) -> None:
    """Make ``cls``'s public methods mark the builder as used when that is no mistake.

    An action (an async method: ``wait()``, ``stream()``, ``to_path()``) marks it when it
    is called: a coroutine never awaited has Python's own warning. A setter marks it when it
    raises: a builder that refused a value has already said what went wrong.
    """
    for owner in cls.__mro__:  # its own methods, and those of mixins that are no builders
        if owner is not cls and (owner is object or issubclass(owner, Builder)):
            continue
        for name, value in list(vars(owner).items()):
            if (
                name.startswith("_")
                or name in {"future", "result"}
                or not inspect.isfunction(value)
                or getattr(cls, name) is not value  # overridden below, or wrapped already
            ):
                continue
            action = (
                inspect.iscoroutinefunction(value)
                or inspect.isasyncgenfunction(value)
                or getattr(value, "_is_action", False)  # marked with @action
            )
            setattr(cls, name, _acting(value) if action else _setting(value))


def action(method: F) -> F:
    """Mark a builder method that runs the builder without being async (``open()``).

    Like an async method it is no setter (a factory refuses it as a keyword), and calling
    it counts as running the builder (no never-run warning).
    """
    method._is_action = True  # type: ignore[attr-defined]
    return method


def _acting(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(self: Builder[Any], /, *args: Any, **kwargs: Any) -> Any:
        self._unused = False
        return method(self, *args, **kwargs)

    run._is_action = True  # type: ignore[attr-defined]  # not a setter (Builder.__init__)
    return run


def _setting(setter: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(setter)
    def marked(self: Builder[Any], /, *args: Any, **kwargs: Any) -> Any:
        try:
            return setter(self, *args, **kwargs)
        except BaseException:
            self._unused = False
            raise

    return marked


_quiet_on_error(Builder)


def prefill(params: Mapping[str, object], /, **ids: object) -> dict[str, object]:
    """Return a builder's settings: the ids a factory took (those not None), then ``params``.

    Python refuses an id given both by position and by keyword, so this is the one rule for
    both: ``mux.get_space("sp1")`` and ``mux.get_space(space_id="sp1")`` are the same call.
    """
    return {**{name: value for name, value in ids.items() if value is not None}, **params}


_EXPECTED: dict[type, str] = {}


def _expected_of(cls: type) -> str:
    """Return what a successful answer of builder class ``cls`` holds (worked out once)."""
    known = _EXPECTED.get(cls)
    if known is None:
        result = _result_type(cls, {})
        known = "a JSON body" if result is None else f"a JSON {_type_name(result)}"
        _EXPECTED[cls] = known
    return known


def _result_type(cls: type, given: dict[Any, Any]) -> Any:
    """Return the ``T`` of ``Builder[T]`` for ``cls``, type variables filled in (or None)."""
    for base in cls.__dict__.get("__orig_bases__", cls.__bases__):
        origin = typing.get_origin(base) or base
        if not (inspect.isclass(origin) and issubclass(origin, Builder)):
            continue
        args = tuple(_fill(arg, given) for arg in typing.get_args(base))
        if origin is Builder:
            return args[0] if args else None
        parameters = getattr(origin, "__parameters__", ())
        # a generic class has as many parameters as arguments: strict or not, the same pairs
        filled = dict(zip(parameters, args, strict=False))  # pragma: no mutate
        found = _result_type(origin, filled)
        if found is not None:
            return found
    return None


def _fill(hint: Any, given: dict[Any, Any]) -> Any:
    """Return ``hint`` with the type variables of ``given`` replaced."""
    if isinstance(hint, TypeVar):
        return given.get(hint, hint)
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin is None or not args:
        return hint
    return origin[tuple(_fill(arg, given) for arg in args)]


def _type_name(hint: object) -> str:
    """Return ``Space``, ``list of Space``, ``Page of Space`` for a result type."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint) or hint
    name = getattr(origin, "__name__", str(origin))
    if args and not isinstance(args[0], TypeVar):
        return f"{name} of {_type_name(args[0])}"
    return name
