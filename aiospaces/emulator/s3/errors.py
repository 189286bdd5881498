"""S3's error answers: the error exception, its XML document and the request-id headers.

Every failure of the storage is an [S3Error][aiospaces.emulator.s3.errors.S3Error] carrying
S3's status, ``Code``, ``Message`` and extra elements;
[error_response][aiospaces.emulator.s3.errors.error_response] turns it into the XML document S3
answers with.
"""

from __future__ import annotations

import base64
import secrets

from starlette.responses import Response

__all__ = ["S3Error", "algorithm_error", "error_response", "request_ids"]


class S3Error(Exception):
    """An S3 error answer: status, ``Code``, ``Message`` and extra elements.

    Args:
        status: The HTTP status to answer with.
        code: S3's error code, e.g. ``AccessDenied``.
        message: The human-readable ``Message``.
        **extra: More elements of the error document (values are turned into strings).
    """

    def __init__(self, status: int, code: str, message: str, **extra: object) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = {name: str(value) for name, value in extra.items()}


def algorithm_error() -> S3Error:
    """Return what S3 answers to a query-style ``X-Amz-Algorithm`` it does not support."""
    return S3Error(
        400,
        "AuthorizationQueryParametersError",
        'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"',
    )


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def request_ids() -> dict[str, str]:
    """Return fresh ``x-amz-request-id`` and ``x-amz-id-2`` headers, as S3 sends on every answer."""
    return {
        "x-amz-request-id": secrets.token_hex(8).upper(),
        "x-amz-id-2": base64.b64encode(secrets.token_bytes(54)).decode("ascii"),
    }


def error_response(error: S3Error) -> Response:
    """Return S3's XML error document for ``error``, with its status and request ids."""
    ids = request_ids()
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
