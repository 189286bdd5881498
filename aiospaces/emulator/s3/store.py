"""S3-style object storage for the emulator: presigned POST uploads and presigned GET downloads.

PubNub hands its clients an S3 *presigned POST* (a URL plus form fields with a signed policy)
for file uploads, and answers "get file URL" with a presigned S3 GET.
[Storage][aiospaces.emulator.s3.store.Storage] plays the S3 side on the emulator's own origin,
under ``/_storage``:

```python
storage = Storage(secret=secrets.token_bytes(32))
upload = storage.presign_upload(key, content_type="text/plain", base_url="http://127.0.0.1:8000")
# POST upload["url"] with upload["form_fields"] in order, then the part named "file"
url = storage.presign_download(key, base_url="http://127.0.0.1:8000")   # GET it for the bytes
```

Uploads are parsed as a stream (python-multipart, fed from ``request.stream()``, see
[aiospaces.emulator.s3.post][]): the file's bytes go straight to the object store as they
arrive, either memory or, with ``directory``, a file there, so the server's memory stays flat
whatever the upload's size. Failures answer with S3's XML error documents and status codes
(``SignatureDoesNotMatch``, ``AccessDenied``, ``EntityTooLarge``, ...) and leave nothing stored.

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
import builtins
import hmac
import json
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import anyio
import attrs
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from aiospaces.emulator.s3.errors import S3Error, error_response, request_ids
from aiospaces.emulator.s3.policy import (
    ACCESS_KEY_ID,
    ALGORITHM,
    BUCKET,
    MAX_EXPIRES,
    check_download,
)
from aiospaces.emulator.s3.post import Upload

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from starlette.requests import Request
    from starlette.routing import BaseRoute

__all__ = ["CHUNK_SIZE", "DEFAULT_MAX_SIZE", "Storage", "StoredObject"]

DEFAULT_MAX_SIZE = 5 * 1024 * 1024
"""PubNub's file size limit: 5 MiB."""

CHUNK_SIZE = 64 * 1024
"""Size of the chunks a download is streamed in (bytes)."""

_REGION = "us-east-1"
_TAGGING = (
    "<Tagging><TagSet><Tag><Key>ObjectTTLInDays</Key><Value>1</Value></Tag></TagSet></Tagging>"
)
_TTL_RE = re.compile(r"<Key>ObjectTTLInDays</Key>\s*<Value>([0-9]{1,5})</Value>")
_DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 stores when no type is given
_UPLOAD_FILE = re.compile(r"[0-9a-f]{32}\.(?:part|blob)")  # how Sink names its files


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

    persistent: ClassVar[tuple[str, ...]] = ("_upload_key", "_download_key")
    """What a state file keeps: the signing keys (URLs handed out stay valid) ..."""
    persistent_by_key: ClassVar[tuple[str, ...]] = ("_objects",)
    """... and each object's metadata, one row per object."""

    def __init__(
        self,
        *,
        secret: bytes,
        max_size: int = DEFAULT_MAX_SIZE,
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
            with tempfile.TemporaryFile(dir=directory):  # fails now, not at the first upload
                pass

    # -- signing --

    def _policy_signature(self, credential: str, policy: str) -> str:
        key = hmac.digest(self._upload_key, credential.encode("utf-8"), "sha256")
        return hmac.new(key, policy.encode("utf-8"), "sha256").hexdigest()

    def _download_signature(
        self, key: str, credential: str, amz_date: str, expires: str, signed_headers: str
    ) -> str:
        text = "\n".join((ALGORITHM, credential, amz_date, expires, signed_headers, key))
        return hmac.new(self._download_key, text.encode("utf-8"), "sha256").hexdigest()

    def presign_upload(
        self, key: str, *, content_type: str, base_url: str, expires_in: float = 60.0
    ) -> dict[str, Any]:
        """Return a presigned POST for ``key``, shaped like PubNub's ``file_upload_request``.

        Args:
            key: The object key the upload must use.
            content_type: The ``Content-Type`` form field handed out (the policy, like
                PubNub's, accepts any: ``["starts-with", "$Content-Type", ""]``).
            base_url: The emulator's origin, e.g. ``http://127.0.0.1:8000``.
            expires_in: Seconds the policy stays valid.

        Returns:
            ``{"url", "method", "expiration_date", "form_fields"}``; ``form_fields`` is a list
            of ``{"key": name, "value": value}`` in the order to send them, before the file.
        """
        now = self.clock()
        expiration = _rfc3339(now + expires_in)
        amz_date = _amz_date(now + expires_in)  # PubNub dates the policy at its expiry
        credential = f"{ACCESS_KEY_ID}/{amz_date[:8]}/{_REGION}/s3/aws4_request"
        policy_document = {  # the conditions in PubNub's order
            "expiration": expiration,
            "conditions": [
                {"bucket": BUCKET},
                ["eq", "$tagging", _TAGGING],
                ["eq", "$key", key],
                ["content-length-range", 0, self.max_size],
                ["starts-with", "$Content-Type", ""],  # any type: the field is a suggestion
                {"x-amz-credential": credential},
                {"x-amz-security-token": ""},
                {"x-amz-algorithm": ALGORITHM},
                {"x-amz-date": amz_date},
            ],
        }
        policy = base64.b64encode(json.dumps(policy_document).encode("utf-8")).decode("ascii")
        fields = [
            ("tagging", _TAGGING),
            ("key", key),
            ("Content-Type", content_type),
            ("X-Amz-Credential", credential),
            ("X-Amz-Security-Token", ""),
            ("X-Amz-Algorithm", ALGORITHM),
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

    def presign_download(
        self,
        key: str,
        *,
        base_url: str,
        expires_in: int = 3900,
        signed_at: float | None = None,
    ) -> str:
        """Return a presigned GET URL for ``key`` (whether or not it exists yet).

        Every query value is safe unencoded (no ``/``, ``+``, ``=`` or ``%``), because the
        official PubNub SDK re-sends the values of the URL it is given without re-encoding them.

        Args:
            key: The object key.
            base_url: The emulator's origin, e.g. ``http://127.0.0.1:8000``.
            expires_in: Seconds the URL stays valid from ``signed_at`` (1 to 604800, like S3).
            signed_at: The signing time (seconds since the epoch; default now): the URL's
                ``X-Amz-Date``.
        """
        if not 1 <= expires_in <= MAX_EXPIRES:
            raise ValueError(f"expires_in must be 1..{MAX_EXPIRES} seconds, not {expires_in!r}")
        amz_date = _amz_date(self.clock() if signed_at is None else signed_at)
        credential = f"{ACCESS_KEY_ID}_{amz_date[:8]}_{_REGION}_s3_aws4_request"
        expires = str(int(expires_in))
        signature = self._download_signature(key, credential, amz_date, expires, "host")
        query = (
            f"X-Amz-Algorithm={ALGORITHM}&X-Amz-Credential={credential}&X-Amz-Date={amz_date}"
            f"&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
        )
        return f"{base_url.rstrip('/')}/_storage/{quote(key, safe='/')}?{query}"

    # -- uploads --

    async def handle_upload(self, request: Request) -> Response:
        """Answer ``POST /_storage/``: a presigned POST (multipart form, file last).

        The body is parsed as it streams in; the file's bytes are written to the store as they
        arrive and dropped if anything fails. Success is ``204 No Content`` with S3's headers
        (``ETag``, ``Location``, ``x-amz-expiration``, ...); failures are S3 XML errors.
        """
        upload = Upload(
            max_size=self.max_size,
            directory=self.directory,
            sign=self._policy_signature,
            clock=self.clock,
        )
        error = await upload.receive(request)
        if error is not None:
            return error_response(error)
        return self._commit(upload, request)

    def _commit(self, upload: Upload, request: Request) -> Response:
        assert upload.sink is not None  # noqa: S101 - checked by Upload.receive
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
            **request_ids(),
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

    async def handle_download(self, request: Request) -> Response:
        """Answer ``GET /_storage/{key}``: check the presigned URL, then stream the bytes.

        The body streams in chunks of [CHUNK_SIZE][aiospaces.emulator.s3.store.CHUNK_SIZE]
        with ``Content-Length``, ``Content-Type`` and ``ETag``. A bad or missing signature
        gives 403, an expired URL ``403 AccessDenied``, an unknown key ``404 NoSuchKey``.
        """
        key: str = request.path_params["key"]
        try:
            check_download(
                key, request.query_params, sign=self._download_signature, clock=self.clock
            )
        except S3Error as exc:
            return error_response(exc)
        entry = self._objects.get(key)
        if entry is None:
            return error_response(
                S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
            )
        obj = entry.obj
        headers = {
            **request_ids(),
            "Content-Length": str(obj.size),
            "Content-Type": obj.content_type,
            "ETag": f'"{obj.etag}"',
            "Last-Modified": format_datetime(obj.created, usegmt=True),
            "x-amz-server-side-encryption": "AES256",
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

    def sweep(self) -> int:
        """Delete the directory's upload files that no object refers to; return how many.

        An upload interrupted by a crash leaves a ``.part`` file, and one whose metadata was
        never committed (or that the emulator forgot: a restart without a state file) a
        ``.blob``. Only files named as the store names them are touched.
        """
        if self.directory is None:
            return 0
        kept = {entry.path.name for entry in self._objects.values() if entry.path is not None}
        swept = 0
        for path in self.directory.iterdir():
            if _UPLOAD_FILE.fullmatch(path.name) and path.name not in kept:
                path.unlink(missing_ok=True)
                swept += 1
        return swept

    def restored(self) -> None:
        """Find the loaded objects' files in ``directory`` (it may have moved since)."""
        if self.directory is None:
            return
        for key, entry in self._objects.items():
            if entry.path is not None and entry.path.parent != self.directory:
                self._objects[key] = attrs.evolve(entry, path=self.directory / entry.path.name)

    def routes(self) -> builtins.list[BaseRoute]:
        """Return the routes: ``POST /_storage/`` (upload) and ``GET /_storage/{key}``."""
        return [
            Route("/_storage/", self.handle_upload, methods=["POST"]),
            Route("/_storage/{key:path}", self.handle_download, methods=["GET"]),
        ]

    def list(self, prefix: str = "") -> builtins.list[StoredObject]:
        """Return the objects whose key starts with ``prefix``, sorted by key."""
        return [self._objects[key].obj for key in sorted(self._objects) if key.startswith(prefix)]


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
