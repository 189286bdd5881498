"""Mux emulation routes: HTTP Basic auth, Spaces, space broadcasts, live streams, rate limits.

State and rules live in [state][aiospaces.emulator.mux.state], errors and request checks in
[wire][aiospaces.emulator.mux.wire], live-stream request parsing in
[live_streams][aiospaces.emulator.mux.live_streams], the control routes (participants,
webhooks, options) in [control][aiospaces.emulator.mux.control]. Lists take ``page``/``limit``
and carry no totals.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from starlette.responses import Response
from starlette.routing import Route

from aiospaces.emulator._parse import ascii_int, from_payload, is_text
from aiospaces.emulator.mux.control import control_routes
from aiospaces.emulator.mux.live_streams import LIVE_STREAM_STATUSES, new_live_stream
from aiospaces.emulator.mux.state import Environment, MuxOptions, Token
from aiospaces.emulator.mux.wire import (
    MuxError,
    MuxJSONResponse,
    invalid,
    json_body,
    new_id,
    not_found,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from aiospaces.emulator._http import EmulatorContext

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_TOKEN_ID",
    "DEFAULT_TOKEN_SECRET",
    "MAX_LIMIT",
    "MuxEmulation",
    "TokenSeed",
]

DEFAULT_TOKEN_ID = "emulator-token-id"  # noqa: S105 - a sandbox token id, documented
"""The token id ``settings()`` hands out when none was seeded (any token works in sandbox)."""
DEFAULT_TOKEN_SECRET = "emulator-token-secret"  # noqa: S105 - a sandbox credential, documented
"""The token secret that goes with ``DEFAULT_TOKEN_ID``."""
DEFAULT_LIMIT = 25
"""Page size of a list without ``limit``."""
MAX_LIMIT = 100
"""Largest ``limit`` a list accepts."""


@attrs.frozen(kw_only=True)
class TokenSeed:
    """What ``POST /_emulator/mux/seed`` takes: a token pair, its environment, a webhook secret."""

    token_id: str = attrs.field(validator=is_text())
    token_secret: str = attrs.field(validator=is_text())
    environment: str | None = attrs.field(default=None, validator=is_text(optional=True))
    webhook_secret: str | None = attrs.field(default=None, validator=is_text(optional=True))


class MuxEmulation:
    """The Mux side of the emulator."""

    name: ClassVar[str] = "mux"
    persistent: ClassVar[tuple[str, ...]] = ("tokens", "environments", "options")
    """What a state file keeps (see [state_file][aiospaces.emulator.state_file])."""

    def restored(self) -> None:
        """Start the rate limiter's windows afresh (they were timed by another process)."""
        for environment in self.environments.values():
            environment.window_start, environment.window_count = 0.0, 0

    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self.tokens: dict[str, Token] = {}
        self.environments: dict[str, Environment] = {}
        self.options = MuxOptions()

    # -- vendor plug-in protocol ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every token, environment and option."""
        self.tokens.clear()
        self.environments.clear()
        self.options = MuxOptions()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Provision a token: ``{"token_id", "token_secret", "environment"?, "webhook_secret"?}``.

        Tokens naming the same ``environment`` share its spaces and live streams.
        """
        spec = from_payload(TokenSeed, payload)
        environment = self._environment(spec.environment or spec.token_id)
        if spec.webhook_secret:
            environment.webhook_secret = spec.webhook_secret
        self.tokens[spec.token_id] = Token(secret=spec.token_secret, environment=environment.name)
        return {"token_id": spec.token_id, "environment": environment.name}

    def snapshot(self) -> dict[str, Any]:
        """Return every environment's spaces, live streams and event count."""
        return {
            name: {
                "spaces": [s.wire() | {"participants": sorted(s.participants)}
                           for s in env.spaces.values()],
                "live_streams": [ls.wire() for ls in env.live_streams.values()],
                "events": len(env.events),
            }
            for name, env in self.environments.items()
        }  # fmt: skip

    def settings(self, base_url: str) -> dict[str, Any]:
        """Return ``base_url`` and a token pair: the first seeded one, else the sandbox pair."""
        token_id, token = next(iter(self.tokens.items()), (DEFAULT_TOKEN_ID, None))
        secret = token.secret if token is not None else DEFAULT_TOKEN_SECRET
        return {"token_id": token_id, "token_secret": secret, "base_url": base_url}

    def routes(self) -> list[BaseRoute]:
        """Return the ``/video/v1`` routes and the ``/_emulator/mux`` control routes."""
        spaces = "/video/v1/spaces"
        broadcast = spaces + "/{space_id}/broadcasts/{broadcast_id}"
        streams = "/video/v1/live-streams"
        table: list[tuple[str, str, Any]] = [
            (spaces, "GET", self.list_spaces),
            (spaces, "POST", self.create_space),
            (spaces + "/{space_id}", "GET", self.get_space),
            (spaces + "/{space_id}", "DELETE", self.delete_space),
            (spaces + "/{space_id}/broadcasts", "POST", self.create_broadcast),
            (broadcast, "GET", self.get_broadcast),
            (broadcast, "DELETE", self.delete_broadcast),
            (broadcast + "/start", "POST", self.start_broadcast),
            (broadcast + "/stop", "POST", self.stop_broadcast),
            (streams, "GET", self.list_live_streams),
            (streams, "POST", self.create_live_stream),
            (streams + "/{live_stream_id}", "GET", self.get_live_stream),
            (streams + "/{live_stream_id}", "DELETE", self.delete_live_stream),
            (streams + "/{live_stream_id}/complete", "PUT", self.complete_live_stream),
        ]
        routes: list[BaseRoute] = [
            Route(path, self._endpoint(handler), methods=[method])
            for path, method, handler in table
        ]
        # anything else under /video/v1 (no PATCH on spaces, unknown paths): Mux's JSON 404
        anything = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        fallback = Route("/video/v1/{rest:path}", self._endpoint(_no_route), methods=anything)
        return [*routes, fallback, *control_routes(self)]

    # -- common request handling ----------------------------------------------------------------

    def _environment(self, name: str) -> Environment:
        environment = self.environments.get(name)
        if environment is None:
            environment = self.environments[name] = Environment(name=name)
        return environment

    def find_space_environment(self, space_id: str) -> Environment:
        """Return the environment holding a space (for the control API), or raise 404."""
        for environment in self.environments.values():
            if space_id in environment.spaces:
                return environment
        raise MuxError(404, "not_found", f"no space {space_id!r}")

    def authenticate(self, request: Request) -> Environment:
        """Return the caller's environment from HTTP Basic auth; sandbox provisions new tokens."""
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:  # binascii.Error, UnicodeDecodeError and a non-ASCII str are all ValueErrors
            token_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:
            sep = ""
        if scheme.lower() != "basic" or not sep or not token_id or not secret:
            raise MuxError(401, "unauthorized", "Unauthorized request")
        token = self.tokens.get(token_id)
        if token is None:
            if self.context.strict:
                raise MuxError(401, "unauthorized", "Unauthorized request")
            token = self.tokens[token_id] = Token(secret=secret, environment=token_id)
        if not secrets.compare_digest(token.secret.encode(), secret.encode()):
            raise MuxError(401, "unauthorized", "Unauthorized request")
        return self._environment(token.environment)

    def _rate_limit(self, environment: Environment) -> dict[str, str]:
        limit = self.options.rate_limit
        if limit is None:
            return {}
        now = time.monotonic()
        if now - environment.window_start >= self.options.rate_window:
            environment.window_start, environment.window_count = now, 0
        environment.window_count += 1
        remaining = max(limit - environment.window_count, 0)
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}
        if environment.window_count > limit:
            raise MuxError(429, "rate_limited", "Too many requests, retry later.", headers=headers)
        return headers

    def _endpoint(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            headers = {
                "x-request-id": new_id(20),
                "cache-control": "max-age=0, private, must-revalidate",
            }
            try:
                environment = self.authenticate(request)
                headers.update(self._rate_limit(environment))
                response: Response = await handler(request, environment)
            except MuxError as error:
                response = error.response()
            for name, value in headers.items():
                response.headers.setdefault(name, value)
            return response

        return endpoint

    # -- spaces -------------------------------------------------------------------------------

    async def list_spaces(self, request: Request, env: Environment) -> Response:
        """``GET /video/v1/spaces``: newest first, ``page``/``limit``."""
        spaces = list(reversed(env.spaces.values()))
        return _data([s.wire() for s in _page(request, spaces)])

    async def create_space(self, request: Request, env: Environment) -> Response:
        """``POST /video/v1/spaces`` → 201."""
        payload = await json_body(request)
        space = env.create_space(payload, self.options.max_broadcasts)
        return _data(space.wire(), 201)

    async def get_space(self, request: Request, env: Environment) -> Response:
        """``GET /video/v1/spaces/{SPACE_ID}``."""
        return _data(env.space(request.path_params["space_id"]).wire())

    async def delete_space(self, request: Request, env: Environment) -> Response:
        """``DELETE /video/v1/spaces/{SPACE_ID}`` → 204; only when idle."""
        env.delete_space(request.path_params["space_id"], self.options.rule_status)
        return Response(status_code=204)

    # -- broadcasts -----------------------------------------------------------------------------

    async def create_broadcast(self, request: Request, env: Environment) -> Response:
        """``POST .../broadcasts`` → 201."""
        payload = await json_body(request)
        space_id = request.path_params["space_id"]
        broadcast = env.create_broadcast(space_id, payload, self.options.max_broadcasts)
        return _data(broadcast.wire(), 201)

    async def get_broadcast(self, request: Request, env: Environment) -> Response:
        """``GET .../broadcasts/{BROADCAST_ID}``."""
        params = request.path_params
        _, broadcast = env.broadcast(params["space_id"], params["broadcast_id"])
        return _data(broadcast.wire())

    async def delete_broadcast(self, request: Request, env: Environment) -> Response:
        """``DELETE .../broadcasts/{BROADCAST_ID}`` → 204; only when idle."""
        params = request.path_params
        env.delete_broadcast(params["space_id"], params["broadcast_id"], self.options.rule_status)
        return Response(status_code=204)

    async def start_broadcast(self, request: Request, env: Environment) -> Response:
        """``POST .../start`` → ``{"data": {}}``; the space must be active."""
        params = request.path_params
        env.start(params["space_id"], params["broadcast_id"], self.options.rule_status)
        return _data({})

    async def stop_broadcast(self, request: Request, env: Environment) -> Response:
        """``POST .../stop`` → ``{"data": {}}``; completes the live stream."""
        params = request.path_params
        env.stop(params["space_id"], params["broadcast_id"])
        return _data({})

    # -- live streams ---------------------------------------------------------------------------

    async def list_live_streams(self, request: Request, env: Environment) -> Response:
        """``GET /video/v1/live-streams``: ``status`` and ``stream_key`` filters, paging."""
        streams = list(reversed(env.live_streams.values()))
        status = request.query_params.get("status")
        if status is not None:
            if status not in LIVE_STREAM_STATUSES:
                raise invalid(f"status must be one of {', '.join(LIVE_STREAM_STATUSES)}")
            streams = [s for s in streams if s.status == status]
        key = request.query_params.get("stream_key")
        if key is not None:
            streams = [s for s in streams if s.stream_key == key]
        return _data([s.wire() for s in _page(request, streams)])

    async def create_live_stream(self, request: Request, env: Environment) -> Response:
        """``POST /video/v1/live-streams`` → 201."""
        stream = new_live_stream(await json_body(request))
        env.live_streams[stream.id] = stream
        env.emit("video.live_stream.created", "live_stream", stream.event_data())
        return _data(stream.wire(), 201)

    async def get_live_stream(self, request: Request, env: Environment) -> Response:
        """``GET /video/v1/live-streams/{LIVE_STREAM_ID}``."""
        return _data(env.live_stream(request.path_params["live_stream_id"]).wire())

    async def delete_live_stream(self, request: Request, env: Environment) -> Response:
        """``DELETE /video/v1/live-streams/{LIVE_STREAM_ID}`` → 204."""
        stream = env.live_stream(request.path_params["live_stream_id"])
        del env.live_streams[stream.id]
        env.emit("video.live_stream.deleted", "live_stream", stream.event_data())
        return Response(status_code=204)

    async def complete_live_stream(self, request: Request, env: Environment) -> Response:
        """``PUT .../complete`` → ``{"data": {}}``: end the recording now."""
        env.complete(request.path_params["live_stream_id"])
        return _data({})


# -- helpers ------------------------------------------------------------------------------------


async def _no_route(request: Request, env: Environment) -> Response:
    raise not_found()


def _data(data: Any, status: int = 200) -> MuxJSONResponse:
    return MuxJSONResponse({"data": data}, status_code=status)


def _int_param(request: Request, name: str, default: int, maximum: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = ascii_int(raw)
    if value is None or value < 1 or (maximum is not None and value > maximum):
        upper = f" to {maximum}" if maximum is not None else " or more"
        raise invalid(f"{name} must be an integer from 1{upper}")
    return value


def _page(request: Request, items: list[Any]) -> list[Any]:
    limit = _int_param(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    page = _int_param(request, "page", 1, None)
    return items[(page - 1) * limit : page * limit]
