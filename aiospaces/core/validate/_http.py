"""The checks of what goes on the wire as it is: URLs, hosts, header names and values, queries."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from aiospaces.core.errors import ValidationError
from aiospaces.core.validate._values import described, text

__all__ = ["header_name", "header_value", "headers", "http_url", "origin", "query"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP token (RFC 9110): what a header name may be made of."""
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20\x09\x21-\x7e]*[\x21-\x7e])?)?")
"""A header value httpx can send: printable ASCII, inner spaces and tabs, nothing around."""
_HOST = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\.?)+|\[[0-9A-Fa-f:.]+\]")
"""A DNS name or an IPv4 address (ASCII labels), or an IPv6 address in brackets."""


def http_url(value: object, name: str, *, query: bool = False) -> str:
    """Return ``value`` if it is an ``http://`` or ``https://`` URL with a host.

    Messages show the URL without its query (presigned URLs carry signatures there) and
    without a password.

    Args:
        value: The URL.
        name: Its name, for the message.
        query: Allow a query string (a presigned URL); base URLs, to which paths are
            appended, carry neither a query nor a fragment.

    Raises:
        ValidationError: It is not.
    """
    url = text(value, name)
    try:
        parsed = httpx.URL(url)
        host = parsed.host
    except (httpx.InvalidURL, ValueError, TypeError):
        parsed = None
        host = ""  # pragma: no mutate - unread: parsed None decides first
    shown = re.sub(r"(://[^/@]*:)[^/@]*@", r"\1***@", url.partition("?")[0].partition("#")[0])
    if parsed is None or parsed.scheme not in ("http", "https") or not host:
        raise ValidationError(f"{name} must be an http:// or https:// URL, not {shown!r}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ValidationError(f"{name} must have a port from 1 to 65535, not {shown!r}")
    if not query and (parsed.query or parsed.fragment or "?" in url or "#" in url):
        raise ValidationError(f"{name} must not carry a query or a fragment, not {shown!r}")
    return url


def origin(value: object, name: str = "origin") -> str:
    """Return ``value`` if it is a host with an optional port (``ps.pndsn.com``, ``h:8089``).

    The host is ASCII (give an internationalised name in its ``xn--`` form).

    Raises:
        ValidationError: It is empty, carries a scheme or a path, or is not a host[:port].
    """
    found = text(value, name)
    if "://" in found:
        raise ValidationError(
            f"{name} is a host[:port], not a URL: pass {found.split('://', 1)[1]!r} "
            "(and ssl=False for http)"
        )
    host, colon, port = found.rpartition(":") if not found.endswith("]") else ("", "", "")
    if not colon or (host.count(":") and not host.startswith("[")):
        host, port = found, ""
    elif not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValidationError(f"{name} must be a host[:port] with a port from 1 to 65535")
    if not _HOST.fullmatch(host):
        raise ValidationError(f"{name} must be a host[:port] (ASCII host name), not {found!r}")
    return found


def header_name(value: object, name: str = "header name") -> str:
    """Return ``value`` if it is an HTTP header name (an RFC 9110 token).

    Raises:
        ValidationError: It is not.
    """
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        shown = repr(value) if isinstance(value, str) and value.isprintable() else described(value)
        raise ValidationError(
            f"{name} must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~), not {shown}"
        )
    return value


def header_value(value: object, name: str) -> str:
    """Return ``value`` if httpx can send it as a header value: printable ASCII.

    Inner spaces and tabs are fine; leading or trailing whitespace, control characters
    (CR and LF included) and non-ASCII text are not. The message never shows the value.

    Raises:
        ValidationError: It is not a string or holds what a header cannot carry.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, not {described(value)}")
    if not _FIELD_VALUE.fullmatch(value):
        raise ValidationError(
            f"{name} must be printable ASCII without control characters or surrounding "
            "whitespace (percent-encode other text, or use RFC 8187's UTF-8'' form)"
        )
    return value


def headers(value: object, name: str = "extra_headers") -> dict[str, str]:
    """Return a mapping of header names to values as a dict, each checked.

    Raises:
        ValidationError: It is not a mapping, or a name or value is not sendable.
    """
    if not isinstance(value, Mapping):
        raise ValidationError(f"{name} must be a mapping of header names to values")
    checked: dict[str, str] = {}
    for field, item in value.items():
        header = header_name(field, f"{name} key")
        checked[header] = header_value(item, f"{name}[{header!r}]")
    return checked


def query(value: object, name: str = "extra_query") -> list[tuple[str, str]]:
    """Return query parameters given as a mapping or as ``(name, value)`` pairs, each checked.

    Names are non-empty strings and values strings (empty allowed), all valid Unicode.

    Raises:
        ValidationError: It is neither a mapping nor a list or tuple of string pairs.
    """
    items: Any
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ValidationError(
            f"{name} must be a mapping or a list of (name, value) pairs, not {described(value)}"
        )
    pairs = []
    for item in items:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ValidationError(f"{name} must hold (name, value) pairs, not {described(item)}")
        pairs.append((text(item[0], f"{name} name"), text(item[1], f"{name} value", empty=True)))
    return pairs
