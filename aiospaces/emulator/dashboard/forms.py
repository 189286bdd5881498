"""The dashboard's forms: who may post them, and what their fields become.

**Cross-site requests.** The dashboard is a local tool without accounts, so there is no session
to hang a CSRF token on. What an attacker's page can do is make the visitor's browser post a
form to ``http://127.0.0.1:<port>/_emulator/ui/reset``. Browsers say where such a request
comes from, so every form post must be same-origin:

- ``Sec-Fetch-Site``, when sent, must be ``same-origin`` or ``none`` (typed in, a bookmark);
- ``Origin``, when sent, must be this server's own origin (scheme, host and port);
- else ``Referer``, when sent, must start with it;
- a request with none of them does not come from a browser page (``curl``, a test client),
  which is no cross-site risk, and is accepted.

Anything else is refused with 403 before the form is read. Every field is checked and a bad
one is a 400 that says which; nothing is changed by a refused form.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from aiospaces.emulator._parse import json_value
from aiospaces.emulator.faults import LOST_ANSWERS, Fault

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request

__all__ = ["FormError", "fault_from_form", "same_origin", "seed_from_form"]

_FAULT_FIELDS = frozenset(
    {"method", "path", "status", "body", "headers", "delay", "drop", "lose_answer", "times"}
    | {"probability"}
)


class FormError(Exception):
    """A form that cannot be acted on: answered with ``status`` and the message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def same_origin(request: Request) -> bool:
    """Return whether a form post comes from this server's own pages (or from no browser)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("referer")
    if referer is not None:
        return referer == own or referer.startswith(own + "/")
    return True


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise FormError(400, f"{name} must be text, not a file")
    return value.strip()


def _integer(form: Mapping[str, Any], name: str) -> int | None:
    text = _text(form, name)
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise FormError(400, f"{name} must be a whole number, not {text[:40]!r}")
    return int(text)


def _number(form: Mapping[str, Any], name: str) -> float | None:
    text = _text(form, name)
    if not text:
        return None
    try:
        value = float(text) if text.isascii() and len(text) <= 40 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise FormError(400, f"{name} must be a number, not {text[:40]!r}")
    return value


def _headers(text: str) -> dict[str, str]:
    headers = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise FormError(400, f"each header line is 'Name: value', not {line[:60]!r}")
        headers[name.strip()] = value.strip()
    return headers


def _body(text: str) -> Any:
    if not text:
        return None
    try:
        value = json_value(text)
    except ValueError:
        return text
    return value if isinstance(value, dict | list) else text


def fault_from_form(form: Mapping[str, Any]) -> Fault:
    """Return the fault rule a submitted form describes.

    Empty fields take the rule's defaults; ``body`` is JSON when it reads as an object or a
    list, else text; ``headers`` is one ``Name: value`` per line; ``drop`` is a checkbox.

    Raises:
        FormError: An unknown field, a value of the wrong shape, or a rule
            [Fault][aiospaces.emulator.faults.Fault] refuses (400, with the reason).
    """
    unknown = sorted(set(form) - _FAULT_FIELDS)
    if unknown:
        raise FormError(400, f"unknown fields: {', '.join(n[:40] for n in unknown[:5])}")
    lose_answer = _text(form, "lose_answer")
    if lose_answer and lose_answer not in LOST_ANSWERS:
        raise FormError(400, f"lose_answer must be one of {', '.join(LOST_ANSWERS)}")
    fields: dict[str, Any] = {
        "method": _text(form, "method").upper() or "*",
        "path": _text(form, "path") or "*",
        "status": _integer(form, "status"),
        "body": _body(_text(form, "body")),
        "headers": _headers(_text(form, "headers")),
        "delay": _number(form, "delay") or 0.0,
        "drop": _text(form, "drop") in ("on", "1", "true"),
        "lose_answer": lose_answer or None,
        "times": _integer(form, "times"),
    }
    probability = _number(form, "probability")
    if probability is not None:
        fields["probability"] = probability
    try:
        return Fault(**fields)
    except (TypeError, ValueError) as exc:
        raise FormError(400, f"bad fault: {exc}") from exc


def seed_from_form(form: Mapping[str, Any], vendors: frozenset[str]) -> tuple[str, dict[str, Any]]:
    """Return the vendor and the JSON payload of a seed form.

    Raises:
        FormError: An unknown vendor, or a payload that is not a JSON object (400).
    """
    vendor = _text(form, "vendor")
    if vendor not in vendors:
        raise FormError(400, f"vendor must be one of {', '.join(sorted(vendors))}")
    try:
        payload = json_value(_text(form, "payload") or "{}")
    except ValueError as exc:
        raise FormError(400, f"the payload is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise FormError(400, "the payload must be a JSON object")
    return vendor, payload
