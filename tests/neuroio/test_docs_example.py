"""The runnable example of docs/neuroio.md keeps running."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).parent.parent.parent / "docs" / "neuroio.md"


def test_first_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    match = re.search(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert match is not None
    exec(compile(match.group(1), str(PAGE), "exec"), {"__name__": "__docs__"})  # noqa: S102
    out = capsys.readouterr().out
    assert "username='ann'" in out
    assert "[Space(id=2, name='Hall')]" in out
    assert "gone: 404 Not found." in out
