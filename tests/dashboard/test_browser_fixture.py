"""The browser fixture without a browser: a skip that says how to get one, or a failure where
``AIOSPACES_REQUIRE_SERVICES`` is set (CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard import conftest
from tests.services import REQUIRE_SERVICES


@pytest.mark.parametrize("required", ["", "0", "1"])
def test_without_chromium_the_browser_tests_skip_unless_ci_requires_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, required: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(REQUIRE_SERVICES, required)
    outcome = pytest.fail.Exception if required == "1" else pytest.skip.Exception
    with pytest.raises(outcome) as caught:
        conftest.find_browser()
    message = str(caught.value)
    assert "chromium not found" in message
    assert "apt-get install chromium chromium-driver" in message
    assert ("AIOSPACES_REQUIRE_SERVICES is set" in message) == (required == "1")


def test_a_missing_driver_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(REQUIRE_SERVICES, raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromedriver not found"):
        conftest.find_browser()
    driver = tmp_path / "chromedriver"
    driver.write_text("#!/bin/sh\n")
    driver.chmod(0o755)
    assert conftest.find_browser() == (str(chromium), str(driver))
