"""S3-style object storage for the emulator: presigned POST uploads and presigned GET downloads.

PubNub hands its clients an S3 *presigned POST* (a URL plus form fields with a signed policy)
for file uploads, and answers "get file URL" with a presigned S3 GET.
[Storage][aiospaces.emulator.storage.Storage] plays the S3 side on the emulator's own origin,
under ``/_storage``:

```python
storage = Storage(secret=secrets.token_bytes(32))
upload = storage.presign_upload(key, content_type="text/plain", base_url="http://127.0.0.1:8000")
# POST upload["url"] with upload["form_fields"] in order, then the part named "file"
url = storage.presign_download(key, base_url="http://127.0.0.1:8000")   # GET it for the bytes
```

Uploads are parsed as a stream (python-multipart, fed from ``request.stream()``): the file's
bytes go straight to the object store as they arrive, either memory or, with ``directory``, a
file there, so the server's memory stays flat whatever the upload's size. Failures answer with
S3's XML error documents and status codes (``SignatureDoesNotMatch``, ``AccessDenied``,
``EntityTooLarge``, ...) and leave nothing stored.

Differences from S3, on purpose:

* Signatures are HMAC-SHA256 over the policy (uploads) or over the request's parameters and
  key (downloads) with keys derived from ``secret``; they are checked for real, but they are
  not AWS Signature Version 4 and the ``Host`` header is not signed.
* Form fields must all come before the ``file`` part: S3 ignores fields after it, this storage
  rejects them with ``400 InvalidArgument`` so that a client bug does not go unnoticed.
* The download credential separates its parts with ``_`` instead of ``/``: the official PubNub
  SDK re-sends the query values without re-encoding them, so every value is URL-safe as is.
* Objects never expire (the ``x-amz-expiration`` header only reports the lifecycle date that
  the ``tagging`` field's ``ObjectTTLInDays`` implies).
"""

from __future__ import annotations

import base64
import binascii
import builtins
import contextlib
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
import anyio.to_thread
import attrs
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping
    from pathlib import Path

    from starlette.requests import Request
    from starlette.routing import BaseRoute

__all__ = ["CHUNK_SIZE", "Storage", "StoredObject"]

CHUNK_SIZE = 64 * 1024
"""Size of the chunks a download is streamed in (bytes)."""

_ALGORITHM = "AWS4-HMAC-SHA256"
_ACCESS_KEY_ID = "AKIAAIOSPACESEMULATE"
_REGION = "us-east-1"
_BUCKET = "aiospaces-emulator-files"
_TAGGING = (
    "<Tagging><TagSet><Tag><Key>ObjectTTLInDays</Key><Value>1</Value></Tag></TagSet></Tagging>"
)
_TTL_RE = re.compile(r"<Key>ObjectTTLInDays</Key>\s*<Value>(\d{1,5})</Value>")
_MAX_PRE_DATA = 20 * 1024  # S3: form fields before the file are limited to 20 KB
_MAX_KEY_BYTES = 1024
_MAX_EXPIRES = 7 * 24 * 3600
_FLUSH_SIZE = 256 * 1024
_DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 stores when no type is given
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


@attrs.frozen
class StoredObject:
    """One object in the storage.

    Attributes:
        key: The object's key, e.g. ``{sub_key}/{hash}/{file_id}/{file_name}``.
        size: Size in bytes.
        content_type: Media type served on download: the upload's ``Content-Type`` form field
            (as S3 does), else the ``file`` part's own ``Content-Type``.
        etag: Hex MD5 of the content (the ``ETag`` header carries it in double quotes).
        created: When the upload completed (UTC).
    """

    key: str
    size: int
    content_type: str
    etag: str
    created: datetime


@attrs.frozen
class _Entry:
    """A stored object with its bytes (memory) or file (directory)."""

    obj: StoredObject
    data: bytes | None
    path: Path | None
    expiration: str | None  # value of the x-amz-expiration header, if a TTL tag was given


class _S3Error(Exception):
    """An S3 error answer: status, ``Code``, ``Message`` and extra elements."""

    def __init__(self, status: int, code: str, message: str, **extra: object) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = {name: str(value) for name, value in extra.items()}


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _request_ids() -> dict[str, str]:
    return {
        "x-amz-request-id": secrets.token_hex(8).upper(),
        "x-amz-id-2": base64.b64encode(secrets.token_bytes(54)).decode("ascii"),
    }


def _error_response(error: _S3Error) -> Response:
    ids = _request_ids()
    elements = {"Code": error.code, "Message": error.message, **error.extra}
    elements |= {"RequestId": ids["x-amz-request-id"], "HostId": ids["x-amz-id-2"]}
    inner = "".join(f"<{tag}>{_xml_text(value)}</{tag}>" for tag, value in elements.items())
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{inner}</Error>'
    return Response(
        body,
        status_code=error.status,
        media_type="application/xml",
        headers={**ids, "Server": "AmazonS3"},
    )


def _malformed() -> _S3Error:
    return _S3Error(
        400,
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
    )


def _missing_field(name: str) -> _S3Error:
    return _S3Error(
        400,
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  "
        "If it is specified, please check the order of the fields.",
        ArgumentName=name,
        ArgumentValue="",
    )


def _policy_failed(detail: str) -> _S3Error:
    return _S3Error(403, "AccessDenied", f"Invalid according to Policy: {detail}")


def _rfc3339(moment: float) -> str:
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amz_date(moment: float) -> str:
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y%m%dT%H%M%SZ")


def _lifecycle_expiration(tagging: str | None, created: datetime) -> str | None:
    """Return the ``x-amz-expiration`` value S3's lifecycle rule would give the object."""
    match = _TTL_RE.search(tagging or "")
    if match is None:
        return None
    days = int(match.group(1))
    # S3 rounds the expiry up to the next midnight UTC after creation + days.
    start = datetime(created.year, created.month, created.day, tzinfo=UTC)
    expiry = format_datetime(start + timedelta(days=days + 1), usegmt=True)
    rule = f"Archive file {days} day{'' if days == 1 else 's'} after creation"
    return f'expiry-date="{expiry}", rule-id="{rule}"'


class _Sink:
    """Where an upload's bytes go while it runs: memory, or a ``.part`` file in the directory."""

    def __init__(self, directory: Path | None) -> None:
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.path = None if directory is None else directory / f"{uuid.uuid4().hex}.part"
        self._memory: io.BytesIO | None = io.BytesIO() if directory is None else None
        self._file = None if self.path is None else self.path.open("xb")

    def write(self, pieces: list[bytes]) -> None:
        target = self._file if self._file is not None else self._memory
        assert target is not None  # noqa: S101 - closed sinks are never written
        for piece in pieces:
            self.md5.update(piece)
            target.write(piece)

    @property
    def on_disk(self) -> bool:
        return self._file is not None

    def commit(self) -> tuple[bytes | None, Path | None]:
        """Close the sink; return the bytes (memory) or the final file's path (directory)."""
        if self._memory is not None:
            data, self._memory = self._memory.getvalue(), None
            return data, None
        assert self._file is not None  # noqa: S101 - a sink is memory or a file
        assert self.path is not None  # noqa: S101
        self._file.close()
        self._file = None
        final = self.path.with_suffix(".blob")
        os.replace(self.path, final)
        self.path = None
        return None, final

    def discard(self) -> None:
        """Drop whatever was written (removes the ``.part`` file); safe to call twice."""
        self._memory = None
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


class _Upload:
    """The state of one presigned POST while its multipart body streams through the parser."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.fields: dict[str, tuple[str, str]] = {}  # lower-case name -> (name, value)
        self.pre_data = 0
        self.sink: _Sink | None = None
        self.file_part = False  # the current part is the file
        self.file_done = False
        self.file_type: str | None = None
        self.file_size = 0
        self.too_large = False
        self.ended = False
        self.min_size = 0
        self.max_size = storage.max_size
        self.pending: list[bytes] = []
        self.pending_size = 0
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._part_name: str | None = None
        self._part_value = bytearray()
        self._ignore_part = False

    def parser(self, boundary: bytes) -> MultipartParser:
        return MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    # -- parser callbacks (synchronous; errors propagate out of parser.write) --

    def _count_pre_data(self, amount: int) -> None:
        if self.file_done or self.sink is not None:
            return
        self.pre_data += amount
        if self.pre_data > _MAX_PRE_DATA:
            raise _S3Error(
                400,
                "MaxPostPreDataLengthExceededError",
                "Your POST request fields preceding the upload file were too large.",
                MaxPostPreDataLength=_MAX_PRE_DATA,
            )

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._part_name = None
        self._part_value = bytearray()
        self._ignore_part = False

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_pre_data(end - start)
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_pre_data(end - start)
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = bytes(self._header_name).decode("latin-1").strip().lower()
        self._headers[name] = bytes(self._header_value).strip()
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _on_headers_finished(self) -> None:
        disposition = self._headers.get("content-disposition", b"").decode("latin-1")
        kind, options = parse_options_header(disposition)
        if kind != b"form-data" or b"name" not in options:
            raise _malformed()
        name = options[b"name"].decode("utf-8", "replace")
        if self.too_large:  # draining after EntityTooLarge: only count the file's bytes
            self._ignore_part = True
            return
        if self.file_done:
            if name.lower() == "file":
                raise _S3Error(
                    400,
                    "InvalidArgument",
                    "POST requires exactly one file upload per request.",
                    ArgumentName="file",
                    ArgumentValue="2",
                )
            raise _S3Error(
                400,
                "InvalidArgument",
                f"Form field '{name}' comes after the file; "
                "the file must be the last part of the form.",
                ArgumentName=name,
            )
        self._part_name = name
        if name.lower() == "file":
            self.storage._authorize(self)
            content_type = self._headers.get("content-type")
            self.file_type = content_type.decode("utf-8", "replace") if content_type else None
            self.file_part = True
            self.sink = _Sink(self.storage.directory)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._ignore_part:
            return
        if not self.file_part:
            self._count_pre_data(end - start)
            self._part_value += data[start:end]
            return
        self.file_size += end - start
        if self.too_large:
            return
        if self.file_size > self.max_size:
            self.too_large = True  # stop storing; keep parsing only to learn the size
            self.pending.clear()
            self.pending_size = 0
            if self.sink is not None:
                self.sink.discard()
            return
        self.pending.append(data[start:end])
        self.pending_size += end - start

    def _on_part_end(self) -> None:
        if self._ignore_part:
            return
        if self.file_part:
            self.file_part = False
            self.file_done = True
            return
        assert self._part_name is not None  # noqa: S101 - set by _on_headers_finished
        lower = self._part_name.lower()
        if lower in self.fields:
            raise _S3Error(
                400,
                "InvalidArgument",
                f"Form field '{self._part_name}' appears more than once.",
                ArgumentName=self._part_name,
            )
        value = bytes(self._part_value).decode("utf-8", "replace")
        self.fields[lower] = (self._part_name, value)

    def _on_end(self) -> None:
        self.ended = True

    # -- asynchronous side --

    async def flush(self, *, force: bool = False) -> None:
        """Write the file bytes parsed so far to the sink (on a worker thread for files)."""
        if not self.pending or self.sink is None or self.too_large:
            return
        if not force and self.pending_size < _FLUSH_SIZE and not self.ended:
            return
        pieces, self.pending, self.pending_size = self.pending, [], 0
        if self.sink.on_disk:
            await anyio.to_thread.run_sync(self.sink.write, pieces)
        else:
            self.sink.write(pieces)

    def field(self, name: str) -> str | None:
        found = self.fields.get(name.lower())
        return None if found is None else found[1]

    def discard(self) -> None:
        self.pending.clear()
        if self.sink is not None:
            self.sink.discard()


class Storage:
    """An S3-like object store with presigned POST uploads and presigned GET downloads.

    Args:
        secret: Key material for the upload policy and download URL signatures.
        max_size: Largest object accepted (bytes); a policy's ``content-length-range`` can only
            lower it.
        directory: Keep each object in a file of this directory (constant memory per upload)
            instead of in memory. Created if missing.
        clock: Source of the current time (seconds since the epoch), for expiry checks.
    """

    def __init__(
        self,
        *,
        secret: bytes,
        max_size: int = 5 * 1024 * 1024,
        directory: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_size < 0:
            raise ValueError(f"max_size must be >= 0, not {max_size!r}")
        self.max_size = max_size
        self.directory = directory
        self.clock = clock
        self._upload_key = hmac.digest(secret, b"aiospaces-storage/upload", "sha256")
        self._download_key = hmac.digest(secret, b"aiospaces-storage/download", "sha256")
        self._objects: dict[str, _Entry] = {}
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    # -- signing --

    def _policy_signature(self, credential: str, policy: str) -> str:
        key = hmac.digest(self._upload_key, credential.encode("utf-8"), "sha256")
        return hmac.new(key, policy.encode("utf-8"), "sha256").hexdigest()

    def _download_signature(
        self, key: str, credential: str, amz_date: str, expires: str, signed_headers: str
    ) -> str:
        text = "\n".join((_ALGORITHM, credential, amz_date, expires, signed_headers, key))
        return hmac.new(self._download_key, text.encode("utf-8"), "sha256").hexdigest()

    def presign_upload(
        self, key: str, *, content_type: str, base_url: str, expires_in: float = 60.0
    ) -> dict[str, Any]:
        """Return a presigned POST for ``key``, shaped like PubNub's ``file_upload_request``.

        Args:
            key: The object key the upload must use.
            content_type: The ``Content-Type`` form field the policy requires.
            base_url: The emulator's origin, e.g. ``http://127.0.0.1:8000``.
            expires_in: Seconds the policy stays valid.

        Returns:
            ``{"url", "method", "expiration_date", "form_fields"}``; ``form_fields`` is a list
            of ``{"key": name, "value": value}`` in the order to send them, before the file.
        """
        now = self.clock()
        expiration = _rfc3339(now + expires_in)
        amz_date = _amz_date(now)
        credential = f"{_ACCESS_KEY_ID}/{amz_date[:8]}/{_REGION}/s3/aws4_request"
        policy_document = {
            "expiration": expiration,
            "conditions": [
                {"bucket": _BUCKET},
                ["eq", "$key", key],
                ["eq", "$Content-Type", content_type],
                ["content-length-range", 0, self.max_size],
                {"x-amz-credential": credential},
                {"x-amz-security-token": ""},
                {"x-amz-algorithm": _ALGORITHM},
                {"x-amz-date": amz_date},
                ["eq", "$tagging", _TAGGING],
            ],
        }
        policy = base64.b64encode(json.dumps(policy_document).encode("utf-8")).decode("ascii")
        fields = [
            ("tagging", _TAGGING),
            ("key", key),
            ("Content-Type", content_type),
            ("X-Amz-Credential", credential),
            ("X-Amz-Security-Token", ""),
            ("X-Amz-Algorithm", _ALGORITHM),
            ("X-Amz-Date", amz_date),
            ("Policy", policy),
            ("X-Amz-Signature", self._policy_signature(credential, policy)),
        ]
        return {
            "url": f"{base_url.rstrip('/')}/_storage/",
            "method": "POST",
            "expiration_date": expiration,
            "form_fields": [{"key": name, "value": value} for name, value in fields],
        }

    def presign_download(self, key: str, *, base_url: str, expires_in: int = 3900) -> str:
        """Return a presigned GET URL for ``key`` (whether or not it exists yet).

        Every query value is safe unencoded (no ``/``, ``+``, ``=`` or ``%``), because the
        official PubNub SDK re-sends the values of the URL it is given without re-encoding them.

        Args:
            key: The object key.
            base_url: The emulator's origin, e.g. ``http://127.0.0.1:8000``.
            expires_in: Seconds the URL stays valid (1 to 604800, like S3).
        """
        if not 1 <= expires_in <= _MAX_EXPIRES:
            raise ValueError(f"expires_in must be 1..{_MAX_EXPIRES} seconds, not {expires_in!r}")
        amz_date = _amz_date(self.clock())
        credential = f"{_ACCESS_KEY_ID}_{amz_date[:8]}_{_REGION}_s3_aws4_request"
        expires = str(int(expires_in))
        signature = self._download_signature(key, credential, amz_date, expires, "host")
        query = (
            f"X-Amz-Algorithm={_ALGORITHM}&X-Amz-Credential={credential}&X-Amz-Date={amz_date}"
            f"&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
        )
        return f"{base_url.rstrip('/')}/_storage/{quote(key, safe='/')}?{query}"

    # -- uploads --

    def _authorize(self, upload: _Upload) -> None:
        """Check the form fields against the signed policy; raise ``_S3Error`` if they fail."""
        for name in _REQUIRED_FIELDS:
            if upload.field(name) is None:
                raise _missing_field(name)
        signature = upload.field("X-Amz-Signature") or ""
        key = upload.field("key") or ""
        if not key:
            raise _S3Error(400, "InvalidArgument", "User key must have a length greater than 0.")
        if len(key.encode("utf-8")) > _MAX_KEY_BYTES:
            raise _S3Error(
                400, "KeyTooLongError", "Your key is too long", MaxSizeAllowed=_MAX_KEY_BYTES
            )
        algorithm = upload.field("X-Amz-Algorithm")
        if algorithm != _ALGORITHM:
            raise _S3Error(
                400,
                "InvalidArgument",
                f'X-Amz-Algorithm only supports "{_ALGORITHM}"',
                ArgumentName="X-Amz-Algorithm",
                ArgumentValue=algorithm,
            )
        credential = upload.field("X-Amz-Credential") or ""
        parts = credential.split("/")
        if len(parts) != 5 or parts[3:] != ["s3", "aws4_request"]:
            raise _S3Error(
                400,
                "InvalidArgument",
                "Error parsing the X-Amz-Credential parameter; "
                "expected <key>/<date>/<region>/s3/aws4_request.",
                ArgumentName="X-Amz-Credential",
                ArgumentValue=credential,
            )
        if parts[0] != _ACCESS_KEY_ID:
            raise _S3Error(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                AWSAccessKeyId=parts[0],
            )
        policy = upload.field("Policy") or ""
        expected = self._policy_signature(credential, policy)
        if not hmac.compare_digest(expected, signature.strip().lower()):
            raise _S3Error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.",
                AWSAccessKeyId=parts[0],
                StringToSign=policy,
                SignatureProvided=signature,
            )
        document = _decode_policy(policy)
        try:
            expiration = datetime.fromisoformat(document["expiration"]).timestamp()
        except (TypeError, ValueError) as exc:
            raise _S3Error(
                400, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value."
            ) from exc
        if self.clock() >= expiration:
            raise _policy_failed("Policy expired.")
        covered = self._check_conditions(upload, document["conditions"])
        for lower, (name, _) in upload.fields.items():
            exempt = lower in _UNCHECKED_FIELDS or lower.startswith("x-ignore-")
            if lower not in covered and not exempt:
                raise _policy_failed(f"Extra input fields: {name}")

    def _check_conditions(self, upload: _Upload, conditions: builtins.list[Any]) -> set[str]:
        """Evaluate the policy's conditions; return the (lower-case) field names they cover."""
        covered: set[str] = set()
        for condition in conditions:
            if isinstance(condition, dict) and len(condition) == 1:
                ((name, expected),) = condition.items()
                condition = ["eq", f"${name}", expected]
            if not isinstance(condition, list) or len(condition) != 3:
                raise _S3Error(
                    400, "InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Condition."
                )
            operator, subject, operand = condition
            if operator == "content-length-range":
                if not (isinstance(subject, int) and isinstance(operand, int)):
                    raise _S3Error(
                        400,
                        "InvalidPolicyDocument",
                        "Invalid Policy: Invalid content-length-range.",
                    )
                upload.min_size, upload.max_size = subject, min(operand, self.max_size)
                continue
            if not (isinstance(subject, str) and subject.startswith("$")):
                raise _S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid condition.")
            name = subject[1:].lower()
            if name == "bucket":
                actual: str | None = _BUCKET
            else:
                covered.add(name)
                actual = upload.field(name)
            value = actual or ""
            if operator == "eq":
                ok = value == operand
            elif operator == "starts-with":
                ok = isinstance(operand, str) and value.startswith(operand)
            else:
                raise _S3Error(
                    400, "InvalidPolicyDocument", f"Invalid Policy: Unknown operator {operator!r}."
                )
            if not ok:
                raise _policy_failed(f"Policy Condition failed: {json.dumps(condition)}")
        return covered

    async def handle_upload(self, request: Request) -> Response:
        """Answer ``POST /_storage/``: a presigned POST (multipart form, file last).

        The body is parsed as it streams in; the file's bytes are written to the store as they
        arrive and dropped if anything fails. Success is ``204 No Content`` with S3's headers
        (``ETag``, ``Location``, ``x-amz-expiration``, ...); failures are S3 XML errors.
        """
        error: _S3Error | None = None
        content_type = request.headers.get("content-type", "")
        kind, options = parse_options_header(content_type)
        upload = _Upload(self)
        parser: MultipartParser | None = None
        if kind != b"multipart/form-data":
            # What S3 answers to a form posted as application/x-www-form-urlencoded.
            error = _S3Error(
                400,
                "AuthorizationQueryParametersError",
                'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"',
            )
        else:
            try:
                parser = upload.parser(options[b"boundary"])
            except (KeyError, FormParserError):
                error = _malformed()
        # Read at most this much of a failed request before answering (and letting the server
        # close the connection): enough that ordinary clients see the answer, not a reset.
        drain_limit = max(4 * self.max_size, 64 * 1024 * 1024)
        received = 0
        try:
            async with contextlib.aclosing(request.stream()) as stream:
                async for chunk in stream:
                    received += len(chunk)
                    if error is not None or parser is None:
                        if received > drain_limit:
                            break
                        continue
                    try:
                        parser.write(chunk)
                        await upload.flush()
                    except _S3Error as exc:
                        error = exc
                        upload.discard()
                    except FormParserError:
                        error = _malformed()
                        upload.discard()
                    if upload.too_large and received > drain_limit:
                        break
            if error is None and not upload.too_large:
                await upload.flush(force=True)
        except ClientDisconnect:
            upload.discard()
            return _error_response(
                _S3Error(400, "IncompleteBody", "The request body terminated unexpectedly.")
            )
        except BaseException:
            upload.discard()
            raise
        if upload.too_large:
            proposed = upload.file_size if upload.ended else max(upload.file_size, received)
            upload.discard()
            return _error_response(
                _S3Error(
                    400,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                    ProposedSize=proposed,
                    MaxSizeAllowed=upload.max_size,
                )
            )
        if error is None:
            error = self._finish_check(upload)
        if error is not None:
            upload.discard()
            return _error_response(error)
        return self._commit(upload, request)

    def _finish_check(self, upload: _Upload) -> _S3Error | None:
        if not upload.ended:
            return _malformed()
        if upload.sink is None:
            return _S3Error(
                400,
                "InvalidArgument",
                "POST requires exactly one file upload per request.",
                ArgumentName="file",
                ArgumentValue="0",
            )
        if upload.file_size < upload.min_size:
            return _S3Error(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=upload.file_size,
                MinSizeAllowed=upload.min_size,
            )
        return None

    def _commit(self, upload: _Upload, request: Request) -> Response:
        assert upload.sink is not None  # noqa: S101 - checked by _finish_check
        key = upload.field("key") or ""
        created = datetime.fromtimestamp(self.clock(), UTC)
        etag = upload.sink.md5.hexdigest()
        data, path = upload.sink.commit()
        content_type = upload.field("Content-Type") or upload.file_type or _DEFAULT_CONTENT_TYPE
        obj = StoredObject(
            key=key, size=upload.file_size, content_type=content_type, etag=etag, created=created
        )
        expiration = _lifecycle_expiration(upload.field("tagging"), created)
        self._replace(key, _Entry(obj=obj, data=data, path=path, expiration=expiration))
        base = f"{request.url.scheme}://{request.url.netloc}"
        headers = {
            **_request_ids(),
            "ETag": f'"{etag}"',
            "Location": f"{base}/_storage/{quote(key, safe='')}",
            "x-amz-server-side-encryption": "AES256",
            "Server": "AmazonS3",
        }
        if expiration is not None:
            headers["x-amz-expiration"] = expiration
        return Response(status_code=204, headers=headers)

    def _replace(self, key: str, entry: _Entry | None) -> bool:
        old = self._objects.pop(key, None)
        if entry is not None:
            self._objects[key] = entry
        if old is not None and old.path is not None:
            old.path.unlink(missing_ok=True)  # open downloads keep reading the old inode
        return old is not None

    # -- downloads --

    def _verify_download(self, key: str, query: Mapping[str, str]) -> None:
        present = [name for name in _DOWNLOAD_PARAMS if name in query]
        if not present:
            raise _S3Error(403, "AccessDenied", "Access Denied")
        if len(present) != len(_DOWNLOAD_PARAMS):
            raise _S3Error(
                403,
                "AccessDenied",
                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                "and X-Amz-Expires parameters.",
            )
        if query["X-Amz-Algorithm"] != _ALGORITHM:
            raise _S3Error(
                400,
                "AuthorizationQueryParametersError",
                'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"',
            )
        expires = query["X-Amz-Expires"]
        if not expires.isdigit() or not 1 <= int(expires) <= _MAX_EXPIRES:
            raise _S3Error(
                400,
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be a number of seconds from 1 to 604800",
            )
        try:
            signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        except ValueError as exc:
            raise _S3Error(
                400,
                "AuthorizationQueryParametersError",
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            ) from exc
        signature = query["X-Amz-Signature"]
        expected = self._download_signature(
            key,
            query["X-Amz-Credential"],
            query["X-Amz-Date"],
            expires,
            query["X-Amz-SignedHeaders"],
        )
        if not hmac.compare_digest(expected, signature.lower()):
            raise _S3Error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.",
                SignatureProvided=signature,
            )
        expiry = signed_at.replace(tzinfo=UTC) + timedelta(seconds=int(expires))
        now = datetime.fromtimestamp(self.clock(), UTC)
        if now > expiry:
            raise _S3Error(
                403,
                "AccessDenied",
                "Request has expired",
                **{"X-Amz-Expires": expires},
                Expires=expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
                ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )

    async def handle_download(self, request: Request) -> Response:
        """Answer ``GET /_storage/{key}``: check the presigned URL, then stream the bytes.

        The body streams in chunks of [CHUNK_SIZE][aiospaces.emulator.storage.CHUNK_SIZE]
        with ``Content-Length``, ``Content-Type`` and ``ETag``. A bad or missing signature
        gives 403, an expired URL ``403 AccessDenied``, an unknown key ``404 NoSuchKey``.
        """
        key: str = request.path_params["key"]
        try:
            self._verify_download(key, request.query_params)
        except _S3Error as exc:
            return _error_response(exc)
        entry = self._objects.get(key)
        if entry is None:
            return _error_response(
                _S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
            )
        obj = entry.obj
        headers = {
            **_request_ids(),
            "Content-Length": str(obj.size),
            "Content-Type": obj.content_type,
            "ETag": f'"{obj.etag}"',
            "Last-Modified": format_datetime(obj.created, usegmt=True),
            "Server": "AmazonS3",
        }
        if entry.expiration is not None:
            headers["x-amz-expiration"] = entry.expiration
        if request.method == "HEAD":
            return Response(headers=headers)
        return StreamingResponse(_chunks(entry), headers=headers)

    # -- direct access --

    def get(self, key: str) -> StoredObject | None:
        """Return the object stored under ``key``, or None."""
        entry = self._objects.get(key)
        return None if entry is None else entry.obj

    def delete(self, key: str) -> bool:
        """Delete the object under ``key``; return whether there was one."""
        return self._replace(key, None)

    def clear(self) -> None:
        """Delete every object (and its file)."""
        for key in builtins.list(self._objects):
            self._replace(key, None)

    def routes(self) -> builtins.list[BaseRoute]:
        """Return the routes: ``POST /_storage/`` (upload) and ``GET /_storage/{key}``."""
        return [
            Route("/_storage/", self.handle_upload, methods=["POST"]),
            Route("/_storage/{key:path}", self.handle_download, methods=["GET"]),
        ]

    def list(self, prefix: str = "") -> builtins.list[StoredObject]:
        """Return the objects whose key starts with ``prefix``, sorted by key."""
        return [self._objects[key].obj for key in sorted(self._objects) if key.startswith(prefix)]


def _decode_policy(policy: str) -> dict[str, Any]:
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise _S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from exc
    if not (
        isinstance(document, dict)
        and isinstance(document.get("expiration"), str)
        and isinstance(document.get("conditions"), list)
    ):
        raise _S3Error(
            400, "InvalidPolicyDocument", "Invalid Policy: Policy missing expiration or conditions."
        )
    return document


async def _chunks(entry: _Entry) -> AsyncIterator[bytes]:
    """Yield an object's bytes in chunks of ``CHUNK_SIZE``."""
    if entry.data is not None:
        view = memoryview(entry.data)
        for start in range(0, len(view), CHUNK_SIZE):
            yield bytes(view[start : start + CHUNK_SIZE])
        return
    assert entry.path is not None  # noqa: S101 - an entry has data or a path
    async with await anyio.open_file(entry.path, "rb") as file:
        while chunk := await file.read(CHUNK_SIZE):
            yield chunk
