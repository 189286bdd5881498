"""A headless Chromium for the dashboard's browser tests, one per test run.

It drives Debian's ``chromium`` through ``chromedriver`` with Selenium (never a browser or a
driver that Selenium would download). Without them the browser tests are skipped with a
message saying how to install them, unless ``AIOSPACES_REQUIRE_SERVICES`` is set (CI sets
it): then they fail, so a run can never pass by skipping them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

from tests.services import REQUIRE_SERVICES, services_required

WINDOW = (1280, 900)


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


def find_browser() -> tuple[str, str]:
    """Return the paths of chromium and chromedriver, or skip (fail where CI requires them)."""
    chromium = _find("chromium", "chromium-browser")
    driver_binary = _find("chromedriver")
    if chromium is None or driver_binary is None:
        missing = "chromium" if chromium is None else "chromedriver"
        message = (
            f"{missing} not found: install it to run the dashboard's browser tests "
            "(Debian/Ubuntu: apt-get install chromium chromium-driver)"
        )
        if services_required():
            pytest.fail(f"{message}; {REQUIRE_SERVICES} is set, so this is a failure")
        pytest.skip(message)
    return chromium, driver_binary


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """Start one headless Chromium for the whole run; yield its Selenium WebDriver."""
    chromium, driver_binary = find_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--no-first-run",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_binary))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
