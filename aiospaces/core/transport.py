"""The door to the network: build the httpx client, send, close, mask secrets in logged URLs.

httpx's types (``httpx.Response``, ``httpx.Timeout``, transports) are part of aiospaces'
contract; the aiohttp backend plugs in at httpx's own transport seam (``httpx-aiohttp``).
Which query parameters and path segments are secret is not known here: each vendor client
registers its own (see [register_secrets][aiospaces.core.transport.register_secrets]).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode

import anyio
import attrs
import httpx

from aiospaces.core import validate
from aiospaces.core.cancelsafe import CancelSafeTransport
from aiospaces.core.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, Iterable, Mapping

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_TIMEOUT",
    "Backend",
    "PoolStats",
    "RedactHttpxLogs",
    "Transport",
    "aiohttp_installed",
    "build_client",
    "close_response",
    "redact_url",
    "register_secrets",
    "resolve_backend",
]

Backend = Literal["auto", "httpx", "aiohttp"]
"""A Session's backend: ``"auto"`` picks ``"aiohttp"`` when it is installed, else ``"httpx"``."""

DEFAULT_LIMITS = httpx.Limits(
    max_connections=1000, max_keepalive_connections=20, keepalive_expiry=5.0
)
"""Connection limits: room for many slow calls, a small idle set (httpcore scans it per request)."""
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
"""Generous read timeout (file transfers), short connect timeout."""

DEFAULT_MAX_REDIRECTS = 5
"""Redirects a request that asks for it follows (storage downloads) on a Session's own client."""

_PARSED_URLS = 256
"""How many recently sent URLs a Session keeps parsed (``httpx.URL``), for those sent again."""

_secret_params: set[str] = {"token", "secret", "secret_key", "password"}
_secret_path_parents: set[str] = set()


def register_secrets(*, query: Iterable[str] = (), path_parents: Iterable[str] = ()) -> None:
    """Mask these query parameters, and the path segment after these segments, in logged URLs.

    Vendor clients call it (through ``BaseClient``'s class attributes) for their own secrets:
    PubNub's ``auth`` and ``signature``, NeuroIO's token keys in ``/v1/tokens/{key}/``. A
    masked path segment stays visible when it is a plain number (an id, not a key).
    Names are compared without case; ``token``, ``secret``, ``secret_key`` and ``password``
    are always masked.
    """
    _secret_params.update(name.lower() for name in query)
    _secret_path_parents.update(name.lower() for name in path_parents)


class RedactHttpxLogs(logging.Filter):
    """Mask secrets in the URLs httpx logs at INFO level ("HTTP Request: GET https://...").

    httpx logs each request's full URL, which carries PubNub's ``auth`` and ``signature``
    parameters and NeuroIO token keys in paths; the session installs this filter on the
    ``httpx`` logger so turning on INFO logging never prints them.
    """

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102 - see the class
        args = record.args
        if isinstance(args, tuple) and len(args) >= 2 and isinstance(args[1], httpx.URL):
            record.args = (args[0], redact_url(args[1]), *args[2:])
        return True


def _redact_httpx_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactHttpxLogs) for f in logger.filters):
        logger.addFilter(RedactHttpxLogs())


def aiohttp_installed() -> bool:
    """Return whether the aiohttp backend's packages (``aiohttp``, ``httpx-aiohttp``) import."""
    return all(importlib.util.find_spec(name) is not None for name in ("aiohttp", "httpx_aiohttp"))


def resolve_backend(backend: Backend, *, http2: bool = False) -> Literal["httpx", "aiohttp"]:
    """Return the backend ``backend`` stands for: ``"auto"`` is aiohttp when it can be used.

    ``"auto"`` means ``"aiohttp"`` when its packages are installed (they are dependencies of
    aiospaces) and HTTP/2 is not asked for, ``"httpx"`` otherwise (the decision and its
    measurements: "The default backend is aiohttp when installed" in the Decisions page).

    Raises:
        ValidationError: The backend is unknown.
    """
    validate.one_of(backend, "backend", ("auto", "httpx", "aiohttp"))
    if backend != "auto":
        return backend
    return "aiohttp" if not http2 and aiohttp_installed() else "httpx"


def build_client(
    *,
    backend: Backend = "auto",
    limits: httpx.Limits | None = None,
    timeout: httpx.Timeout | float | None = None,
    http2: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """Return a new ``httpx.AsyncClient`` configured for the chosen backend.

    Also makes sure httpx's own request log masks secrets (see
    [RedactHttpxLogs][aiospaces.core.transport.RedactHttpxLogs]).

    Args:
        backend: ``"auto"`` (aiohttp when installed and ``http2`` is off, else httpx),
            ``"httpx"`` (httpcore's pool) or ``"aiohttp"`` (aiohttp's pool under the httpx
            API, via ``httpx-aiohttp``; several times faster under concurrency).
        limits: Connection-pool limits; defaults to
            [DEFAULT_LIMITS][aiospaces.core.transport.DEFAULT_LIMITS].
        timeout: Default timeout for every request; defaults to
            [DEFAULT_TIMEOUT][aiospaces.core.transport.DEFAULT_TIMEOUT].
        http2: Negotiate HTTP/2 (needs the ``http2`` extra; not with the aiohttp backend).
        transport: A custom httpx transport (mock, ASGI app); overrides ``backend``.

    Raises:
        ValidationError: The backend is unknown or its optional package is missing.
    """
    limits = limits or DEFAULT_LIMITS
    chosen = resolve_backend(backend, http2=http2)
    if http2 and importlib.util.find_spec("h2") is None:
        raise ValidationError("http2=True needs the 'h2' package: pip install 'aiospaces[http2]'")
    if chosen == "aiohttp" and transport is None:
        if http2:
            raise ValidationError("the aiohttp backend speaks HTTP/1.1 only; drop http2=True")
        try:
            from aiospaces.core.aiohttp_errors import AiohttpErrorsTransport  # noqa: PLC0415
            from aiospaces.core.aiohttp_send import LeanAiohttpTransport  # noqa: PLC0415
        except ImportError as exc:
            raise ValidationError(
                "backend='aiohttp' needs aiohttp and httpx-aiohttp (dependencies of aiospaces): "
                "pip install aiohttp httpx-aiohttp"
            ) from exc
        transport = AiohttpErrorsTransport(LeanAiohttpTransport(limits=limits))
    elif transport is None:
        # httpcore's pool leaks a slot when asyncio cancels a call at the wrong moment
        transport = CancelSafeTransport(httpx.AsyncHTTPTransport(limits=limits, http2=http2))
    _redact_httpx_logs()
    client = httpx.AsyncClient(
        limits=limits,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        http2=http2,
        transport=transport,
        follow_redirects=False,
        max_redirects=DEFAULT_MAX_REDIRECTS,
        trust_env=False,
    )
    client._cookies = _SetCookieOnly()  # the client's own (empty) jar, replaced before any use
    return client


class _SetCookieOnly(httpx.Cookies):
    """httpx's cookie jar, which looks only at answers that set a cookie.

    httpx hands every response to its jar, which first rebuilds the request as a
    ``urllib`` one (parsing its URL twice): about 5 % of a small GET's CPU over the aiohttp
    backend, for answers that almost never carry ``Set-Cookie``.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


@attrs.frozen
class PoolStats:
    """A snapshot of the connection pool.

    Attributes:
        connections: Open connections (idle or busy).
        in_flight: Requests holding (or waiting for) a connection right now.
    """

    connections: int
    in_flight: int


class Transport:
    """Send requests over one shared ``httpx.AsyncClient`` and close it when owned."""

    def __init__(self, client: httpx.AsyncClient, *, owned: bool) -> None:
        self.client = client
        self._owned = owned
        # A URL sent again is parsed once (an httpx.URL is immutable; a malformed one is not
        # kept and raises again). Kept per Transport: URLs may carry auth keys and tokens,
        # which then live no longer than the Session that sent them.
        self._parsed_url = functools.lru_cache(maxsize=_PARSED_URLS)(httpx.URL)

    def build_request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        content: bytes | AsyncIterable[bytes] | None,
        timeout: httpx.Timeout | float | None,
    ) -> httpx.Request:
        """Return a request carrying the client's defaults (headers, timeout).

        A URL sent again (polling one resource, reading the same space) is not parsed again:
        httpx parses and checks every URL given as text, about 20 µs for an App Context one.
        """
        return self.client.build_request(
            method,
            self._parsed_url(url),
            headers=headers,
            content=content,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )

    async def send(
        self, request: httpx.Request, *, follow_redirects: bool = False
    ) -> httpx.Response:
        """Send a request and return the response with its body not yet read."""
        return await self.client.send(request, stream=True, follow_redirects=follow_redirects)

    async def aclose(self) -> None:
        """Close the pool, unless the client belongs to the user."""
        if self._owned:
            with anyio.CancelScope(shield=True):
                await self.client.aclose()

    def pool_stats(self) -> PoolStats | None:
        """Return the pool's occupancy, or None for transports without a pool (mocks, ASGI)."""
        inner: Any = self.client._transport
        inner = getattr(inner, "inner", inner)  # our wrappers: CancelSafe, AiohttpErrors
        pool = getattr(inner, "_pool", None)
        if pool is not None:  # httpcore
            connections = [c for c in pool.connections if not c.is_closed()]
            return PoolStats(connections=len(connections), in_flight=len(pool._requests))
        session = getattr(inner, "client", None)
        connector = getattr(session, "connector", None)
        if connector is not None:  # aiohttp
            acquired = len(connector._acquired)
            idle = sum(len(conns) for conns in connector._conns.values())
            return PoolStats(connections=acquired + idle, in_flight=acquired)
        if hasattr(inner, "handle_async_request") and hasattr(inner, "client"):
            return PoolStats(connections=0, in_flight=0)  # aiohttp session not created yet
        return None


async def close_response(response: httpx.Response) -> None:
    """Close a response so its connection returns to the pool, even while being cancelled."""
    if response.is_closed:
        return
    with anyio.CancelScope(shield=True):
        await response.aclose()


def redact_url(url: httpx.URL | str) -> str:
    """Return the URL with secret query values (auth, signature, token, ...) masked.

    A path segment after a registered secret parent (a token key in the path) is masked
    too, unless it is a plain number.
    """
    url = httpx.URL(url)
    raw_path = url.raw_path.decode("ascii")  # pragma: no mutate - codec names ignore case
    path = raw_path.partition("?")[0]
    segments = path.split("/")
    # segment 0 is the empty one before the leading "/": starting at 0 or 2 changes nothing
    for i in range(1, len(segments)):  # pragma: no mutate
        secret = segments[i - 1].lower() in _secret_path_parents
        if secret and segments[i] and not segments[i].isdigit():
            segments[i] = "***"
    masked = "/".join(segments)
    if masked != path:
        query = b"?" + url.query if url.query else b""
        raw_masked = masked.encode("ascii")  # pragma: no mutate - codec names ignore case
        url = url.copy_with(raw_path=raw_masked + query)
    if not url.query:
        return str(url)
    raw_query = url.query.decode("ascii")  # pragma: no mutate - codec names ignore case
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    safe = [(k, "***" if k.lower() in _secret_params else v) for k, v in pairs]
    # "*" stays unquoted; a mutant's "XX*XX" keeps it so too ("X" is never quoted)
    encoded = urlencode(safe, safe="*")  # pragma: no mutate
    return str(url.copy_with(query=encoded.encode("ascii")))  # pragma: no mutate - codec names
