"""The control API under ``/_emulator``: reset, seed, inspect state, manage faults.

| method | path | does |
|---|---|---|
| POST | `/_emulator/reset` | forget all state, files and faults |
| GET | `/_emulator/state` | every vendor's stored objects |
| POST | `/_emulator/{vendor}/seed` | provision keys/accounts (vendor-specific JSON) |
| GET | `/_emulator/faults` | list fault rules (with how often each fired) |
| POST | `/_emulator/faults` | add a rule (JSON fields of `Fault`) |
| DELETE | `/_emulator/faults` | remove every rule |
| POST | `/_emulator/faults/seed` | `{"seed": N}` restarts the fault RNG |
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
from starlette.responses import JSONResponse
from starlette.routing import Route

from aiospaces.emulator.faults import Fault

if TYPE_CHECKING:
    from starlette.requests import Request

    from aiospaces.emulator.app import Emulator

__all__ = ["control_routes"]

_FAULT_FIELDS = {f.name for f in attrs.fields(Fault)} - {"fired"}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_object(request: Request) -> dict[str, Any] | JSONResponse:
    try:
        payload = json.loads(await request.body() or b"{}")
    except ValueError:
        return _error(400, "body must be JSON")
    if not isinstance(payload, dict):
        return _error(400, "body must be a JSON object")
    return payload


def control_routes(emulator: Emulator) -> list[Route]:
    """Return the ``/_emulator`` routes bound to ``emulator``."""

    async def reset(request: Request) -> JSONResponse:
        emulator.reset()
        return JSONResponse({"reset": True})

    async def state(request: Request) -> JSONResponse:
        return JSONResponse({name: v.snapshot() for name, v in emulator.vendors.items()})

    async def seed(request: Request) -> JSONResponse:
        vendor = emulator.vendors.get(request.path_params["vendor"])
        if vendor is None:
            return _error(404, f"unknown vendor {request.path_params['vendor']!r}")
        payload = await _json_object(request)
        if isinstance(payload, JSONResponse):
            return payload
        try:
            return JSONResponse(vendor.seed(payload), status_code=201)
        except (KeyError, TypeError, ValueError) as exc:
            return _error(400, f"bad seed payload: {exc}")

    async def list_faults(request: Request) -> JSONResponse:
        return JSONResponse([rule.to_json() for rule in emulator.faults.rules])

    async def add_fault(request: Request) -> JSONResponse:
        payload = await _json_object(request)
        if isinstance(payload, JSONResponse):
            return payload
        unknown = set(payload) - _FAULT_FIELDS
        if unknown:
            return _error(400, f"unknown fault fields: {sorted(unknown)}")
        try:
            rule = emulator.faults.add(Fault(**payload))
        except (TypeError, ValueError) as exc:
            return _error(400, f"bad fault: {exc}")
        return JSONResponse(rule.to_json(), status_code=201)

    async def clear_faults(request: Request) -> JSONResponse:
        emulator.faults.clear()
        return JSONResponse({"cleared": True})

    async def seed_faults(request: Request) -> JSONResponse:
        payload = await _json_object(request)
        if isinstance(payload, JSONResponse):
            return payload
        value = payload.get("seed")
        if value is not None and not isinstance(value, int):
            return _error(400, "seed must be an integer or null")
        emulator.faults.reseed(value)
        return JSONResponse({"seed": value})

    return [
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/state", state, methods=["GET"]),
        Route("/_emulator/faults", list_faults, methods=["GET"]),
        Route("/_emulator/faults", add_fault, methods=["POST"]),
        Route("/_emulator/faults", clear_faults, methods=["DELETE"]),
        Route("/_emulator/faults/seed", seed_faults, methods=["POST"]),
        Route("/_emulator/{vendor}/seed", seed, methods=["POST"]),
    ]
