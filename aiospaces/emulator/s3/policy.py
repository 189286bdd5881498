"""What a presigned request must prove: a POST's signed policy, a GET's signed query.

[check_post][aiospaces.emulator.s3.policy.check_post] runs when an upload's ``file`` part
begins: every required field is there, the signature matches the policy, the policy has not
expired, every condition holds and no field goes uncovered; it returns the size range the
policy allows. [check_download][aiospaces.emulator.s3.policy.check_download] checks the query of
a presigned GET. Failures raise [S3Error][aiospaces.emulator.s3.errors.S3Error] with S3's status,
``Code`` and ``Message``. The signing itself (keys derived from the storage's secret) belongs to
[Storage][aiospaces.emulator.s3.store.Storage], which passes it in.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiospaces.emulator._parse import ascii_int, equal_secrets
from aiospaces.emulator.s3.errors import S3Error, algorithm_error

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

__all__ = [
    "ACCESS_KEY_ID",
    "ALGORITHM",
    "BUCKET",
    "MAX_EXPIRES",
    "FormFields",
    "check_download",
    "check_post",
]

ALGORITHM = "AWS4-HMAC-SHA256"
"""The signing algorithm named in presigned uploads and downloads."""

ACCESS_KEY_ID = "AKIAAIOSPACESEMULATE"
"""The one access key id the storage signs with and accepts."""

BUCKET = "aiospaces-emulator-files"
"""The bucket name a policy's ``bucket`` condition is checked against."""

MAX_EXPIRES = 7 * 24 * 3600
"""The longest a presigned GET may stay valid (seconds), as in S3."""

_MAX_KEY_BYTES = 1024
_REQUIRED_FIELDS = (
    "key",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "Policy",
    "X-Amz-Signature",
)
_UNCHECKED_FIELDS = frozenset({"policy", "x-amz-signature", "file"})
_DOWNLOAD_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)


class FormFields:
    """The form fields of a presigned POST, found by name in any case (as S3 does)."""

    def __init__(self) -> None:
        self._fields: dict[str, tuple[str, str]] = {}  # lower-case name -> (name, value)

    def add(self, name: str, value: str) -> None:
        """Record a field; a second field of the same name is a 400 ``InvalidArgument``."""
        lower = name.lower()
        if lower in self._fields:
            raise S3Error(
                400,
                "InvalidArgument",
                f"Form field '{name}' appears more than once.",
                ArgumentName=name,
            )
        self._fields[lower] = (name, value)

    def get(self, name: str) -> str | None:
        """Return the value of the field ``name`` (any case), or None."""
        found = self._fields.get(name.lower())
        return None if found is None else found[1]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the field names as they were sent."""
        return (name for name, _ in self._fields.values())


def _missing_field(name: str) -> S3Error:
    return S3Error(
        400,
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  "
        "If it is specified, please check the order of the fields.",
        ArgumentName=name,
        ArgumentValue="",
    )


def _policy_failed(detail: str) -> S3Error:
    return S3Error(403, "AccessDenied", f"Invalid according to Policy: {detail}")


def _invalid_policy(detail: str) -> S3Error:
    return S3Error(400, "InvalidPolicyDocument", f"Invalid Policy: {detail}")


def _signature_mismatch(signature: str, **extra: str) -> S3Error:
    return S3Error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you "
        "provided. Check your key and signing method.",
        **extra,
        SignatureProvided=signature,
    )


def _decode_policy(policy: str) -> dict[str, Any]:
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise _invalid_policy("Invalid JSON.") from exc
    if not (
        isinstance(document, dict)
        and isinstance(document.get("expiration"), str)
        and isinstance(document.get("conditions"), list)
    ):
        raise _invalid_policy("Policy missing expiration or conditions.")
    return document


def check_post(
    fields: FormFields,
    *,
    sign: Callable[[str, str], str],
    clock: Callable[[], float],
    limit: int,
) -> tuple[int, int]:
    """Check a presigned POST's form fields against its signed policy.

    Args:
        fields: The form fields sent before the file.
        sign: Returns the expected ``X-Amz-Signature`` of a policy, given its credential and
            the policy itself.
        clock: Source of the current time (seconds since the epoch), for the expiry.
        limit: The store's largest object (bytes); ``content-length-range`` can only lower it.

    Returns:
        The smallest and largest file size the policy allows.

    Raises:
        S3Error: A field is missing or malformed, the signature does not match, the policy
            is malformed or expired, a condition fails or a field is not covered by one.
    """
    for name in _REQUIRED_FIELDS:
        if fields.get(name) is None:
            raise _missing_field(name)
    signature = fields.get("X-Amz-Signature") or ""
    key = fields.get("key") or ""
    if not key:
        raise S3Error(400, "InvalidArgument", "User key must have a length greater than 0.")
    if len(key.encode("utf-8")) > _MAX_KEY_BYTES:
        raise S3Error(400, "KeyTooLongError", "Your key is too long", MaxSizeAllowed=_MAX_KEY_BYTES)
    algorithm = fields.get("X-Amz-Algorithm")
    if algorithm != ALGORITHM:
        raise S3Error(
            400,
            "InvalidArgument",
            f'X-Amz-Algorithm only supports "{ALGORITHM}"',
            ArgumentName="X-Amz-Algorithm",
            ArgumentValue=algorithm,
        )
    credential = fields.get("X-Amz-Credential") or ""
    parts = credential.split("/")
    if len(parts) != 5 or parts[3:] != ["s3", "aws4_request"]:
        raise S3Error(
            400,
            "InvalidArgument",
            "Error parsing the X-Amz-Credential parameter; "
            "expected <key>/<date>/<region>/s3/aws4_request.",
            ArgumentName="X-Amz-Credential",
            ArgumentValue=credential,
        )
    if parts[0] != ACCESS_KEY_ID:
        raise S3Error(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            AWSAccessKeyId=parts[0],
        )
    policy = fields.get("Policy") or ""
    if not equal_secrets(signature.strip().lower(), sign(credential, policy)):
        raise _signature_mismatch(signature, AWSAccessKeyId=parts[0], StringToSign=policy)
    document = _decode_policy(policy)
    try:
        expiration = datetime.fromisoformat(document["expiration"]).timestamp()
    except (TypeError, ValueError) as exc:
        raise _invalid_policy("Invalid 'expiration' value.") from exc
    if clock() >= expiration:
        raise _policy_failed("Policy expired.")
    covered, sizes = _check_conditions(fields, document["conditions"], limit)
    for name in fields:
        lower = name.lower()
        exempt = lower in _UNCHECKED_FIELDS or lower.startswith("x-ignore-")
        if lower not in covered and not exempt:
            raise _policy_failed(f"Extra input fields: {name}")
    return sizes


def _check_conditions(
    fields: FormFields, conditions: list[Any], limit: int
) -> tuple[set[str], tuple[int, int]]:
    """Evaluate the policy's conditions; return the fields they cover and the size range."""
    covered: set[str] = set()
    sizes = (0, limit)
    for condition in conditions:
        if isinstance(condition, dict) and len(condition) == 1:
            ((name, expected),) = condition.items()
            condition = ["eq", f"${name}", expected]
        if not isinstance(condition, list) or len(condition) != 3:
            raise _invalid_policy("Invalid Simple-Condition.")
        operator, subject, operand = condition
        if operator == "content-length-range":
            if not (isinstance(subject, int) and isinstance(operand, int)):
                raise _invalid_policy("Invalid content-length-range.")
            sizes = (subject, min(operand, limit))
            continue
        if not (isinstance(subject, str) and subject.startswith("$")):
            raise _invalid_policy("Invalid condition.")
        name = subject[1:].lower()
        if name == "bucket":
            actual: str | None = BUCKET
        else:
            covered.add(name)
            actual = fields.get(name)
        value = actual or ""
        if operator == "eq":
            ok = value == operand
        elif operator == "starts-with":
            ok = isinstance(operand, str) and value.startswith(operand)
        else:
            raise _invalid_policy(f"Unknown operator {operator!r}.")
        if not ok:
            raise _policy_failed(f"Policy Condition failed: {json.dumps(condition)}")
    return covered, sizes


def check_download(
    key: str,
    query: Mapping[str, str],
    *,
    sign: Callable[[str, str, str, str, str], str],
    clock: Callable[[], float],
) -> None:
    """Check the query of a presigned GET for ``key``.

    Args:
        key: The object key of the request's path.
        query: The request's query parameters.
        sign: Returns the expected signature of the key, credential, date, expiry and signed
            headers, in that order.
        clock: Source of the current time (seconds since the epoch), for the expiry.

    Raises:
        S3Error: A parameter is missing or malformed (400 or 403), the signature does not
            match (403), or the URL has expired (``403 AccessDenied``).
    """
    present = [name for name in _DOWNLOAD_PARAMS if name in query]
    if not present:
        raise S3Error(403, "AccessDenied", "Access Denied")
    if len(present) != len(_DOWNLOAD_PARAMS):
        raise S3Error(
            403,
            "AccessDenied",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
            "and X-Amz-Expires parameters.",
        )
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise algorithm_error()
    expires = query["X-Amz-Expires"]
    seconds = ascii_int(expires)
    if seconds is None or not 1 <= seconds <= MAX_EXPIRES:
        raise S3Error(
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be a number of seconds from 1 to 604800",
        )
    try:
        signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    except ValueError as exc:
        raise S3Error(
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        ) from exc
    signature = query["X-Amz-Signature"]
    expected = sign(
        key,
        query["X-Amz-Credential"],
        query["X-Amz-Date"],
        expires,
        query["X-Amz-SignedHeaders"],
    )
    if not equal_secrets(signature.lower(), expected):
        raise _signature_mismatch(signature)
    expiry = signed_at.replace(tzinfo=UTC) + timedelta(seconds=seconds)
    now = datetime.fromtimestamp(clock(), UTC)
    if now > expiry:
        raise S3Error(
            403,
            "AccessDenied",
            "Request has expired",
            **{"X-Amz-Expires": expires},
            Expires=expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
