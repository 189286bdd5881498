"""The control API under ``/_emulator``: reset, seed, inspect state, manage faults.

| method | path | does |
|---|---|---|
| POST | `/_emulator/reset` | forget all state, files, faults and logged requests |
| GET | `/_emulator/state` | every vendor's stored objects |
| POST | `/_emulator/{vendor}/seed` | provision keys/accounts (vendor-specific JSON) |
| GET | `/_emulator/faults` | list fault rules (with how often each fired) |
| POST | `/_emulator/faults` | add a rule (JSON fields of `Fault`, checked) |
| DELETE | `/_emulator/faults` | remove every rule |
| POST | `/_emulator/faults/seed` | `{"seed": N}` restarts the fault RNG |
| GET | `/_emulator/requests` | the request log, oldest first (filters below) |
| DELETE | `/_emulator/requests` | forget the request log |

The request log's filters are query parameters: ``vendor``, ``status`` (``503`` or ``5xx``),
``path`` (a shell-style pattern), ``method``, ``since`` (a record id) and ``limit``.
| POST | `/_emulator/faults/mode` | `{"mode": "first" or "all"}`: which rules that fire act |

Errors are ``{"error": message}`` with a 4xx status: a fault rule or a seed of the wrong
shape is refused with 400 and the reason, and nothing of it is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import attrs
from starlette.responses import JSONResponse
from starlette.routing import Route

from aiospaces.emulator._http import ControlError, answering_errors, json_object
from aiospaces.emulator.faults import Fault
from aiospaces.emulator.request_log import filters_from_query

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request

    from aiospaces.emulator.faults import FaultInjector
    from aiospaces.emulator.request_log import RequestLog

__all__ = ["ControlledEmulator", "SeedableVendor", "control_routes"]

_FAULT_FIELDS = {f.name for f in attrs.fields(Fault)} - {"fired"}


class SeedableVendor(Protocol):
    """What the control API needs of a vendor emulation."""

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Provision accounts or keys from a control-API payload; return what was created."""
        ...

    def snapshot(self) -> dict[str, Any]:
        """Return the stored objects as JSON-ready data."""
        ...


class ControlledEmulator(Protocol):
    """What the control API acts on (the [Emulator][aiospaces.emulator.app.Emulator])."""

    @property
    def vendors(self) -> Mapping[str, SeedableVendor]:
        """The vendor emulations by name."""
        ...

    @property
    def faults(self) -> FaultInjector:
        """The fault rules in front of the vendors' routes."""
        ...

    @property
    def requests(self) -> RequestLog:
        """The log of the requests answered."""
        ...

    def reset(self) -> None:
        """Forget every vendor's state, stored files, fault rules and logged requests."""
        ...


async def _payload(request: Request) -> dict[str, Any]:
    return json_object(
        await request.body() or b"{}",
        not_json=ControlError(400, "body must be JSON"),
        not_object=ControlError(400, "body must be a JSON object"),
    )


def control_routes(emulator: ControlledEmulator) -> list[Route]:
    """Return the ``/_emulator`` routes bound to ``emulator``."""

    async def reset(request: Request) -> JSONResponse:
        emulator.reset()
        return JSONResponse({"reset": True})

    async def state(request: Request) -> JSONResponse:
        return JSONResponse({name: v.snapshot() for name, v in emulator.vendors.items()})

    async def seed(request: Request) -> JSONResponse:
        vendor = emulator.vendors.get(request.path_params["vendor"])
        if vendor is None:
            raise ControlError(404, f"unknown vendor {request.path_params['vendor']!r}")
        payload = await _payload(request)
        try:
            return JSONResponse(vendor.seed(payload), status_code=201)
        except (KeyError, TypeError, ValueError) as exc:
            raise ControlError(400, f"bad seed payload: {exc}") from exc

    async def list_faults(request: Request) -> JSONResponse:
        return JSONResponse([rule.to_json() for rule in emulator.faults.rules])

    async def add_fault(request: Request) -> JSONResponse:
        payload = await _payload(request)
        unknown = set(payload) - _FAULT_FIELDS
        if unknown:
            raise ControlError(400, f"unknown fault fields: {sorted(unknown)}")
        try:
            rule = emulator.faults.add(Fault(**payload))
        except (TypeError, ValueError) as exc:
            raise ControlError(400, f"bad fault: {exc}") from exc
        return JSONResponse(rule.to_json(), status_code=201)

    async def clear_faults(request: Request) -> JSONResponse:
        emulator.faults.clear()
        return JSONResponse({"cleared": True})

    async def seed_faults(request: Request) -> JSONResponse:
        payload = await _payload(request)
        value = payload.get("seed")
        if set(payload) - {"seed"}:
            raise ControlError(400, f"unknown fields: {sorted(set(payload) - {'seed'})}")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ControlError(400, "seed must be an integer or null")
        emulator.faults.reseed(value)
        return JSONResponse({"seed": value})

    async def list_requests(request: Request) -> JSONResponse:
        try:
            filters = filters_from_query(request.query_params)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc
        return JSONResponse([r.to_json() for r in emulator.requests.select(**filters)])

    async def clear_requests(request: Request) -> JSONResponse:
        emulator.requests.clear()
        return JSONResponse({"cleared": True})

    async def fault_mode(request: Request) -> JSONResponse:
        payload = await _payload(request)
        if set(payload) != {"mode"}:
            raise ControlError(400, 'body must be {"mode": "first"} or {"mode": "all"}')
        try:
            emulator.faults.mode = payload["mode"]
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc
        return JSONResponse({"mode": emulator.faults.mode})

    table = [
        ("/_emulator/reset", reset, "POST"),
        ("/_emulator/state", state, "GET"),
        ("/_emulator/faults", list_faults, "GET"),
        ("/_emulator/faults", add_fault, "POST"),
        ("/_emulator/faults", clear_faults, "DELETE"),
        ("/_emulator/faults/seed", seed_faults, "POST"),
        ("/_emulator/requests", list_requests, "GET"),
        ("/_emulator/requests", clear_requests, "DELETE"),
        ("/_emulator/faults/mode", fault_mode, "POST"),
        ("/_emulator/{vendor}/seed", seed, "POST"),
    ]
    return [
        Route(path, answering_errors(handler), methods=[method]) for path, handler, method in table
    ]
