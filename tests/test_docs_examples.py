"""Every Python example in README.md and docs/ runs, against the emulator, as printed.

A block that is a complete program (it compiles without top-level ``await``) runs as it is,
with ``__name__ == "__main__"``; a fragment (``await pn.…`` at top level) runs inside a prelude
that gives it ``session``, ``pn``, ``mux``, ``nio`` and the other names the pages assume. Both
run with the vendors' environment variables pointing at an emulator served on loopback (so
``aiospaces.Session()`` with settings from the environment reaches it), in a scratch working
directory holding a few files. The names a block defines stay for the page's next blocks.

A block preceded by ``<!-- docs-test: pytest -->`` is a test module run by pytest in a fresh
directory (no configuration: pytest-asyncio in strict mode, as in a user's project). One
preceded by ``<!-- docs-test: skip REASON -->`` is not run; such blocks must stay rare.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
import pytest
from fastapi import FastAPI

import aiospaces
from aiospaces.core.convert import Model, wire
from aiospaces.core.request import RequestSpec
from aiospaces.emulator import Emulator
from aiospaces.mux.webhooks import sign_payload
from aiospaces.pubnub.job_status import JobStatus
from aiospaces.pubnub.journal import FileState
from aiospaces.pubnub.sqlite_journal import SqliteJournal

ROOT = Path(__file__).parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")], key=lambda p: p.name)
BLOCK = re.compile(
    r"(?:<!-- docs-test: (?P<marker>pytest|skip)(?P<reason>[^>]*)-->\n)?"
    r"```python\n(?P<code>.*?)```",
    re.S,
)
EXPECTED = {  # what each page's examples print, in part
    "README.md": ["room-1 Room 1 {'tier': 'gold'}", "b'hello'"],
    "pubnub-spaces.md": ["Room 1"],
    "pubnub-files.md": ["2 uploaded, 0 failed"],
    "pubnub-realtime.md": ["file note.txt b'hello'"],
    "encryption.md": ["ok"],
    "recipes.md": [
        "Room 1 {'floor': 3}",
        "b'hi'",
        "Lobby\n404\n200 300000 True\n404",
        "50 spaces, 0 failed",
    ],
}
SECRET = "whsec-docs"


@attrs.frozen
class Block:
    """One fenced Python block of a page."""

    page: str
    index: int
    code: str
    marker: str | None
    reason: str


def blocks(page: Path) -> list[Block]:
    return [
        Block(page.name, i, m["code"], m["marker"], (m["reason"] or "").strip())
        for i, m in enumerate(BLOCK.finditer(page.read_text()))
    ]


@contextlib.contextmanager
def served_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """Serve an emulator, point every vendor's variables at it, work in ``tmp_path``."""
    with Emulator().serve() as url:
        for var in list(os.environ):
            if var.startswith(("PUBNUB_", "MUX_", "NEUROIO_")):
                monkeypatch.delenv(var)
        env = {
            "PUBNUB_ORIGIN": url,
            "PUBNUB_SUBSCRIBE_KEY": "sub-c-docs",
            "PUBNUB_PUBLISH_KEY": "pub-c-docs",
            "PUBNUB_USER_ID": "docs",
            "MUX_BASE_URL": url,
            "MUX_TOKEN_ID": "docs",
            "MUX_TOKEN_SECRET": "docs",
            "NEUROIO_IAM_URL": url,
            "NEUROIO_API_TOKEN": "docs",
        }
        for var, value in env.items():
            monkeypatch.setenv(var, value)
        monkeypatch.chdir(tmp_path)
        yield url


def base_names() -> dict[str, Any]:
    """What the fragments assume: imports, files to upload, a webhook to verify."""
    paths = []
    for i in range(3):
        path = Path(f"photo-{i}.jpg")
        path.write_bytes(bytes([i]) * (1000 + i))
        paths.append(path)
    Path("a.png").write_bytes(b"\x89PNG docs")
    Path("inbox").mkdir(exist_ok=True)
    raw_body = (
        '{"id": "e1", "type": "video.space.broadcast.active", "created_at": '
        '"2026-01-01T00:00:00Z", "data": {"id": "b1", "live_stream_id": "ls1", '
        '"status": "active", "layout": "gallery", "background": null, "resolution": '
        '"1920x1080"}}'
    )
    request = attrs.make_class("Request", ["headers"])(
        {"mux-signature": sign_payload(raw_body, SECRET)}
    )
    return {
        "__name__": "__main__",
        "aiospaces": aiospaces,
        "anyio": anyio,
        "httpx": httpx,
        "attrs": attrs,
        "pytest": pytest,
        "Any": Any,
        "Path": Path,
        "Model": Model,
        "wire": wire,
        "RequestSpec": RequestSpec,
        "SqliteJournal": SqliteJournal,
        "JobStatus": JobStatus,
        "FileState": FileState,
        "Emulator": Emulator,
        "app": FastAPI(),
        "paths": paths,
        "path": paths[0],
        "folder": Path("."),
        "raw_body": raw_body,
        "request": request,
        "secret": SECRET,
    }


async def run_fragment(block: Block, names: dict[str, Any]) -> None:
    """Run a fragment with top-level ``await`` inside the prelude's session and clients."""
    async with aiospaces.Session() as session:
        pn = session.pubnub()
        mux = session.mux()
        if "space_id" not in names:  # an active Mux space and a live stream; a PubNub space
            stream = await mux.create_live_stream(playback_policy="public")
            space = await mux.create_space()
            connect = f"{names['base_url']}/_emulator/mux/spaces/{space.id}/participants"
            async with httpx.AsyncClient() as control:
                (await control.post(connect, json={"participant_id": "ann"})).raise_for_status()
            names.update(stream=stream, space_id=space.id)
            await pn.create_space(space_id="room", name="Room")
        names.update(session=session, pn=pn, mux=mux, nio=session.neuroio())
        code = compile(
            block.code, f"{block.page}#{block.index}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        result = eval(code, names)  # noqa: S307 - our own documentation
        if inspect.iscoroutine(result):
            await result


def run_pytest(block: Block, tmp_path: Path) -> None:
    folder = tmp_path / f"pytest-{block.index}"
    folder.mkdir()
    (folder / "test_recipe.py").write_text(block.code)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PUBNUB_", "MUX_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_recipe.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d+ passed", done.stdout)
    assert "failed" not in done.stdout
    assert "skipped" not in done.stdout


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_example_runs(
    page: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    found = blocks(page)
    if not found:
        return
    (tmp_path / "work").mkdir()
    with served_environment(monkeypatch, tmp_path / "work") as url:
        names = base_names()
        names["base_url"] = url
        base = dict(names)
        for block in found:
            names.update(base)  # a block may rebind ``pn`` or ``emulator``: not for the next
            if block.marker == "skip":
                continue
            if block.marker == "pytest":
                run_pytest(block, tmp_path)
                continue
            try:
                code = compile(block.code, f"{block.page}#{block.index}", "exec")
            except SyntaxError:  # top-level await: a fragment
                asyncio.run(run_fragment(block, names))
            else:
                exec(code, names)  # noqa: S102 - our own documentation
    out = capsys.readouterr().out
    for expected in EXPECTED.get(page.name, []):
        assert expected in out, f"{page.name}: {expected!r} not in the output:\n{out}"


def test_skipped_examples_are_rare_and_say_why() -> None:
    every = [block for page in PAGES for block in blocks(page)]
    skipped = [block for block in every if block.marker == "skip"]
    assert len(every) >= 30
    assert len(skipped) <= len(every) // 10, [(b.page, b.index) for b in skipped]
    assert all(len(block.reason) >= 10 for block in skipped)


def test_the_readme_has_an_install_line_a_short_program_and_links_to_the_recipes() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "pip install aiospaces" in readme
    programs = [b for b in blocks(ROOT / "README.md") if "asyncio.run(" in b.code]
    assert programs
    assert len(programs[0].code.strip().splitlines()) <= 20
    assert "docs/recipes.md" in readme
