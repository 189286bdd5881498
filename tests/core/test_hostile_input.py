"""Hostile input at the core: every bad value is a ValidationError before any request.

Per-call options, validators, configs and the Session refuse what httpx would fail on later
(non-ASCII headers, NaN timeouts, surrogates), and a success answer that is not what the
call expects is an UnexpectedResponseError (see also each vendor's ``test_hostile_input``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx
import pytest
import respx

import aiospaces
from aiospaces.core import validate
from aiospaces.core.convert import make_converter, parse_datetime, parsing
from aiospaces.core.request import Exchange, Status
from aiospaces.core.settings import BaseConfig, config_or_env
from tests.core.toy import GetThing, ToyClient

BASE = "https://toy.example"
THING = {"data": {"id": "a", "name": "A", "eTag": "abc123"}}


@pytest.mark.parametrize(
    ("setter", "value"),
    [
        ("timeout", "5"),
        ("timeout", math.nan),
        ("timeout", math.inf),
        ("timeout", 10**400),
        ("timeout", httpx.Timeout(math.nan)),
        ("timeout", httpx.Timeout(5.0, connect=-1.0)),
        ("max_retries", "3"),
        ("max_retries", None),
        ("extra_headers", None),
        ("extra_headers", {"X-Name": "é"}),
        ("extra_headers", {"X-Name": "a\r\nX-Injected: 1"}),
        ("extra_headers", {"X-Name": " padded "}),
        ("extra_headers", {"X-Name": 5}),
        ("extra_headers", {"Bad Name": "v"}),
        ("extra_headers", {b"X-Name": "v"}),
        ("extra_query", 5),
        ("extra_query", "a=b"),
        ("extra_query", [("a",)]),
        ("extra_query", [("a", 1)]),
        ("extra_query", {"a": None}),
        ("extra_query", {"": "v"}),
        ("extra_query", {"a": "\ud800"}),
    ],
)
@respx.mock(assert_all_mocked=True)
async def test_bad_call_options_are_validation_errors_before_any_request(
    setter: str, value: object
) -> None:
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.ValidationError, match=setter):
            getattr(toy.get_thing(thing_id="a"), setter)(value)
        with pytest.raises(aiospaces.ValidationError, match=setter):
            toy.get_thing(thing_id="a", **{setter: value})
    assert not respx.calls


def test_header_messages_never_show_the_value() -> None:
    with pytest.raises(aiospaces.ValidationError) as caught:
        validate.headers({"Authorization": "Bearer sécret-token"})
    assert "sécret" not in str(caught.value)
    assert "'Authorization'" in str(caught.value)
    assert "RFC 8187" in str(caught.value)


PAIRS: Any = (("a", ""), ["b", "é"])  # a tuple of a tuple and a list: pairs all the same


@respx.mock
async def test_good_call_options_still_reach_the_request() -> None:
    route = respx.get(f"{BASE}/things/a").mock(return_value=httpx.Response(200, json=THING))
    timeouts = httpx.Timeout(2.0, pool=None)
    async with ToyClient(base_url=BASE) as toy:
        await (
            toy.get_thing(thing_id="a")
            .timeout(timeouts)
            .extra_headers({"X-Tab": "a\tb c", "X-Empty": ""})
            .extra_query(PAIRS)
        )
    request = route.calls.last.request
    assert request.headers["x-tab"] == "a\tb c"
    assert request.headers["x-empty"] == ""
    assert request.url.raw_path == b"/things/a?a=&b=%C3%A9"
    assert request.extensions["timeout"]["pool"] is None


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("ps.pndsn.com", True),
        ("127.0.0.1:8089", True),
        ("[::1]:8089", True),
        ("emulator_host", True),
        ("h:0", False),
        ("h:65536", False),
        ("h:²", False),
        ("bücher.de", False),
        ("\x865", False),
        ("a b", False),
        ("-a.com", False),
    ],
)
def test_origins_are_ascii_hosts_with_a_port(value: str, ok: bool) -> None:
    if ok:
        assert validate.origin(value) == value
    else:
        with pytest.raises(aiospaces.ValidationError, match="origin"):
            validate.origin(value)


def test_http_urls_are_parsed_and_shown_without_their_secrets() -> None:
    assert validate.http_url("http://[::1]:80/api", "url") == "http://[::1]:80/api"
    for bad in ("http://a:99999", "http://a\x00b/", "ftp://a", "http://", "https://h/?q=1"):
        with pytest.raises(aiospaces.ValidationError, match="url"):
            validate.http_url(bad, "url")
    with pytest.raises(aiospaces.ValidationError) as caught:
        validate.http_url("ftp://user:hunter2@h/x?sig=s3cr3t", "url")
    assert "hunter2" not in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
    signed = "https://s3.example/b?X-Amz-Signature=abc"
    assert validate.http_url(signed, "url", query=True) == signed


@pytest.mark.parametrize("bad", [".", "..", "a/../b", "../x", "x/.", "a\\..\\b", "a\x00"])
def test_identifiers_refuse_dot_segments_even_between_slashes(bad: str) -> None:
    with pytest.raises(aiospaces.ValidationError, match="space_id"):
        validate.path_segment(bad, "space_id")
    assert validate.path_segment("a..b/c", "id") == "a..b%2Fc"


@pytest.mark.parametrize("bad", [b"k", "", "k e y", "kéy", "k\x00", "\ud800", ".", 5])
def test_keys_are_printable_ascii_and_never_shown(bad: object) -> None:
    with pytest.raises(aiospaces.ValidationError, match="publish_key") as caught:
        validate.key(bad, "publish_key")
    if isinstance(bad, str) and len(bad) > 2:
        assert bad not in str(caught.value)


@pytest.mark.parametrize("bad", ["sec\ud800ret", "sécret", "sec ret", "sec\tret"])
def test_secrets_sent_in_headers_are_printable_ascii_and_never_shown(bad: str) -> None:
    if "\ud800" in bad:
        with pytest.raises(aiospaces.ValidationError, match="surrogate"):
            validate.secret(bad, "token")
    assert validate.secret(bad.replace("\ud800", ""), "cipher_key")  # any text is a cipher key
    with pytest.raises(aiospaces.ValidationError, match="token") as caught:
        validate.secret(bad, "token", visible_ascii=True)
    assert "ret" not in str(caught.value)


def test_numbers_json_and_callbacks() -> None:
    with pytest.raises(aiospaces.ValidationError, match="an int of 401 digits"):
        validate.number(10**400, "n")
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(aiospaces.ValidationError, match="nested too deeply"):
        validate.json_value(deep, "message")
    assert validate.callback(print, "on_progress") is print
    with pytest.raises(aiospaces.ValidationError, match="callable"):
        validate.callback("print", "on_progress")
    unlimited = validate.timeout_or_timeouts(httpx.Timeout(None))
    assert isinstance(unlimited, httpx.Timeout)
    assert unlimited.read is None


def test_configs_refuse_a_config_of_another_kind_and_overrides_that_are_no_mapping() -> None:
    @attrs.frozen(kw_only=True)
    class Config(BaseConfig):
        pass

    assert config_or_env(None, Config, {"timeout": 2.0}) == Config(timeout=2.0)
    for bad in ("", {}, object(), BaseConfig()):
        with pytest.raises(aiospaces.ValidationError, match="config must be a Config"):
            config_or_env(bad, Config, {})
    with pytest.raises(aiospaces.ValidationError, match="mapping"):
        Config.from_env(5)  # type: ignore[arg-type]
    for settings in ({"max_retries": -1}, {"max_retries": "3"}, {"timeout": math.nan}):
        with pytest.raises(aiospaces.ValidationError, match=next(iter(settings))):
            Config.from_env(settings)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"timeout": "5"}, "timeout"),
        ({"timeout": httpx.Timeout(math.nan)}, "timeout.connect"),
        ({"http2": "yes"}, "http2"),
        ({"limits": 10}, "limits"),
        ({"transport": "x"}, "transport"),
        ({"http_client": httpx.Client()}, "http_client"),
    ],
)
def test_session_arguments_of_the_wrong_type(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(aiospaces.ValidationError, match=named):
        aiospaces.Session(**kwargs)
    for value in kwargs.values():
        if isinstance(value, httpx.Client):
            value.close()


converter = make_converter(key_style="camel")


@attrs.frozen
class Scalars:
    text: str
    count: int
    ratio: float
    flag: bool


@pytest.mark.parametrize(
    "wire",
    [
        {"text": None, "count": 1, "ratio": 1.0, "flag": True},
        {"text": ["a"], "count": 1, "ratio": 1.0, "flag": True},
        {"text": "a", "count": "one", "ratio": 1.0, "flag": True},
        {"text": "a", "count": 1.5, "ratio": 1.0, "flag": True},
        {"text": "a", "count": True, "ratio": 1.0, "flag": True},
        {"text": "a", "count": 1, "ratio": math.nan, "flag": True},
        {"text": "a", "count": 1, "ratio": 10**400, "flag": True},
        {"text": "a", "count": 1, "ratio": 1.0, "flag": "false"},
        {"text": "a", "count": 1, "ratio": 1.0, "flag": 0},
    ],
)
def test_the_converters_are_strict_about_scalars(wire: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="Scalars"):
        converter.structure(wire, Scalars)


def test_the_converters_still_take_ids_as_numbers_and_whole_floats() -> None:
    wire = {"text": 7, "count": "12", "ratio": 2, "flag": False}
    assert converter.structure(wire, Scalars) == Scalars("7", 12, 2.0, False)
    assert converter.structure({**wire, "count": 3.0}, Scalars).count == 3


@pytest.mark.parametrize("raw", [10**20, 1e300, "²", "9" * 5000, math.nan, "2026-13-01"])
def test_timestamps_out_of_range_are_value_errors(raw: object) -> None:
    with pytest.raises(ValueError, match="not a timestamp"):
        parse_datetime(raw)
    assert parse_datetime("1607452572") == datetime(2020, 12, 8, 18, 36, 12, tzinfo=UTC)


def _exchange(response: httpx.Response) -> Exchange:
    status = Status(response.status_code, response.headers, "req-9", 1, 0.0)
    return Exchange(response, status)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(200, text="<html>"), "not JSON"),
        (httpx.Response(200, json=[]), "wrong type"),
        (httpx.Response(200, json={}), "required field is missing"),
        (httpx.Response(200, content=b"[" * 100_000), "not JSON|nested too deeply"),
        (httpx.Response(200, content=b"\xff\xfe"), "not JSON"),
    ],
)
def test_parsing_turns_shape_errors_into_unexpected_response_errors(
    response: httpx.Response, reason: str
) -> None:
    with (
        pytest.raises(aiospaces.UnexpectedResponseError, match=reason) as caught,
        parsing(_exchange(response), vendor="toy", expected="a JSON Thing"),
    ):
        converter.structure(response.json()["data"], Scalars)
    error = caught.value
    assert isinstance(error, aiospaces.APIError)
    assert (error.status_code, error.vendor, error.request_id) == (200, "toy", "req-9")
    assert "expected a JSON Thing" in str(error)


def test_parsing_lets_other_aiospaces_errors_through_but_not_validation_errors() -> None:
    exchange = _exchange(httpx.Response(200, json={"data": 1}))
    conflict = aiospaces.ConflictError("taken", status_code=409)
    with pytest.raises(aiospaces.ConflictError), parsing(exchange, vendor="t", expected="x"):
        raise conflict
    with (
        pytest.raises(aiospaces.UnexpectedResponseError, match="the id must be"),
        parsing(exchange, vendor="t", expected="x"),
    ):
        raise aiospaces.ValidationError("the id must be text")
    with pytest.raises(ZeroDivisionError), parsing(exchange, vendor="t", expected="x"):
        _ = 1 / 0


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="oops", headers={"x-request-id": "r-7"}),
        httpx.Response(
            200, json={"data": {"id": None, "name": "A"}}, headers={"x-request-id": "r-7"}
        ),
        httpx.Response(201, json={"data": []}, headers={"x-request-id": "r-7"}),
    ],
)
@respx.mock
async def test_a_builder_answered_with_the_wrong_shape_raises_unexpected_response(
    answer: httpx.Response,
) -> None:
    respx.get(f"{BASE}/things/a").mock(return_value=answer)
    async with ToyClient(base_url=BASE) as toy:
        with pytest.raises(aiospaces.UnexpectedResponseError) as caught:
            await toy.get_thing(thing_id="a")
    error = caught.value
    assert (error.status_code, error.request_id) == (answer.status_code, "r-7")
    assert "expected a JSON Thing" in error.message
    assert error.body == (answer.text if answer.text == "oops" else answer.json())


def test_what_a_builder_expects_comes_from_its_result_type() -> None:
    assert GetThing(ToyClient(base_url=BASE))._quiet()._expected() == "a JSON Thing"
