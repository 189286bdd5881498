"""Fault injection: make matching requests fail, stall or lose their connection.

A [Fault][aiospaces.emulator.faults.Fault] matches by HTTP method and a path pattern (shell
style, ``*`` spans ``/``) and fires a number of ``times`` or with a ``probability``. The
injector's random generator is seeded, so a run with the same seed fails the same requests.
"""

from __future__ import annotations

import fnmatch
import json
import random
from typing import TYPE_CHECKING, Any

import anyio
import attrs

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ConnectionDropped", "Fault", "FaultInjector"]


class ConnectionDropped(Exception):
    """Raised inside the app to make the server drop the connection mid-response."""


def _non_negative(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, not {value!r}")


@attrs.define(kw_only=True)
class Fault:
    """One fault rule.

    Attributes:
        method: HTTP method to match, or ``"*"``.
        path: Shell-style pattern over the request path, e.g. ``/v2/objects/*/channels*``.
        status: Answer with this status instead of calling the app (None: call the app).
        body: The answer's body: JSON for dicts and lists, else text.
        headers: Extra headers of the answer (``Retry-After``, ``x-should-retry``, ...).
        delay: Seconds to wait before answering (or before calling the app).
        drop: Drop the connection after sending the response headers.
        times: Fire this many times, then stop (None: no limit).
        probability: Fire with this probability on each match.
        fired: How often the rule has fired so far.
    """

    method: str = "*"
    path: str = "*"
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = attrs.field(factory=dict)
    delay: float = attrs.field(default=0.0, validator=_non_negative)
    drop: bool = False
    times: int | None = attrs.field(default=None, validator=_non_negative)
    probability: float = attrs.field(
        default=1.0, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)]
    )
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Return whether the rule applies to a request (ignoring count and probability)."""
        return (self.method == "*" or self.method.upper() == method) and fnmatch.fnmatchcase(
            path, self.path
        )

    def to_json(self) -> dict[str, Any]:
        """Return the rule as the control API shows it."""
        return attrs.asdict(self)


class FaultInjector:
    """ASGI middleware applying the fault rules to every request outside ``/_emulator``."""

    def __init__(self, app: ASGIApp, *, seed: int | None = None) -> None:
        self.app = app
        self.rules: list[Fault] = []
        self.random = random.Random(seed)  # noqa: S311 - reproducible failures, not secrets

    def reseed(self, seed: int | None) -> None:
        """Restart the random sequence that decides probabilistic faults."""
        self.random = random.Random(seed)  # noqa: S311

    def add(self, fault: Fault) -> Fault:
        """Append a rule; rules are tried in order and the first that fires wins."""
        self.rules.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()

    def _pick(self, method: str, path: str) -> Fault | None:
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            if rule.times is not None and rule.fired >= rule.times:
                continue
            if rule.probability < 1.0 and self.random.random() >= rule.probability:
                continue
            rule.fired += 1
            return rule
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Apply the first rule that fires to this request, or pass it to the app."""
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        rule = self._pick(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        if rule.delay:
            await anyio.sleep(rule.delay)
        if rule.drop:
            await send(
                {
                    "type": "http.response.start",
                    "status": rule.status or 200,
                    "headers": [(b"content-length", b"100")],
                }
            )
            await send({"type": "http.response.body", "body": b"partial", "more_body": True})
            raise ConnectionDropped(f"fault: dropped {scope['method']} {scope['path']}")
        if rule.status is None:
            await self.app(scope, receive, send)
            return
        if isinstance(rule.body, dict | list):
            body = json.dumps(rule.body).encode()
            content_type = b"application/json"
        else:
            body = str(rule.body or "").encode()
            content_type = b"text/plain; charset=utf-8"
        headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
        headers += [(k.lower().encode(), v.encode()) for k, v in rule.headers.items()]
        await send({"type": "http.response.start", "status": rule.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
