"""The Emulator: one Starlette app serving every emulated vendor on one origin.

```python
emulator = Emulator()
async with aiospaces.Session(transport=emulator.transport()) as session:   # in-process
    ...
with emulator.serve() as base_url:                                          # loopback port
    ...  # point official SDKs at base_url
```
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware

from aiospaces.emulator._http import ControlError, EmulatorContext
from aiospaces.emulator.admin.routes import AdminEmulation
from aiospaces.emulator.admin.state import AdminError
from aiospaces.emulator.boundary import Boundary, ErrorShapes
from aiospaces.emulator.control import SeedableVendor, control_routes
from aiospaces.emulator.dashboard import dashboard_routes
from aiospaces.emulator.faults import ConnectionDropped, Fault, FaultInjector, FaultMode
from aiospaces.emulator.mux.routes import MuxEmulation
from aiospaces.emulator.mux.wire import MuxError
from aiospaces.emulator.neuroio.routes import NeuroIOEmulation
from aiospaces.emulator.neuroio.state import NeuroIOError
from aiospaces.emulator.pubnub.answers import BOUNDARY_SHAPES as PUBNUB_REALTIME_SHAPES
from aiospaces.emulator.pubnub.files import UPLOAD_EXPIRES
from aiospaces.emulator.pubnub.routes import PubNubEmulation
from aiospaces.emulator.pubnub.state import PubNubError
from aiospaces.emulator.pubnub.stream import SUBSCRIBE_TIMEOUT
from aiospaces.emulator.request_log import DEFAULT_LOG_SIZE, RequestLog, RequestRecorder
from aiospaces.emulator.s3.errors import S3Error, error_response
from aiospaces.emulator.s3.store import DEFAULT_MAX_SIZE, Storage
from aiospaces.emulator.state_file import DurableState, Persistent, StateFile

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from starlette.responses import Response
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp

__all__ = ["Emulator", "EmulatorTransport", "VendorEmulation", "error_shapes", "serve_asgi"]


class VendorEmulation(SeedableVendor, Protocol):
    """What a vendor emulation plugs into the [Emulator][aiospaces.emulator.app.Emulator].

    Besides ``seed`` and ``snapshot`` (for the control API, see
    [SeedableVendor][aiospaces.emulator.control.SeedableVendor]), a vendor names itself and
    the attributes holding its state (``persistent``, dotted paths, see
    [state_file][aiospaces.emulator.state_file]; an optional ``restored()`` runs after they
    were loaded), lists its routes, resets and hands out client settings. It is built with
    the emulator's context (the strict flag and the object store), never with the emulator.
    """

    name: ClassVar[str]
    persistent: ClassVar[tuple[str, ...]]
    """The attributes holding the vendor's state (what a state file keeps)."""

    def routes(self) -> list[BaseRoute]:
        """Return the vendor's HTTP routes (paths disjoint from every other vendor's)."""
        ...

    def reset(self) -> None:
        """Forget all state."""
        ...

    def settings(self, base_url: str) -> dict[str, Any]:
        """Return what a client needs to talk to this emulation at ``base_url``."""
        ...


class Emulator:
    """Emulate every vendor API in memory, with fault injection and a control API.

    Args:
        strict: Accept only seeded keys and accounts, and enforce auth and signatures.
            Without it any key works and is provisioned on first use.
        seed: Seed of the random generator behind probabilistic faults (ids are random).
        max_upload_size: Largest file the storage endpoint accepts (bytes).
        storage_dir: Keep uploaded files in this directory instead of memory.
        faults: Fault rules installed from the start.
        subscribe_timeout: Seconds a PubNub subscribe long-poll is held with nothing to
            deliver before it answers empty (production holds 280 s; lower it in tests).
        upload_expires: Seconds a PubNub presigned upload form stays valid (production: 60;
            lower it to test expired forms).
        request_log_size: How many requests [requests][aiospaces.emulator.app.Emulator.requests]
            keeps (the newest; 0 keeps none).
        state_path: Keep every vendor's state in this SQLite file (loaded at start, committed
            before each state-changing answer; see [state_file][aiospaces.emulator.state_file]).
            Uploaded bytes then go to ``storage_dir``, by default the directory
            ``<state_path>.files``. Call [close][aiospaces.emulator.app.Emulator.close] when done.
        fault_mode: ``"first"`` (the first rule that fires acts) or ``"all"`` (every rule that
            fires acts; see [FaultInjector][aiospaces.emulator.faults.FaultInjector]).

    Attributes:
        vendors: The vendor emulations by name.
        requests: The log of the requests answered.
        faults: The fault rules (the ASGI app in front of everything).
        durable: The state file's commit middleware (None without ``state_path``).

    Raises:
        StateFileError: ``state_path`` is not an emulator state file, or is in use.
        OSError: ``storage_dir`` cannot be created or written.
    """

    def __init__(
        self,
        *,
        strict: bool = False,
        seed: int | None = None,
        max_upload_size: int = DEFAULT_MAX_SIZE,
        storage_dir: Path | None = None,
        faults: list[Fault] | None = None,
        subscribe_timeout: float = SUBSCRIBE_TIMEOUT,
        upload_expires: float = UPLOAD_EXPIRES,
        request_log_size: int = DEFAULT_LOG_SIZE,
        state_path: Path | None = None,
        fault_mode: FaultMode = "first",
    ) -> None:
        if state_path is not None and storage_dir is None:
            storage_dir = state_path.with_name(state_path.name + ".files")
        storage = Storage(
            secret=secrets.token_bytes(32), max_size=max_upload_size, directory=storage_dir
        )
        self._context = EmulatorContext(strict=strict, storage=storage)
        vendors: list[VendorEmulation] = [
            PubNubEmulation(
                self._context, subscribe_timeout=subscribe_timeout, upload_expires=upload_expires
            ),
            MuxEmulation(self._context),
            NeuroIOEmulation(self._context),
            AdminEmulation(self._context),
        ]
        self.vendors: dict[str, VendorEmulation] = {v.name: v for v in vendors}
        self.requests = RequestLog(request_log_size)
        """The log of the requests answered, newest last."""
        storage_routes = storage.routes()
        routes: list[BaseRoute] = [*control_routes(self), *storage_routes]
        owners = _Owners()  # which parts a request may change, by the route's path
        owners.add(storage_routes, "storage")
        for vendor in self.vendors.values():
            vendor_routes = vendor.routes()
            routes.extend(vendor_routes)
            owners.add(vendor_routes, vendor.name, "storage")  # a vendor may delete files
        routes.extend(dashboard_routes(self))  # last: vendor requests do not try its paths
        shapes = error_shapes()
        self._starlette = Starlette(
            routes=routes,
            middleware=[Middleware(Boundary, shapes=shapes)],
            exception_handlers=shapes.exception_handlers(),
        )
        app: ASGIApp = self._starlette
        self.durable: DurableState | None = None
        if state_path is not None:
            parts: dict[str, Persistent] = {"storage": storage, **self.vendors}
            file = StateFile(state_path)
            try:
                writing_reads = [p for v in vendors for p in getattr(v, "writing_reads", ())]
                self.durable = DurableState(app, file, parts, writing_reads, owners.of)
            except BaseException:
                file.close()
                raise
            app = self.durable
        try:
            storage.sweep()  # upload files a previous run left that no object refers to
            self.faults = FaultInjector(app, seed=seed, mode=fault_mode)
            for fault in faults or ():
                self.faults.add(fault)
        except BaseException:  # a bad fault mode or rule: the state file is not left locked
            if self.durable is not None:
                self.durable.file.close()
            raise
        self._recorder = RequestRecorder(self.faults, self.requests)

    @property
    def strict(self) -> bool:
        """Whether only seeded keys and accounts are accepted (and auth is enforced)."""
        return self._context.strict

    @strict.setter
    def strict(self, value: bool) -> None:
        self._context.strict = value

    @property
    def storage(self) -> Storage:
        """The S3-style object store behind every vendor's files (``/_storage``)."""
        return self._context.storage

    @property
    def app(self) -> RequestRecorder:
        """The ASGI application (the request log, then the faults, then the vendors' routes)."""
        return self._recorder

    def reset(self) -> None:
        """Forget every vendor's state, stored files, fault rules and logged requests."""
        for vendor in self.vendors.values():
            vendor.reset()
        self.storage.clear()
        self.faults.clear()
        self.requests.clear()
        self.save()

    def save(self) -> None:
        """Write the state to the state file now (requests do it themselves; no-op without one).

        Changes made through the Python API (a vendor's ``seed``) are written by the next
        state-changing request to that vendor or to the control API, or by this call.
        """
        if self.durable is not None:
            self.durable.commit_now()

    def close(self) -> None:
        """Save and close the state file (no-op without one); the emulator is unusable after."""
        if self.durable is not None:
            self.save()
            self.durable.file.close()

    def settings(self, base_url: str) -> dict[str, Any]:
        """Return, per vendor, the settings a client needs to use this emulator at ``base_url``."""
        return {name: vendor.settings(base_url) for name, vendor in self.vendors.items()}

    def transport(self) -> EmulatorTransport:
        """Return an httpx transport that calls the emulator in-process (no sockets)."""
        return EmulatorTransport(self)

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve the emulator with uvicorn in a background thread; yield its base URL."""
        uvicorn_errors = logging.getLogger("uvicorn.error")
        if not any(isinstance(f, _HideDroppedConnections) for f in uvicorn_errors.filters):
            uvicorn_errors.addFilter(_HideDroppedConnections())
        with serve_asgi(self.app, host, port) as base_url:
            yield base_url


class _Owners:
    """The parts of the state a request may change, found by its route's static prefix."""

    def __init__(self) -> None:
        self.by_prefix: dict[str, set[str]] = {}

    def add(self, routes: list[BaseRoute], *parts: str) -> None:
        for route in routes:
            path = getattr(route, "path", None)
            if isinstance(path, str):
                self.by_prefix.setdefault(path.split("{", 1)[0], set()).update(parts)

    def of(self, path: str) -> set[str] | None:
        """Return the parts a request to ``path`` may change (None: any, e.g. the control API)."""
        found = [prefix for prefix in self.by_prefix if path.startswith(prefix)]
        return self.by_prefix[max(found, key=len)] if found else None


def _pubnub(source: str) -> Callable[[int, str], Response]:
    return lambda status, message: PubNubError(status, message, source=source).response()


def _neuroio(status: int, message: str) -> Response:
    kind = {401: "authentication", 403: "permission", 404: "not_found"}.get(status, "validation")
    return NeuroIOError(status, kind, message).response()


def _mux(status: int, message: str) -> Response:
    kind = {401: "unauthorized", 404: "not_found"}.get(status, "invalid_parameters")
    return MuxError(status, kind, message).response()


def _storage(status: int, message: str) -> Response:
    code = {404: "NoSuchKey", 405: "MethodNotAllowed", 413: "EntityTooLarge"}
    return error_response(S3Error(status, code.get(status, "InvalidRequest"), message))


def error_shapes() -> ErrorShapes:
    """Return which vendor's error shape answers a path refused at the boundary."""
    return ErrorShapes(
        (
            ("/v2/objects/", _pubnub("objects")),
            ("/v1/files/", _pubnub("files")),
            *PUBNUB_REALTIME_SHAPES,
            ("/v1/", _neuroio),
            ("/video/v1/", _mux),
            ("/api/", lambda status, message: AdminError(status, {"error": message}).response()),
            ("/_storage", _storage),
            ("/_emulator", lambda status, message: ControlError(status, message).response()),
        )
    )


@contextlib.contextmanager
def serve_asgi(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve any ASGI app with uvicorn in a background thread; yield its base URL.

    Raises:
        OSError: The address cannot be listened on (a taken port, an unknown host).
    """
    import uvicorn  # noqa: PLC0415 - a heavy dependency, only needed when serving on a port

    sock = _listen(host, port)  # here, so that a taken port raises in the caller's thread

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        ws="none",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="aiospaces-emulator", daemon=True
    )
    thread.start()
    while not server.started:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError(f"could not serve on {host}:{port}")
        time.sleep(0.005)
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield f"http://{bound[0]}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def _listen(host: str, port: int) -> socket.socket:
    """Return a socket listening on ``host:port`` (as uvicorn would bind it)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _HideDroppedConnections(logging.Filter):
    """Keep uvicorn from logging a traceback for every connection a fault drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Call the emulator's ASGI app in-process; a dropped-connection fault raises ReadError."""

    def __init__(self, emulator: Emulator) -> None:
        self._inner = httpx.ASGITransport(app=emulator.app, raise_app_exceptions=True)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request to the app and return its (buffered) response."""
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
