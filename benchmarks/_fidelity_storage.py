"""The S3 side of ``fidelity_audit.py``: recorded upload bodies, rebuilt ones, XML errors.

A recorded presigned POST carries production's policy and signature, which the emulator's
storage rightly refuses. [rebuild_upload][] keeps what the client chose (the field order, the
form's encoding, the file part's name, type and bytes) and puts in the values of the form the
emulator handed out for the same upload.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["RecordedUpload", "parse_upload", "rebuild_upload", "xml_error"]


@dataclass
class RecordedUpload:
    """What a recorded presigned POST sent (``fields`` in order, the file part last)."""

    encoding: str  # "multipart", "urlencoded" or "unrecorded"
    fields: list[tuple[str, str]] = field(default_factory=list)
    file_name: str | None = None
    file_type: str | None = None
    file_bytes: bytes | None = None

    def field(self, name: str) -> str | None:
        """Return the (last non-empty) value sent for ``name``."""
        values = [v for k, v in self.fields if k == name and v]
        return values[-1] if values else None


def parse_upload(content_type: str, body: bytes | None) -> RecordedUpload:
    """Parse a recorded upload body (multipart or, as one SDK sent it, URL-encoded)."""
    if body is None or body.startswith(b"<unrecorded"):
        return RecordedUpload("unrecorded")
    if content_type.startswith("application/x-www-form-urlencoded"):
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return RecordedUpload("urlencoded", fields=pairs)
    if not content_type.startswith("multipart/form-data"):
        return RecordedUpload("unrecorded")
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    upload = RecordedUpload("multipart")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name == "file":
            upload.file_name = part.get_filename()
            upload.file_type = part.get("content-type")
            upload.file_bytes = data
        elif isinstance(name, str):
            upload.fields.append((name, data.decode("utf-8", "replace")))
    return upload


def rebuild_upload(
    recorded: RecordedUpload, form: list[dict[str, Any]], stand_in: bytes
) -> tuple[str, bytes]:
    """Return ``(content type, body)`` of the recorded upload with the emulator's form values.

    Args:
        recorded: The recorded upload.
        form: The ``form_fields`` the emulator handed out for this upload.
        stand_in: The file's bytes when the recording did not keep them.
    """
    ours = {str(f["key"]): str(f["value"]) for f in form}
    if recorded.encoding == "urlencoded":
        pairs = [(k, ours.get(k, v) if v else v) for k, v in recorded.fields]
        return "application/x-www-form-urlencoded", urlencode(pairs).encode()
    names = [k for k, _ in recorded.fields] or list(ours)
    boundary = secrets.token_hex(16)
    chunks = []
    for name in names:
        value = ours.get(name, recorded.field(name) or "")
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    file_name = recorded.file_name or "file"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"'
    if recorded.file_type:
        head += f"\r\nContent-Type: {recorded.file_type}"
    data = recorded.file_bytes if recorded.file_bytes is not None else stand_in
    body = "".join(chunks).encode() + head.encode() + b"\r\n\r\n" + data
    body += f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


_ELEMENT = re.compile(r"<([A-Za-z]+)>([^<]*)</\1>")


def xml_error(body: bytes | None) -> dict[str, str] | None:
    """Return the elements of an S3 XML error document, or None if it is not one."""
    text = (body or b"").decode("utf-8", "replace")
    if "<Error>" not in text:
        return None
    return dict(_ELEMENT.findall(text))
