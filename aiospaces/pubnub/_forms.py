"""Reading a ``generate-upload-url`` answer: the file id and the presigned form that stores it."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import TYPE_CHECKING

from aiospaces.core import validate
from aiospaces.pubnub.journal import FORM_LIFETIME, Reservation

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx


def parse_reservation(response: httpx.Response, now: float) -> Reservation:
    """Read the answer (raise ``KeyError``, ``TypeError``, ``ValueError`` when it is not one).

    Server values are checked as strictly as input: the file id and name become a file
    message, the URL receives the upload, the fields become form parts. The form's expiry is
    the answer's ``expiration_date`` (PubNub: a minute after the answer); without a readable
    one it is taken to be [FORM_LIFETIME][aiospaces.pubnub.journal.FORM_LIFETIME] from ``now``.
    """
    body = response.json()
    request = body["file_upload_request"]
    fields = tuple(
        (
            validate.text(f["key"], "form field"),
            validate.text(f["value"], "form value", empty=True),
        )
        for f in request["form_fields"]
    )
    return Reservation(
        file_id=validate.identifier(body["data"]["id"], "file id"),
        file_name=validate.identifier(body["data"]["name"], "file name"),
        url=validate.http_url(request["url"], "upload URL", query=True),
        fields=fields,
        expires=_expiry(request.get("expiration_date"), now),
        created=now,
    )


def _expiry(value: object, now: float) -> float:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:  # a time without a zone means nothing certain
                return moment.timestamp()
    return now + FORM_LIFETIME


def policy_max_size(fields: Sequence[tuple[str, str]]) -> int | None:
    """Return the upper bound of the policy's ``content-length-range``, if it has one."""
    policy = next((value for key, value in fields if key.lower() == "policy"), None)
    if policy is None:
        return None
    try:
        document = json.loads(base64.b64decode(policy))
        for condition in document.get("conditions", []):
            if isinstance(condition, list) and condition[0] == "content-length-range":
                return int(condition[2])
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, binascii.Error):
        return None
    return None
