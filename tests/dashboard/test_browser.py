"""The dashboard in a real headless Chromium, against an emulator served on a loopback port.

The SDK talks to the emulator over HTTP on the same port the browser reads, as an application
under development would.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

import aiospaces
from aiospaces.emulator import Emulator, Fault
from aiospaces.pubnub.report import UploadItem

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parent.parent.parent
SCREENSHOT = ROOT / "docs" / "img" / "dashboard.png"
UPDATE_SCREENSHOT = "AIOSPACES_UPDATE_SCREENSHOTS"
SUB, PUB = "sub-c-dashboard", "pub-c-dashboard"


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator()
    with emulator.serve() as base_url:
        yield emulator, base_url


@pytest.fixture
def page(browser: WebDriver, served: tuple[Emulator, str]) -> Iterator[WebDriver]:
    """The browser, left on a blank page afterwards (no event stream keeps the server busy)."""
    try:
        yield browser
    finally:
        browser.get("about:blank")


@pytest.fixture
async def session(served: tuple[Emulator, str]) -> AsyncIterator[aiospaces.Session]:
    async with aiospaces.Session() as session:
        yield session


def pubnub(session: aiospaces.Session, emulator: Emulator, base_url: str) -> aiospaces.PubNub:
    settings = emulator.settings(base_url)["pubnub"]
    return session.pubnub(subscribe_key=SUB, publish_key=PUB, user_id="tester", **settings)


async def test_files_page_lists_a_bulk_upload_with_working_download_links(
    page: WebDriver, served: tuple[Emulator, str], session: aiospaces.Session
) -> None:
    emulator, base_url = served
    contents = {
        f"photo-{i:02}.bin": hashlib.sha256(b"%d" % i).digest() * (i + 1) for i in range(50)
    }
    items = [UploadItem(data, file_name=name) for name, data in contents.items()]
    report = await pubnub(session, emulator, base_url).upload_files("album", items, concurrency=8)
    assert len(report.succeeded) == 50

    page.get(f"{base_url}/_emulator/ui/files")
    links = page.find_elements(By.CSS_SELECTOR, "table.files a.download")
    assert sorted(link.text for link in links) == sorted(contents)
    assert page.find_element(By.ID, "file-count").text.startswith("50 files")
    hrefs = {link.text: link.get_attribute("href") for link in links}
    async with httpx.AsyncClient() as client:
        for name, href in hrefs.items():
            assert href is not None
            assert href.startswith(f"{base_url}/_storage/")
            answer = await client.get(href)
            assert answer.status_code == 200, name
            assert answer.content == contents[name]


async def test_a_broadcast_started_through_the_sdk_shows_active(
    page: WebDriver, served: tuple[Emulator, str], session: aiospaces.Session
) -> None:
    emulator, base_url = served
    mux = session.mux(**emulator.settings(base_url)["mux"])
    stream = await mux.create_live_stream().playback_policy("public")
    space = await mux.create_space().type("server").broadcast(live_stream_id=stream.id)
    joined = await session.http_client.post(
        f"{base_url}/_emulator/mux/spaces/{space.id}/participants", json={"participant_id": "ann"}
    )
    assert joined.status_code == 201
    await mux.wait_until_active(space.id, timeout=10)
    broadcast = space.broadcasts[0]
    await mux.start_space_broadcast(space.id, broadcast.id)

    page.get(f"{base_url}/_emulator/ui/mux")
    row = page.find_element(By.XPATH, f"//div[@class='broadcast'][code='{broadcast.id}']")
    assert row.find_element(By.CSS_SELECTOR, ".state").text == "active"
    spaces = page.find_element(By.CSS_SELECTOR, "table.spaces").text
    assert "ann" in spaces
    streams = page.find_element(By.CSS_SELECTOR, "table.live-streams").text
    assert f"{stream.id} active" in streams


async def test_a_fault_added_in_the_form_fails_the_next_sdk_call(
    page: WebDriver, served: tuple[Emulator, str], session: aiospaces.Session
) -> None:
    emulator, base_url = served
    page.get(f"{base_url}/_emulator/ui/faults")
    form = page.find_element(By.CSS_SELECTOR, "form.fault-form")
    form.find_element(By.NAME, "method").clear()
    form.find_element(By.NAME, "method").send_keys("GET")
    form.find_element(By.NAME, "path").clear()
    form.find_element(By.NAME, "path").send_keys("/video/v1/spaces*")
    form.find_element(By.NAME, "status").send_keys("403")
    form.find_element(By.NAME, "times").send_keys("1")
    form.find_element(By.NAME, "body").send_keys('{"error": {"type": "forbidden"}}')
    Select(form.find_element(By.NAME, "lose_answer")).select_by_value("")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(page, 5).until(lambda driver: "done=fault-added" in driver.current_url)
    assert [(rule.path, rule.status, rule.fired) for rule in emulator.faults.rules] == [
        ("/video/v1/spaces*", 403, 0)
    ]

    mux = session.mux(**emulator.settings(base_url)["mux"])
    with pytest.raises(aiospaces.APIError) as caught:
        await mux.list_spaces()
    assert caught.value.status_code == 403
    assert [space async for space in mux.list_spaces()] == []  # the rule fired once only

    page.refresh()
    assert page.find_element(By.CSS_SELECTOR, "table.faults td.fired").text == "1"
    [faulted] = emulator.requests.select(status=403)
    assert faulted.fault == "GET /video/v1/spaces* → status=403"


async def test_the_request_log_shows_a_new_request_within_a_second(
    page: WebDriver, served: tuple[Emulator, str], session: aiospaces.Session
) -> None:
    emulator, base_url = served
    page.get(f"{base_url}/_emulator/ui/requests")
    WebDriverWait(page, 5).until(
        lambda driver: driver.find_element(By.ID, "requests").get_attribute("data-stream") == "open"
    )
    assert page.find_elements(By.CSS_SELECTOR, "#requests tbody tr") == []
    url = page.current_url

    await pubnub(session, emulator, base_url).publish(channel="live", message={"n": 1})

    WebDriverWait(page, 1.0, poll_frequency=0.05).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "#requests tbody tr")
    )
    [row] = page.find_elements(By.CSS_SELECTOR, "#requests tbody tr")
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    assert cells[2:6] == ["GET", cells[3], "pubnub", "200"]
    assert cells[3].startswith(f"/publish/{PUB}/{SUB}/0/live/0/")
    assert page.current_url == url  # no reload


async def test_screenshot_of_the_overview(
    page: WebDriver,
    served: tuple[Emulator, str],
    session: aiospaces.Session,
    tmp_path: Path,
) -> None:
    """Takes the picture in docs/emulator.md; rewrites it only when asked (see the docs)."""
    emulator, base_url = served
    pn = pubnub(session, emulator, base_url)
    await pn.create_space(space_id="lobby", name="Lobby")
    await pn.publish(channel="lobby", message={"text": "hello"})
    await pn.upload_files("lobby", [UploadItem(b"x" * 2048, file_name="notes.txt")])
    mux = session.mux(**emulator.settings(base_url)["mux"])
    await mux.create_space().type("server")
    emulator.faults.add(Fault(method="GET", path="/video/v1/spaces", status=503, times=1))
    assert len([space async for space in mux.list_spaces()]) == 1  # retried after the 503
    page.get(f"{base_url}/_emulator/ui")
    WebDriverWait(page, 5).until(
        lambda driver: driver.find_element(By.ID, "requests").get_attribute("data-stream") == "open"
    )
    picture = tmp_path / "dashboard.png"
    assert page.save_screenshot(str(picture))
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == tuple(page.execute_script("return [innerWidth, innerHeight]"))
    if os.environ.get(UPDATE_SCREENSHOT, "") not in ("", "0"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(data)
