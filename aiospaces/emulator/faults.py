"""Fault injection: make matching requests fail, stall, lose their connection or their answer.

A [Fault][aiospaces.emulator.faults.Fault] matches by HTTP method and a path pattern (shell
style, ``*`` spans ``/``) and fires a number of ``times`` or with a ``probability``. Rules are
tried in the order they were added. In the default mode (``"first"``) the first rule that
fires acts on a request and the rules after it are not tried; in mode ``"all"`` every rule
that fires acts: their delays add up, and the first one with an outcome (a ``status``,
``drop`` or ``lose_answer``) decides it, the rules after that one are not tried. The
injector's random generator is seeded, so a run with the same seed fails the same requests.

Two families of faults:

- *Before processing* (the app never sees the request): answer a ``status`` (with ``body`` and
  ``headers``), wait ``delay`` seconds first, or ``drop`` the connection mid-response.
- *Lost answer* (``lose_answer``): the app processes the request (its state changes), then
  the answer is lost: ``"drop"`` cuts the connection mid-response, ``"502"`` answers a proxy's
  Bad Gateway instead, ``"late"`` sends the real answer only after ``delay`` seconds. The
  client cannot tell whether the request took effect, which is what a duplicate-safety test
  needs.
"""

from __future__ import annotations

import fnmatch
import json
import random
import re
from typing import TYPE_CHECKING, Any, Literal, get_args

import anyio
import attrs

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "FAULT_MODES",
    "FIRED_FAULTS",
    "LOST_ANSWERS",
    "MAX_DELAY",
    "ConnectionDropped",
    "Fault",
    "FaultInjector",
    "FaultMode",
    "LostAnswer",
]

LostAnswer = Literal["drop", "502", "late"]
"""How a processed request's answer is lost (see [Fault][aiospaces.emulator.faults.Fault])."""
LOST_ANSWERS: tuple[LostAnswer, ...] = get_args(LostAnswer)
"""The values of ``Fault.lose_answer``."""
FaultMode = Literal["first", "all"]
"""Which rules act on a request: the first that fires, or all that fire (see the module)."""
FAULT_MODES: tuple[FaultMode, ...] = get_args(FaultMode)
"""The values of ``FaultInjector.mode``."""
MAX_DELAY = 3600.0
"""The longest ``delay`` a rule may have (seconds)."""
FIRED_FAULTS = "aiospaces.fired_faults"
"""The ASGI scope key under which the injector lists the rules that fired on a request (read
by the request log)."""
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP method or header name
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_FRAMING = frozenset({"content-length", "transfer-encoding"})
_FRAMING_BYTES = frozenset(name.encode() for name in _FRAMING)
_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


class ConnectionDropped(Exception):
    """Raised inside the app to make the server drop the connection mid-response.

    On a socket the server closes the connection and an httpx client sees
    ``RemoteProtocolError``; through [Emulator.transport][aiospaces.emulator.app.Emulator.transport]
    it becomes ``httpx.RemoteProtocolError`` too; through a plain ``httpx.ASGITransport`` it is
    raised as is.
    """


def _number(low: float, high: float) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{attribute.name} must be a number, not {value!r}")
        if not low <= value <= high:  # also refuses NaN and infinities
            raise ValueError(f"{attribute.name} must be from {low:g} to {high:g}, not {value!r}")

    return check


def _integer(low: int, high: int | None, *, optional: bool) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{attribute.name} must be an integer, not {value!r}")
        if value < low or (high is not None and value > high):
            upper = "" if high is None else f" to {high}"
            raise ValueError(f"{attribute.name} must be from {low}{upper}, not {value!r}")

    return check


def _method(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"method must be a string, not {value!r}")
    if value != "*" and not _TOKEN.fullmatch(value):
        raise ValueError(f"method must be an HTTP method or '*', not {value!r}")


def _pattern(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"path must be a string pattern, not {value!r}")
    if len(value) > 2048:
        raise ValueError("path must be at most 2048 characters")


def _headers(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, dict):
        raise TypeError(f"headers must be a dict of strings, not {value!r}")
    for name, text in value.items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise TypeError(f"headers must map strings to strings, not {name!r}: {text!r}")
        if not _TOKEN.fullmatch(name) or not _HEADER_VALUE.fullmatch(text):
            raise ValueError(f"header {name!r}: {text!r} cannot be sent (ASCII names and values)")
        if name.lower() in _FRAMING:
            raise ValueError(f"header {name!r} is set by the fault itself")


def _body(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    wanted = "body must be JSON-ready: text, finite numbers, lists or dicts"
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
    except TypeError as exc:
        raise TypeError(f"{wanted}: {exc}") from exc
    except ValueError as exc:  # NaN or infinity; a lone surrogate (UnicodeEncodeError)
        raise ValueError(f"{wanted}: {exc}") from exc


def _lost_answer(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value not in LOST_ANSWERS:
        raise ValueError(f"lose_answer must be one of {', '.join(LOST_ANSWERS)} or None")


@attrs.define(kw_only=True)
class Fault:
    """One fault rule; every field is checked (``TypeError``/``ValueError``), also when set.

    Attributes:
        method: HTTP method to match, or ``"*"``.
        path: Shell-style pattern over the request path, e.g. ``/v2/objects/*/channels*``.
        status: Answer with this status (100 to 599) instead of calling the app (None: call it).
        body: The answer's body: JSON for dicts and lists, else text.
        headers: Extra headers of the answer (``Retry-After``, ``x-should-retry``, ...), or of
            the 502 of ``lose_answer="502"``.
        delay: Seconds (0 to [MAX_DELAY][aiospaces.emulator.faults.MAX_DELAY]) to wait before
            answering or calling the app; with ``lose_answer``, after the app has answered.
        drop: Drop the connection after sending the response headers, without calling the app.
        lose_answer: Let the app process the request, then lose its answer: ``"drop"`` the
            connection mid-response, answer ``"502"`` (a proxy's Bad Gateway, not the vendor's
            body) or send it ``"late"`` (after ``delay`` seconds, which must be > 0; make it
            longer than the client's timeout). Cannot go with ``status``, ``body`` or ``drop``.
        times: Fire this many times, then stop (None: no limit).
        probability: Fire with this probability (0 to 1) on each match.
        fired: How often the rule has fired so far.

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field is out of range, or the fields contradict each other.
    """

    method: str = attrs.field(default="*", validator=_method)
    path: str = attrs.field(default="*", validator=_pattern)
    status: int | None = attrs.field(default=None, validator=_integer(100, 599, optional=True))
    body: Any = attrs.field(default=None, validator=_body)
    headers: dict[str, str] = attrs.field(factory=dict, validator=_headers)
    delay: float = attrs.field(default=0.0, validator=_number(0.0, MAX_DELAY))
    drop: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    lose_answer: LostAnswer | None = attrs.field(default=None, validator=_lost_answer)
    times: int | None = attrs.field(default=None, validator=_integer(0, None, optional=True))
    probability: float = attrs.field(default=1.0, validator=_number(0.0, 1.0))
    fired: int = attrs.field(default=0, validator=_integer(0, None, optional=False))

    def __attrs_post_init__(self) -> None:
        if self.lose_answer is None:
            return
        if self.status is not None or self.body is not None or self.drop:
            raise ValueError("lose_answer lets the app answer: no status, body or drop with it")
        if self.lose_answer == "late" and not self.delay:
            raise ValueError("lose_answer='late' needs a delay: the seconds the answer is late")

    @property
    def has_outcome(self) -> bool:
        """Whether the rule decides the request (a status, drop or lost answer), not only delays."""
        return self.status is not None or self.drop or self.lose_answer is not None

    def matches(self, method: str, path: str) -> bool:
        """Return whether the rule applies to a request (ignoring count and probability)."""
        return (self.method == "*" or self.method.upper() == method) and fnmatch.fnmatchcase(
            path, self.path
        )

    def to_json(self) -> dict[str, Any]:
        """Return the rule as the control API shows it."""
        return attrs.asdict(self)


class FaultInjector:
    """ASGI middleware applying the fault rules to every request outside ``/_emulator``.

    Args:
        app: The application behind the faults.
        seed: Seed of the random generator deciding probabilistic rules.
        mode: ``"first"``: the first rule that fires acts, the rules after it are not tried.
            ``"all"``: every rule that fires acts, in order: their delays add up, and the
            first with an outcome (``status``, ``drop``, ``lose_answer``) ends the walk.
    """

    def __init__(self, app: ASGIApp, *, seed: int | None = None, mode: FaultMode = "first") -> None:
        self.app = app
        self.rules: list[Fault] = []
        self.random = random.Random(seed)  # noqa: S311 - reproducible failures, not secrets
        self.mode = mode

    @property
    def mode(self) -> FaultMode:
        """``"first"`` or ``"all"``: which of the rules that fire act on a request."""
        return self._mode

    @mode.setter
    def mode(self, value: FaultMode) -> None:
        if value not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}, not {value!r}")
        self._mode = value

    def reseed(self, seed: int | None) -> None:
        """Restart the random sequence that decides probabilistic faults."""
        self.random = random.Random(seed)  # noqa: S311

    def add(self, fault: Fault) -> Fault:
        """Append a rule; rules are tried in the order they were added (see ``mode``)."""
        self.rules.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()

    def _fire(self, method: str, path: str) -> list[Fault]:
        """Return the rules that fire on a request, in order (counted in their ``fired``)."""
        fired: list[Fault] = []
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            if rule.times is not None and rule.fired >= rule.times:
                continue
            if rule.probability < 1.0 and self.random.random() >= rule.probability:
                continue
            rule.fired += 1
            fired.append(rule)
            if self._mode == "first" or rule.has_outcome:
                break
        return fired

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Apply the rules that fire to this request (see ``mode``), or pass it to the app."""
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        fired = self._fire(scope["method"], scope["path"])
        if not fired:
            await self.app(scope, receive, send)
            return
        *before, rule = fired
        delay = sum(r.delay for r in before)  # delay-only rules ahead of the deciding one
        scope[FIRED_FAULTS] = fired
        if rule.lose_answer is not None:
            if delay:
                await anyio.sleep(delay)
            await self._lose_answer(rule, scope, receive, send)
            return
        if delay + rule.delay:
            await anyio.sleep(delay + rule.delay)
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

    async def _lose_answer(self, rule: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the app answer in full, then lose the answer as ``rule.lose_answer`` says."""
        answer: list[Message] = []

        async def keep(message: Message) -> None:
            answer.append(message)

        await self.app(scope, receive, keep)
        if rule.delay:
            await anyio.sleep(rule.delay)
        if rule.lose_answer == "late":
            for message in answer:
                await send(message)
            return
        if rule.lose_answer == "502":
            headers = [
                (b"content-type", b"text/html"),
                (b"content-length", b"%d" % len(_BAD_GATEWAY)),
            ]
            headers += [(k.lower().encode(), v.encode()) for k, v in rule.headers.items()]
            await send({"type": "http.response.start", "status": 502, "headers": headers})
            await send({"type": "http.response.body", "body": _BAD_GATEWAY})
            return
        # "drop": the app's status and headers, but one byte more announced than it answered,
        # and only half of its body sent before the connection goes
        start = next(m for m in answer if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in answer if m["type"] == "http.response.body")
        headers = [(k, v) for k, v in start["headers"] if k.lower() not in _FRAMING_BYTES]
        headers.append((b"content-length", b"%d" % (len(body) + 1)))
        status = 200 if start["status"] in (204, 304) else start["status"]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        raise ConnectionDropped(f"fault: lost the answer to {scope['method']} {scope['path']}")
