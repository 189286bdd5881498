"""Mistakes that say what they are: a builder never awaited, a Session on a second loop, and
error messages that carry the vendor's details."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import aiospaces
from aiospaces.core.errors import APIError, details_text
from aiospaces.emulator import Emulator, Fault

KEYS: dict[str, Any] = {"subscribe_key": "sub-c-mis", "publish_key": "pub-c-mis", "user_id": "me"}


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"status": 200, "data": []})


@pytest.fixture
def pn() -> aiospaces.PubNub:
    session = aiospaces.Session(transport=httpx.MockTransport(answer))
    return session.pubnub(**KEYS)


# -- a builder never awaited ----------------------------------------------------------------------


def dropped(make: Callable[[], object]) -> None:
    make()  # the value is dropped at once, as with a call missing its await
    gc.collect()


def test_a_builder_dropped_unawaited_warns_like_a_coroutine(pn: aiospaces.PubNub) -> None:
    with pytest.warns(RuntimeWarning, match="FetchSpaces builder was never awaited") as caught:
        dropped(lambda: pn.fetch_spaces(limit=3))
    assert len(caught) == 1
    assert "no request was sent" in str(caught[0].message)


def test_a_chained_builder_dropped_unawaited_warns(pn: aiospaces.PubNub) -> None:
    with pytest.warns(RuntimeWarning, match="CreateSpace builder was never awaited"):
        dropped(lambda: pn.create_space().space_id("room").name("Room"))


async def test_builders_that_ran_say_nothing(pn: aiospaces.PubNub) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await pn.fetch_spaces()
        await pn.fetch_spaces().future()
        await pn.fetch_spaces().result()
        assert [space async for space in pn.fetch_spaces()] == []
        assert [page.data async for page in pn.fetch_spaces().pages()] == [[]]
        gc.collect()


def test_a_builder_whose_setter_refused_a_value_says_nothing_more(pn: aiospaces.PubNub) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(aiospaces.ValidationError):
            pn.fetch_spaces().limit(-1)
        with pytest.raises(aiospaces.ValidationError):
            pn.fetch_spaces(limit=-1)
        with pytest.raises(TypeError):
            pn.fetch_spaces(nonsense=1)  # type: ignore[call-arg]
        gc.collect()


def test_an_action_called_counts_as_used_and_python_warns_for_its_coroutine(
    pn: aiospaces.PubNub,
) -> None:
    builder = pn.download_file(channel="c", file_id="f", file_name="n")
    with pytest.warns(RuntimeWarning, match="coroutine .* was never awaited") as caught:
        dropped(lambda: builder.to_path("never-written"))  # Python's own warning
    assert all("builder was never awaited" not in str(w.message) for w in caught)


def test_a_stream_started_counts_as_used(pn: aiospaces.PubNub) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stream = pn.download_file(channel="c", file_id="f", file_name="n").stream()
        del stream
        gc.collect()


def test_opening_a_download_counts_as_used_and_open_is_no_setting(pn: aiospaces.PubNub) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opened = pn.download_file(channel="c", file_id="f", file_name="n").open()
        del opened  # a context manager never entered: it sent nothing, and says nothing
        gc.collect()
    with pytest.raises(TypeError, match="'open'"):
        pn.download_file(open=True)  # type: ignore[call-arg]


def test_a_builder_kept_on_purpose_is_quiet(pn: aiospaces.PubNub) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        builder = pn.fetch_spaces()._quiet()
        assert repr(builder) == "<FetchSpaces for PubNub>"
        del builder
        gc.collect()


# -- a Session used from a second event loop ------------------------------------------------------


def test_a_session_reused_by_a_second_asyncio_run_says_why() -> None:
    session = aiospaces.Session(transport=httpx.MockTransport(answer))
    pn = session.pubnub(**KEYS)

    async def list_spaces() -> None:
        await pn.fetch_spaces()

    asyncio.run(list_spaces())
    with pytest.raises(aiospaces.EventLoopError, match=r"another event loop .*asyncio\.run"):
        asyncio.run(list_spaces())
    assert isinstance(aiospaces.EventLoopError("x"), RuntimeError)


def test_a_session_made_outside_any_loop_binds_to_the_first_that_uses_it() -> None:
    session = aiospaces.Session(transport=httpx.MockTransport(answer))

    async def twice() -> int:
        pn = session.pubnub(**KEYS)
        await pn.fetch_spaces()
        await pn.fetch_spaces()
        await session.aclose()
        return 2

    assert asyncio.run(twice()) == 2


def test_a_real_pool_used_from_a_second_loop_is_the_clear_error(emulator: Emulator) -> None:
    first = asyncio.new_event_loop()
    with emulator.serve() as url:
        session = aiospaces.Session()
        pn = session.pubnub(**KEYS, **emulator.settings(url)["pubnub"])

        async def list_spaces() -> None:
            await pn.fetch_spaces()

        try:
            first.run_until_complete(list_spaces())
            with pytest.raises(aiospaces.EventLoopError) as caught:
                asyncio.run(list_spaces())
            assert "Event loop is closed" not in str(caught.value)
        finally:
            first.run_until_complete(session.aclose())  # closed by the loop that owns it
            first.close()


# -- error messages -------------------------------------------------------------------------------


async def test_a_filter_error_says_where_the_expression_broke(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    settings = emulator.settings("http://emulator.test")["pubnub"]
    pn = emulator_session.pubnub(**KEYS, **settings, auth_key="auth-secret-value")
    with pytest.raises(aiospaces.BadRequestError) as caught:
        await pn.fetch_spaces(filter="name == ")
    text = str(caught.value)
    assert text.startswith("400 pubnub objects: Invalid filter expression.")
    assert "filter: unexpected end of expression at position 8" in text
    assert "auth-secret-value" not in text


async def test_an_error_after_retries_says_how_many_attempts(
    emulator_session: aiospaces.Session, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def instant(seconds: float) -> None:
        return None

    monkeypatch.setattr("aiospaces.core.attempts._sleep", instant)
    emulator.faults.add(Fault(method="GET", path="/v2/objects/*", status=503))
    settings = emulator.settings("http://emulator.test")["pubnub"]
    pn = emulator_session.pubnub(**KEYS, **settings)
    with pytest.raises(aiospaces.ServerError, match=r"^503 .*\[after 3 attempts\]$"):
        await pn.fetch_spaces()


def test_a_neuroio_field_error_names_the_field() -> None:
    error = APIError(
        "Validation error.",
        status_code=400,
        vendor="neuroio",
        details=[{"name": "name", "message": "This field is required.", "error_code": 1}],
    )
    assert str(error) == "400 neuroio: Validation error. (name: This field is required.)"


@pytest.mark.parametrize(
    ("details", "text"),
    [
        (None, ""),
        ({"stack": "at line 1"}, ""),
        ([{"n": 1}], ""),
        (["plain", "  two\nlines "], "plain; two lines"),
        ([{"message": "m", "location": "q"}], "q: m"),
        ([{"message": "m"}], "m"),
        ([f"e{i}" for i in range(5)], "e0; e1; e2; 2 more in .details"),
        (["x" * 300], "x" * 199 + "…"),
    ],
)
def test_details_read_as_one_short_line(details: object, text: str) -> None:
    assert details_text(details) == text
