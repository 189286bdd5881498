from __future__ import annotations

from typer.testing import CliRunner

import aiospaces
from aiospaces.cli import app

runner = CliRunner()


def test_demo_runs_end_to_end() -> None:
    result = runner.invoke(app, ["demo", "--count", "12"])
    assert result.exit_code == 0, result.output
    assert "listed 12 notes" in result.output
    assert "every check passed" in result.output


def test_demo_on_the_aiohttp_backend() -> None:
    result = runner.invoke(app, ["demo", "--backend", "aiohttp", "--count", "6"])
    assert result.exit_code == 0, result.output


def test_demo_rejects_an_unknown_backend() -> None:
    result = runner.invoke(app, ["demo", "--backend", "curl"])
    assert result.exit_code == 2
    assert "backend" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.output.strip() == aiospaces.__version__
