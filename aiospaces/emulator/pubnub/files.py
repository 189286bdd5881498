"""PubNub file sharing: upload URLs, publish-file, list, get URL (307), download, delete.

Bytes live in the emulator's [Storage][aiospaces.emulator.s3.store.Storage] under the key
``{sub_key}/{channel hash}/{file id}/{file name}``, uploaded through the S3-style presigned POST
that ``generate-upload-url`` hands out, exactly as PubNub's real flow does.

Wire facts from production recordings: the channel hash is the unpadded base64url SHA-256 of
the channel name; the upload's ``Content-Type`` field follows the file name's extension
([upload_content_type][aiospaces.emulator.pubnub.files.upload_content_type]); publish-file
answers ``Cache-Control: no-cache``; a download URL is signed at the start of the hour for
[DOWNLOAD_EXPIRES][aiospaces.emulator.pubnub.files.DOWNLOAD_EXPIRES] seconds, and the 307's
``max-age`` runs out a minute before it does.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import uuid
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiospaces.emulator._http import answering_errors, json_object
from aiospaces.emulator._parse import ascii_int, json_value
from aiospaces.emulator.pubnub.publish import publish_options
from aiospaces.emulator.pubnub.state import MAX_LIMIT, PubNubError
from aiospaces.emulator.pubnub.stream import FILE

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from aiospaces.emulator.pubnub.state import Keysets
    from aiospaces.emulator.pubnub.stream import Streams
    from aiospaces.emulator.s3.store import Storage

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "DOWNLOAD_EXPIRES",
    "UPLOAD_EXPIRES",
    "file_key",
    "file_routes",
    "upload_content_type",
]

DEFAULT_CONTENT_TYPE = "binary/octet-stream"
"""The upload's ``Content-Type`` field for a file name of no known extension (recorded)."""
DOWNLOAD_EXPIRES = 3900
"""``X-Amz-Expires`` of a download URL: 65 minutes from the start of the hour (recorded)."""

UPLOAD_EXPIRES = 60.0
"""Seconds an upload form stays valid: ``expiration_date`` is a minute after the answer
(recorded)."""

_TYPES = mimetypes.MimeTypes(filenames=())  # the built-in table only, the same on every host


def upload_content_type(name: str) -> str:
    """Return the ``Content-Type`` form field PubNub hands out for a file called ``name``.

    The type follows the name's extension, a text type with ``charset=utf-8``
    (``king_arthur.txt`` gives ``text/plain; charset=utf-8``); a name with no known
    extension gives ``binary/octet-stream`` (``file_5mb`` does), as recorded in production.
    """
    guessed, _ = _TYPES.guess_type(name, strict=False)
    if guessed is None:
        return DEFAULT_CONTENT_TYPE
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def file_key(sub: str, channel: str, file_id: str = "", name: str = "") -> str:
    """Return the storage key (or, without id and name, the channel's key prefix).

    The channel's segment is the unpadded base64url SHA-256 of its name, as in production
    (``files_asyncio_ch`` gives ``0MR1-z2w0nSJYxwEy74p5QjV85TmgNBKPrV71t55NT0``).
    """
    digest = hashlib.sha256(channel.encode()).digest()
    prefix = f"{sub}/{base64.urlsafe_b64encode(digest).decode().rstrip('=')}/"
    return prefix + f"{file_id}/{name}" if file_id else prefix


def _files_error(status: int, message: str) -> PubNubError:
    return PubNubError(status, message, source="files")


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def file_routes(
    keysets: Keysets, storage: Storage, streams: Streams, upload_expires: float = UPLOAD_EXPIRES
) -> list[BaseRoute]:
    """Return the ``/v1/files`` routes of the PubNub emulation, storing files in ``storage``.

    A published file message enters the keyset's message stream in ``streams`` with message
    type 4 (so subscribers get a file event and history keeps it unless ``store=0``). An
    upload form stays valid ``upload_expires`` seconds.
    """

    async def generate_upload_url(request: Request) -> Response:
        sub, channel = request.path_params["sub"], request.path_params["channel"]
        await keysets.admit(request)
        no_name = _files_error(400, "Invalid request body: 'name' must be a file name.")
        name = json_object(await request.body() or b"null", not_json=no_name).get("name")
        if not isinstance(name, str) or not name or "/" in name:
            raise no_name
        file_id = str(uuid.uuid4())
        upload = storage.presign_upload(
            file_key(sub, channel, file_id, name),
            content_type=upload_content_type(name),
            base_url=_base_url(request),
            expires_in=upload_expires,
        )
        data = {"id": file_id, "name": name}
        return JSONResponse({"status": 200, "data": data, "file_upload_request": upload})

    async def publish_file(request: Request) -> Response:
        params = request.path_params
        keyset = await keysets.admit(request, publish_key=params["pub"])
        try:
            message = json_value(params["payload"])
        except ValueError as exc:
            raise _files_error(400, "Invalid message: not JSON.") from exc
        if not isinstance(message, str) and not (
            isinstance(message, dict)
            and isinstance(message.get("file"), dict)
            and {"id", "name"} <= message["file"].keys()
        ):
            raise _files_error(400, "Invalid message: 'file' must carry 'id' and 'name'.")
        options = publish_options(request.query_params, lambda m: _files_error(400, m + "."))
        timetoken = streams.publish(keyset.subscribe_key, params["channel"], message, options, FILE)
        return Response(
            f'[1,"Sent","{timetoken}"]',
            media_type='text/javascript; charset="UTF-8"',
            headers={"Cache-Control": "no-cache"},
        )

    async def list_files(request: Request) -> Response:
        sub, channel = request.path_params["sub"], request.path_params["channel"]
        await keysets.admit(request)
        limit = ascii_int(request.query_params.get("limit", str(MAX_LIMIT)))
        if limit is None or not 1 <= limit <= MAX_LIMIT:
            raise _files_error(400, f"limit must be an integer from 1 to {MAX_LIMIT}.")
        after = _decode_next(request.query_params.get("next"))
        prefix = file_key(sub, channel)
        items: list[dict[str, str | int]] = []
        for stored in storage.list(prefix):
            file_id, _, name = stored.key[len(prefix) :].partition("/")
            if after is None or file_id > after:
                created = stored.created.strftime("%Y-%m-%dT%H:%M:%SZ")
                items.append({"name": name, "id": file_id, "size": stored.size, "created": created})
        items.sort(key=lambda item: str(item["id"]))
        page = items[:limit]
        more = len(items) > len(page)
        token = _encode_next(str(page[-1]["id"])) if more else None
        return JSONResponse({"status": 200, "data": page, "next": token, "count": len(page)})

    async def file_url(request: Request) -> Response:
        key = await _existing_key(request)
        now = storage.clock()
        signed_at = now - now % 3600  # the same URL all hour, so that it can be cached
        location = storage.presign_download(
            key, base_url=_base_url(request), expires_in=DOWNLOAD_EXPIRES, signed_at=signed_at
        )
        max_age = int(signed_at + DOWNLOAD_EXPIRES - 60 - now)  # a minute before it expires
        headers = {"Location": location, "Cache-Control": f"public, max-age={max_age}, immutable"}
        return Response(status_code=307, headers=headers)

    async def delete_file(request: Request) -> Response:
        storage.delete(await _existing_key(request))
        return JSONResponse({"status": 200})

    async def _existing_key(request: Request) -> str:
        params = request.path_params
        await keysets.admit(request)
        key = file_key(params["sub"], params["channel"], params["file_id"], params["name"])
        if storage.get(key) is None:
            raise _files_error(404, "File not found.")
        return key

    channel_base = "/v1/files/{sub}/channels/{channel}"
    one = channel_base + "/files/{file_id}/{name}"
    publish = "/v1/files/publish-file/{pub}/{sub}/0/{channel}/0/{payload:path}"
    return [
        Route(
            channel_base + "/generate-upload-url",
            answering_errors(generate_upload_url),
            methods=["POST"],
        ),
        Route(publish, answering_errors(publish_file), methods=["GET"]),
        Route(channel_base + "/files", answering_errors(list_files), methods=["GET"]),
        Route(one, answering_errors(file_url), methods=["GET"]),
        Route(one, answering_errors(delete_file), methods=["DELETE"]),
    ]


def _encode_next(file_id: str) -> str:
    return base64.urlsafe_b64encode(file_id.encode()).decode().rstrip("=")


def _decode_next(token: str | None) -> str | None:
    if not token:
        return None
    try:  # a non-ASCII token is a ValueError, a bad alphabet a binascii.Error (also one)
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except ValueError as exc:
        raise _files_error(400, "Invalid 'next' token.") from exc
