"""The runnable examples in docs/ must keep running."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parent.parent / "docs"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("pubnub-spaces.md", "Room 1"),
        ("pubnub-files.md", "2 uploaded, 0 failed"),
        ("pubnub-realtime.md", "file note.txt b'hello'"),
    ],
)
def test_first_python_example_runs(
    page: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DOCS / page).read_text()
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match is not None
    exec(compile(match.group(1), page, "exec"), {"__name__": "__docs__"})  # noqa: S102
    assert expected in capsys.readouterr().out
