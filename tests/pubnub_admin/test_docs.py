"""The runnable example of docs/pubnub-admin.md keeps running."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aiospaces.emulator.admin import routes as admin

PAGE = Path(__file__).parents[2] / "docs" / "pubnub-admin.md"


def test_first_python_example_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "STATE_DELAY", 0)  # blocks change state at once: no polling
    match = re.search(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert match is not None
    exec(compile(match.group(1), str(PAGE), "exec"), {"__name__": "__docs__"})  # noqa: S102
    assert capsys.readouterr().out.splitlines() == ["greeter running", "False True running"]
