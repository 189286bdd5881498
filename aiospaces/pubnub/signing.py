"""PubNub request signing (signature v2; v1 for a POST publish) and its percent-encoding."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["pam_encode", "sign_publish_post", "sign_request", "signature_v2"]


def pam_encode(value: str) -> str:
    """Return ``value`` percent-encoded as PubNub signs it: all but ``A-Za-z0-9_.-``."""
    return quote(value, safe="").replace("~", "%7E")


def signature_v2(
    secret_key: str, publish_key: str, method: str, path: str, query: str, body: str
) -> str:
    """Return ``v2.`` + unpadded base64url HMAC-SHA256 over PubNub's string to sign.

    ``query`` is the sorted, [pam_encode][aiospaces.pubnub.signing.pam_encode]d query.
    """
    message = f"{method}\n{publish_key}\n{path}\n{query}\n{body}"
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return "v2." + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_request(
    secret_key: str,
    publish_key: str,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    body: str,
) -> str:
    """Return the v2 signature of a request whose query parameters are given unencoded."""
    signed = "&".join(f"{k}={pam_encode(v)}" for k, v in sorted(query) if k != "signature")
    return signature_v2(secret_key, publish_key, method, path, signed, body)


def sign_publish_post(
    secret_key: str,
    subscribe_key: str,
    publish_key: str,
    path: str,
    query: Sequence[tuple[str, str]],
) -> str:
    r"""Return the legacy (v1) signature PubNub expects on a ``POST /publish/...``.

    The string signed is ``sub\npub\npath\nquery`` (the sorted,
    [pam_encode][aiospaces.pubnub.signing.pam_encode]d query; no method, no body); the
    signature is the base64url HMAC-SHA256 with its ``=`` padding kept and no ``v2.`` prefix.
    """
    signed = "&".join(f"{k}={pam_encode(v)}" for k, v in sorted(query) if k != "signature")
    message = f"{subscribe_key}\n{publish_key}\n{path}\n{signed}"
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()
