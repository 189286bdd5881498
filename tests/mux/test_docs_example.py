"""The runnable example of docs/mux.md keeps running."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).parent.parent.parent / "docs" / "mux.md"


def test_first_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    match = re.search(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert match is not None
    exec(compile(match.group(1), "mux.md", "exec"), {"__name__": "__docs__"})  # noqa: S102
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == ["idle idle", "active True", "active", "idle"]
    assert len(lines) == 4  # the space was deleted, so the listing is empty
