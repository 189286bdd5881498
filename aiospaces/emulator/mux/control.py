"""Control routes of the Mux emulation, under ``/_emulator/mux``.

- `POST /_emulator/mux/spaces/{space_id}/participants` with `{"participant_id"?}`: connect a
  participant; an idle space becomes active with a new `active_session_id`.
- `DELETE /_emulator/mux/spaces/{space_id}/participants/{participant_id}`: disconnect one; the
  last to leave idles the space and stops its broadcasts (completing their live streams).
- `GET /_emulator/mux/webhooks?environment=`: the recorded webhook events.
- `POST /_emulator/mux/webhooks/send` with `{"url", "secret"?, "environment"?, "all"?}`:
  deliver the undelivered events (all of them with `"all": true`), signed with `Mux-Signature`.
- `GET`/`POST /_emulator/mux/config`: read or change
  [MuxOptions][aiospaces.emulator.mux.state.MuxOptions].

Tokens are seeded through the shared `POST /_emulator/mux/seed`. Errors are the control API's
``{"error": message}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import httpx
from starlette.responses import JSONResponse
from starlette.routing import Route

from aiospaces.emulator._http import ControlError, answering_errors
from aiospaces.emulator.mux.wire import MuxError, json_body, now_rfc3339

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request
    from starlette.responses import Response

    from aiospaces.emulator.mux.state import Environment, MuxOptions

__all__ = ["WEBHOOK_TIMEOUT", "MuxControlled", "control_routes", "signature_header"]

WEBHOOK_TIMEOUT = 10.0
"""Seconds a webhook delivery may take."""


class MuxControlled(Protocol):
    """What the Mux control routes act on (the Mux emulation)."""

    environments: dict[str, Environment]
    options: MuxOptions

    def find_space_environment(self, space_id: str) -> Environment:
        """Return the environment holding a space, or raise a 404 ``MuxError``."""
        ...


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """Return a ``Mux-Signature`` value: ``t=<seconds>,v1=<HMAC-SHA256 of "{t}.{body}">``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def _guarded(
    handler: Callable[[Request], Awaitable[JSONResponse]],
) -> Callable[[Request], Awaitable[Response]]:
    """Answer a ``MuxError`` (or a ``ControlError``) raised by ``handler`` as a control error."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            return await handler(request)
        except MuxError as error:
            raise ControlError(error.status, "; ".join(error.messages)) from error

    return answering_errors(endpoint)


def control_routes(mux: MuxControlled) -> list[Route]:
    """Return the ``/_emulator/mux`` routes bound to the Mux emulation."""

    async def join(request: Request) -> JSONResponse:
        space_id = request.path_params["space_id"]
        payload = await json_body(request)
        participant = payload.get("participant_id") or str(uuid.uuid4())
        if not isinstance(participant, str):
            raise ControlError(400, "participant_id must be a string")
        space = mux.find_space_environment(space_id).join(space_id, participant)
        return JSONResponse({"participant_id": participant, "space": space.wire()}, 201)

    async def leave(request: Request) -> JSONResponse:
        space_id = request.path_params["space_id"]
        environment = mux.find_space_environment(space_id)
        space = environment.leave(space_id, request.path_params["participant_id"])
        return JSONResponse({"space": space.wire()})

    async def events(request: Request) -> JSONResponse:
        wanted = request.query_params.get("environment")
        return JSONResponse([e for env in _environments(mux, wanted) for e in env.events])

    async def send(request: Request) -> JSONResponse:
        payload = await json_body(request)
        url, secret, redeliver = _delivery(payload)
        report: list[dict[str, Any]] = []
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT, trust_env=False) as client:
            for env in _environments(mux, payload.get("environment")):
                key = secret or env.webhook_secret
                if not key:
                    raise ControlError(400, f"no webhook secret for environment {env.name!r}")
                for event in env.events:
                    if event["attempts"] and not redeliver:
                        continue
                    report.append(await _deliver(client, url, str(key), event))
        return JSONResponse({"delivered": report})

    async def config(request: Request) -> JSONResponse:
        if request.method == "POST":
            payload = await json_body(request)
            unknown = set(payload) - attrs.fields_dict(type(mux.options)).keys()
            if unknown:
                raise ControlError(400, f"unknown options: {sorted(unknown)}")
            try:
                mux.options = attrs.evolve(mux.options, **payload)
            except ValueError as exc:
                raise ControlError(400, str(exc)) from exc
        return JSONResponse(attrs.asdict(mux.options))

    base = "/_emulator/mux"
    return [
        Route(base + "/spaces/{space_id}/participants", _guarded(join), methods=["POST"]),
        Route(
            base + "/spaces/{space_id}/participants/{participant_id}",
            _guarded(leave),
            methods=["DELETE"],
        ),
        Route(base + "/webhooks", _guarded(events), methods=["GET"]),
        Route(base + "/webhooks/send", _guarded(send), methods=["POST"]),
        Route(base + "/config", _guarded(config), methods=["GET", "POST"]),
    ]


def _delivery(payload: dict[str, Any]) -> tuple[str, str | None, bool]:
    """Return the URL, secret and redelivery flag of a send request, or raise a 400."""
    unknown = sorted(set(payload) - {"url", "secret", "environment", "all"})
    if unknown:
        raise ControlError(400, f"unknown fields: {unknown}")
    url = payload.get("url")
    try:
        target = httpx.URL(url) if isinstance(url, str) else None
    except httpx.InvalidURL:
        target = None
    if target is None or target.scheme not in ("http", "https") or not target.host:
        raise ControlError(400, "url must be an http(s) URL")
    for name in ("secret", "environment"):
        if not isinstance(payload.get(name), str | None):
            raise ControlError(400, f"{name} must be a string or null")
    if not isinstance(payload.get("all", False), bool):
        raise ControlError(400, "all must be a boolean")
    return str(url), payload.get("secret"), payload.get("all", False)


def _environments(mux: MuxControlled, wanted: Any) -> list[Environment]:
    return [env for name, env in mux.environments.items() if wanted in (None, name)]


async def _deliver(
    client: httpx.AsyncClient, url: str, secret: str, event: dict[str, Any]
) -> dict[str, Any]:
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "Mux-Signature": signature_header(body, secret)}
    try:
        response = await client.post(url, content=body, headers=headers)
        status: int | None = response.status_code
        error = None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # the URL is checked; its host may not be
        status, error = None, f"{type(exc).__name__}: {exc}"
    event["attempts"].append(
        {
            "id": str(uuid.uuid4()),
            "address": url,
            "created_at": now_rfc3339(),
            "response_status_code": status,
            "max_attempts": 30,
        }
    )
    return {"id": event["id"], "type": event["type"], "status_code": status, "error": error}
