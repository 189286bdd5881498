"""The multipart body's own errors: arguments that go together, a transform of the wrong size."""

from __future__ import annotations

import pytest

from aiospaces.core.errors import ValidationError
from aiospaces.core.multipart import MultipartUpload
from aiospaces.core.sources import UploadSource


class Doubler:
    """A transform whose output is twice its input."""

    def update(self, data: bytes) -> bytes:
        return data * 2

    def finalize(self) -> bytes:
        return b""


async def body_of(upload: MultipartUpload) -> bytes:
    return b"".join([chunk async for chunk in upload.stream()])


async def test_a_transform_and_its_size_go_together() -> None:
    source = await UploadSource.open(b"abc")
    for arguments in ({"transform": Doubler}, {"transformed_size": lambda n: n}):
        with pytest.raises(TypeError) as caught:
            MultipartUpload([], source, file_name="a", **arguments)
        assert str(caught.value) == "transform and transformed_size go together"


async def test_a_transform_of_the_announced_size_streams() -> None:
    source = await UploadSource.open(b"abc")
    upload = MultipartUpload(
        [], source, file_name="a", transform=Doubler, transformed_size=lambda n: 2 * n
    )
    assert upload.file_size == 6
    body = await body_of(upload)
    assert len(body) == upload.content_length
    assert b"\r\n\r\nabcabc\r\n--" in body


async def test_a_transform_longer_than_announced_is_refused() -> None:
    reports: list[int] = []
    source = await UploadSource.open(b"abc")
    upload = MultipartUpload(
        [], source, file_name="a", transform=Doubler, transformed_size=lambda n: n,
        on_progress=reports.append,
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        await body_of(upload)
    assert str(caught.value) == "the file part had 6 bytes, not the 3 announced"
    assert sum(reports) == 3  # the file's 3 bytes did go out; a retry would take them back
    with pytest.raises(ValidationError):
        await body_of(upload)
    assert sum(reports) == 3
