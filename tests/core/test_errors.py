from __future__ import annotations

import pickle

import httpx
import pytest
import respx

import aiospaces
from tests.core.toy import ToyClient

BASE = "https://toy.example"


@respx.mock
async def test_non_json_error_uses_text_or_reason() -> None:
    respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(404, text="no such thing"))
    respx.get(f"{BASE}/things/b").mock(return_value=httpx.Response(403))
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.NotFoundError, match="no such thing"):
            await toy.get_thing(thing_id="a")
        with pytest.raises(aiospaces.PermissionDeniedError, match="Forbidden") as caught:
            await toy.get_thing(thing_id="b")
    assert caught.value.request_id is None


def test_api_errors_pickle_with_their_fields() -> None:
    error = aiospaces.NotFoundError("gone", status_code=404, vendor="mux", request_id="r")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is aiospaces.NotFoundError
    assert (copy.status_code, copy.vendor, copy.request_id, str(copy)) == (
        404,
        "mux",
        "r",
        str(error),
    )


def test_other_errors_carry_their_context() -> None:
    error = aiospaces.FileUploadError("publish failed", step="publish", file_id="f1", file_name="a")
    assert (error.step, error.file_id, error.file_name) == ("publish", "f1", "a")
    assert issubclass(aiospaces.DecryptionError, aiospaces.CryptoError)
    assert issubclass(aiospaces.ValidationError, ValueError)
    assert issubclass(aiospaces.TimeoutError, TimeoutError)
    assert issubclass(aiospaces.TimeoutError, aiospaces.TransportError)


def test_ambiguous_result_error_says_what_is_known_and_how_to_check() -> None:
    import pickle

    from aiospaces import AmbiguousResultError

    error = AmbiguousResultError(
        operation="POST /video/v1/spaces",
        known="the connection dropped after the request was sent",
        check="list the spaces and look for the passthrough you set",
        attempts=1,
    )
    text = str(error)
    assert text.startswith("POST /video/v1/spaces may or may not have taken effect")
    assert "1 request sent" in text
    assert "list the spaces" in text
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == text
    assert again.attempts == 1
