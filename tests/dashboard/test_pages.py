"""The dashboard's pages and forms, in-process: what they show, what they refuse."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import aiospaces
from aiospaces.emulator import Emulator, Fault
from aiospaces.emulator.dashboard import routes
from aiospaces.pubnub.report import UploadItem

UI = "http://emu/_emulator/ui"
SAME_ORIGIN = {"Origin": "http://emu"}
ROOT = Path(__file__).parent.parent.parent


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emu") as c:
        yield c


async def fill(emulator: Emulator) -> dict[str, str]:
    """Put something of every vendor into the emulator; return the secrets it handed out."""
    async with aiospaces.Session(transport=emulator.transport()) as session:
        pn = session.pubnub(subscribe_key="sub-c-ui", publish_key="pub-c-ui", user_id="ann")
        await pn.create_space(space_id="lobby<b>x", name="Lobby")
        await pn.publish(channel="lobby<b>x", message={"text": "<script>alert(1)</script>"})
        await pn.upload_files("photos", [UploadItem(b"pixels", file_name="cat.png")])
        mux = session.mux(token_id="tid", token_secret="tsecret", base_url="http://emu")
        stream = await mux.create_live_stream().playback_policy("public")
        await mux.create_space().type("server").broadcast(live_stream_id=stream.id)
        neuro = session.neuroio(**emulator.settings("http://emu")["neuroio"])
        login = await neuro.auth.token(username="ann", password="secret")
        admin = session.pubnub_admin(email="a@example.com", password="pw", base_url="http://emu")
        apps = await admin.list_apps()
        await admin.create_block(key_id=apps[0].keys[0].id, name="greeter")
    return {
        "stream_key": stream.stream_key or "",
        "token": login.token.key,
        "secret_key": apps[0].keys[0].secret_key or "",
    }


async def test_every_page_shows_the_state_and_no_secret(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    secrets = await fill(emulator)
    assert all(len(secret) > 8 for secret in secrets.values())
    pages = {}
    for name in ("", "/pubnub", "/files", "/mux", "/neuroio", "/admin", "/requests", "/faults"):
        answer = await client.get(UI + name)
        assert answer.status_code == 200, name
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        pages[name] = answer.text
        for secret in secrets.values():
            assert secret not in answer.text, name
    assert "lobby&lt;b&gt;x" in pages["/pubnub"]
    assert "<script>alert" not in pages["/pubnub"]
    assert "cat.png" in pages["/files"]
    assert "photos" in pages["/files"]
    assert "live_stream" not in pages["/mux"]
    assert secrets["stream_key"][-4:] in pages["/mux"]  # masked but for its last 4 characters
    assert "greeter" in pages["/admin"]
    assert "a@example.com" in pages["/admin"]
    assert ">ann</code>" in pages["/neuroio"]
    assert "/v1/auth/token/" in pages["/requests"]


async def test_the_files_page_links_download_the_bytes(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    await fill(emulator)
    page = (await client.get(UI + "/files", params={"keyset": "sub-c-ui"})).text
    start = page.index('class="download" href="') + len('class="download" href="')
    link = page[start : page.index('"', start)].replace("&amp;", "&")
    assert (await client.get(link)).content == b"pixels"
    assert "1 files, 6 bytes" in page
    empty = (await client.get(UI + "/files", params={"keyset": "sub-c-none"})).text
    assert "0 files" in empty


async def test_the_files_page_has_pages(
    client: httpx.AsyncClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "FILES_PER_PAGE", 2)
    async with aiospaces.Session(transport=emulator.transport()) as session:
        pn = session.pubnub(subscribe_key="sub-c-p", publish_key="pub-c-p", user_id="u")
        items = [UploadItem(b"%d" % i, file_name=f"f{i}.txt") for i in range(5)]
        await pn.upload_files("ch", items, concurrency=1)
    shown = []
    for number in (1, 2, 3):
        page = (await client.get(UI + "/files", params={"page": number})).text
        assert f"page {number} of 3" in page
        shown += re.findall(r'download="(f\d\.txt)"', page)
    assert sorted(shown) == [f"f{i}.txt" for i in range(5)]
    for bad in ("0", "-1", "x", "1" * 8, "²"):
        assert (await client.get(UI + "/files", params={"page": bad})).status_code == 400
    assert "0 files" not in (await client.get(UI + "/files", params={"page": 9})).text


async def test_the_fault_form_adds_a_rule_that_fires(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    form = {
        "method": "get",
        "path": "/video/v1/spaces*",
        "status": "429",
        "body": '{"error": "slow down"}',
        "headers": "Retry-After: 1\n\nx-should-retry: false",
        "times": "1",
        "probability": "1",
        "delay": "",
        "lose_answer": "",
    }
    answer = await client.post(UI + "/faults", data=form, headers=SAME_ORIGIN)
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/_emulator/ui/faults?done=fault-added",
    )
    [rule] = emulator.faults.rules
    assert rule == Fault(
        method="GET",
        path="/video/v1/spaces*",
        status=429,
        body={"error": "slow down"},
        headers={"Retry-After": "1", "x-should-retry": "false"},
        times=1,
    )
    hit = await client.get("/video/v1/spaces", auth=("t", "s"))
    assert (hit.status_code, hit.json(), hit.headers["retry-after"]) == (
        429,
        {"error": "slow down"},
        "1",
    )
    page = (await client.get(UI + "/faults?done=fault-added")).text
    assert "The fault rule was added." in page
    assert '<td class="num fired">1</td>' in page
    cleared = await client.post(UI + "/faults/clear", headers=SAME_ORIGIN)
    assert cleared.status_code == 303
    assert emulator.faults.rules == []


async def test_text_bodies_drops_and_lost_answers_from_the_form(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    forms = [
        {"path": "/a", "status": "500", "body": "plain words"},
        {"path": "/b", "drop": "on"},
        {"path": "/c", "lose_answer": "late", "delay": "2.5"},
    ]
    for form in forms:
        assert (await client.post(UI + "/faults", data=form)).status_code == 303
    a, b, c = emulator.faults.rules
    assert (a.status, a.body) == (500, "plain words")
    assert b.drop
    assert (c.lose_answer, c.delay) == ("late", 2.5)


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"status": "600"}, "status must be from 100 to 599"),
        ({"status": "5e2"}, "status must be a whole number"),
        ({"delay": "nan"}, "delay must be a number"),
        ({"delay": "1e999"}, "delay must be a number"),
        ({"delay": "-1"}, "delay must be from 0 to 3600"),
        ({"probability": "2"}, "probability must be from 0 to 1"),
        ({"times": "-1"}, "times must be a whole number"),
        ({"lose_answer": "sometimes"}, "lose_answer must be one of"),
        ({"lose_answer": "late"}, "needs a delay"),
        ({"lose_answer": "drop", "status": "500"}, "no status, body or drop"),
        ({"method": "G T"}, "method must be an HTTP method"),
        ({"headers": "no colon here"}, "Name: value"),
        ({"headers": "X-Café: 1"}, "cannot be sent"),
        ({"headers": "Content-Length: 5"}, "set by the fault itself"),
        ({"colour": "red"}, "unknown fields: colour"),
        ({"path": "x" * 3000}, "at most 2048"),
    ],
)
async def test_bad_fault_forms_are_refused_and_keep_nothing(
    client: httpx.AsyncClient, emulator: Emulator, form: dict[str, str], reason: str
) -> None:
    answer = await client.post(UI + "/faults", data=form, headers=SAME_ORIGIN)
    assert answer.status_code == 400
    assert reason in answer.text.replace("&#39;", "'")
    assert emulator.faults.rules == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://emu:8080"},
        {"Referer": "http://evil.example/page"},
        {"Referer": "http://emu.evil.example/"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://emu"},
    ],
)
async def test_cross_site_posts_are_refused(
    client: httpx.AsyncClient, emulator: Emulator, headers: dict[str, str]
) -> None:
    emulator.faults.add(Fault(path="/kept", status=500))
    for path, data in (
        ("/actions/reset", {}),
        ("/faults/clear", {}),
        ("/faults", {"path": "/x", "status": "500"}),
        ("/actions/seed", {"vendor": "pubnub", "payload": '{"subscribe_key": "sub-c-evil"}'}),
    ):
        answer = await client.post(UI + path, data=data, headers=headers)
        assert answer.status_code == 403, path
        assert "cross-site form posts are refused" in answer.text
    assert [rule.path for rule in emulator.faults.rules] == ["/kept"]
    assert "sub-c-evil" not in emulator.vendors["pubnub"].snapshot()


async def test_same_origin_posts_by_origin_referer_or_none(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    for headers in (
        {"Origin": "http://emu"},
        {"Referer": "http://emu/_emulator/ui/faults"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://emu"},
        {},  # not a browser: curl, a script
    ):
        answer = await client.post(UI + "/faults", data={"path": "/x"}, headers=headers)
        assert answer.status_code == 303, headers
    assert len(emulator.faults.rules) == 4


async def test_reset_and_seed_forms(client: httpx.AsyncClient, emulator: Emulator) -> None:
    await fill(emulator)
    emulator.strict = True
    seeded = await client.post(
        UI + "/actions/seed",
        data={"vendor": "pubnub", "payload": '{"subscribe_key": "sub-c-seeded"}'},
        headers=SAME_ORIGIN,
    )
    assert (seeded.status_code, seeded.headers["location"]) == (303, "/_emulator/ui?done=seeded")
    assert "sub-c-seeded" in emulator.vendors["pubnub"].snapshot()
    answer = await client.post(UI + "/actions/reset", headers=SAME_ORIGIN)
    assert (answer.status_code, answer.headers["location"]) == (303, "/_emulator/ui?done=reset")
    assert emulator.vendors["pubnub"].snapshot() == {}
    assert emulator.vendors["mux"].snapshot() == {}
    assert emulator.storage.list() == []
    assert list(emulator.requests) == []
    assert "Everything was reset." in (await client.get(UI + "?done=reset")).text


@pytest.mark.parametrize(
    ("form", "status", "reason"),
    [
        ({"vendor": "nobody", "payload": "{}"}, 400, "vendor must be one of"),
        ({"vendor": "pubnub", "payload": "[1]"}, 400, "must be a JSON object"),
        ({"vendor": "pubnub", "payload": "{"}, 400, "not JSON"),
        ({"vendor": "pubnub", "payload": "NaN"}, 400, "not JSON"),
        ({"vendor": "pubnub", "payload": '{"subscribe_key": 5}'}, 400, "bad seed payload"),
        ({"vendor": "mux", "payload": "{}"}, 400, "bad seed payload"),
    ],
)
async def test_bad_seed_forms_are_refused(
    client: httpx.AsyncClient, form: dict[str, str], status: int, reason: str
) -> None:
    answer = await client.post(UI + "/actions/seed", data=form, headers=SAME_ORIGIN)
    assert answer.status_code == status
    assert reason in answer.text


async def test_what_is_not_a_form_is_refused(client: httpx.AsyncClient) -> None:
    as_json = await client.post(UI + "/faults", json={"path": "/x"})
    assert as_json.status_code == 415
    broken = await client.post(
        UI + "/faults",
        content=b"--b\r\nContent-Disposition: form-data\r\n\r\nx",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert broken.status_code == 400
    a_file = await client.post(UI + "/faults", files={"path": ("p.txt", b"/x")})
    assert a_file.status_code == 400
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    fields = "&".join(f"f{i}=1" for i in range(60))
    too_many = await client.post(UI + "/faults", content=fields, headers=form)
    assert too_many.status_code == 400
    huge = await client.post(UI + "/faults", data={"body": "x" * (2 * 1024 * 1024)})
    assert huge.status_code == 413


HOSTILE_VALUES = ("", "%00", "%FF", "%ED%A0%80", "-1", "0", "9" * 30, "a" * 5000, "%3Cscript%3E")


@pytest.mark.parametrize(
    "path",
    ["", "/pubnub", "/files", "/mux", "/neuroio", "/admin", "/requests", "/faults"],
)
async def test_hostile_queries_never_break_a_page(
    client: httpx.AsyncClient, emulator: Emulator, path: str
) -> None:
    await fill(emulator)
    names = ("page", "keyset", "vendor", "status", "path", "method", "since", "limit", "done")
    for name in names:
        for value in HOSTILE_VALUES:
            answer = await client.get(f"{UI}{path}?{name}={value}")
            assert answer.status_code < 500, (path, name, value)
            assert "<script>" not in answer.text


async def test_hostile_form_values_never_break_a_post(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    fields = ("method", "path", "status", "body", "headers", "delay", "drop", "lose_answer")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for name in (*fields, "times", "probability"):
        for value in ("%00", "%FF", "%ED%A0%80", "9" * 40, "-0", "1e-99", "%0D%0A", "%C3%A9" * 99):
            answer = await client.post(UI + "/faults", content=f"{name}={value}", headers=form)
            assert answer.status_code in (303, 400), (name, value)
    assert emulator.faults.rules  # some were fine rules
    assert (await client.get("/_emulator/faults")).status_code == 200
    assert (await client.get(UI + "/faults")).status_code == 200
    assert (await client.get("/video/v1/spaces", auth=("t", "s"))).status_code < 500
    for value in ("\x00", "{" * 5000, "[" * 70 + "]" * 70, '{"subscribe_key": "\\u0000"}'):
        form_data = {"vendor": "pubnub", "payload": value}
        answer = await client.post(UI + "/actions/seed", data=form_data)
        assert answer.status_code in (303, 400), value


async def test_static_files_ship_in_the_package(client: httpx.AsyncClient) -> None:
    css = await client.get(UI + "/static/dashboard.css")
    assert (css.status_code, css.headers["content-type"]) == (200, "text/css; charset=utf-8")
    script = await client.get(UI + "/static/dashboard.js")
    assert "EventSource" in script.text
    for path in ("/static/../routes.py", "/static/%2E%2E/routes.py", "/static/nothing.css"):
        assert (await client.get(UI + path)).status_code == 404
    page = (await client.get(UI)).text
    assert "http" not in page.split("<body>")[0].replace('href="data:,"', "")  # no CDN


async def test_pages_answer_only_their_methods(client: httpx.AsyncClient) -> None:
    assert (await client.post(UI + "/pubnub")).status_code == 405
    assert (await client.get(UI + "/actions/reset")).status_code == 405
    answer = await client.get(UI + "/nothing")
    assert (answer.status_code, answer.json()) == (404, {"error": "Not found."})


def test_the_screenshot_is_in_the_docs() -> None:
    picture = ROOT / "docs" / "img" / "dashboard.png"
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "img/dashboard.png" in (ROOT / "docs" / "emulator.md").read_text()


def test_the_event_stream_sends_new_requests(emulator: Emulator) -> None:
    with emulator.serve() as base_url, httpx.Client(base_url=base_url, timeout=5) as client:
        httpx.get(f"{base_url}/time/0")
        url = "/_emulator/ui/requests/events"
        with client.stream("GET", url, params={"vendor": "mux", "after": "0"}) as stream:
            assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
            lines = stream.iter_lines()
            assert next(lines) == "retry: 1000"
            httpx.get(f"{base_url}/video/v1/spaces", auth=("t", "s"))
            event = [next(lines) for _ in range(4)][1:]
        assert event[:2] == ["id: 2", "event: request"]
        row = json.loads(event[2].removeprefix("data: "))
        assert (row["url"], row["vendor"], row["status"]) == ("/video/v1/spaces", "mux", "200")
        headers = {"Last-Event-ID": "2"}
        with client.stream("GET", url, headers=headers) as stream:
            lines = stream.iter_lines()
            assert next(lines) == "retry: 1000"
            httpx.get(f"{base_url}/time/0")
            assert [next(lines) for _ in range(3)][1:] == ["id: 3", "event: request"]
        bad = client.get(url, params={"status": "teapot"})
        assert bad.status_code == 400
