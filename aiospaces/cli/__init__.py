"""The ``aiospaces`` command line (needs the ``cli`` extra): one module per command group.

- ``aiospaces files ...`` ([files][aiospaces.cli.files]): PubNub file sharing;
- ``aiospaces functions ...`` ([functions][aiospaces.cli.functions]): PubNub Functions;
- ``aiospaces emulator ...`` ([emulator][aiospaces.cli.emulator]): serve the emulator;
- ``aiospaces demo`` ([demo][aiospaces.cli.demo]): the ``make demo`` workload.

Every command runs its async work with ``anyio.run``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from aiospaces._version import __version__
from aiospaces.cli import emulator, files, functions
from aiospaces.cli._typer import App

__all__ = ["app", "demo_command", "main", "options", "version"]

app = App(help="aiospaces: async SDK and emulator for spaces APIs.")
app.add_typer(files.app, name="files")
app.add_typer(functions.app, name="functions")
app.add_typer(emulator.app, name="emulator")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"aiospaces {__version__}")
        raise typer.Exit


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """aiospaces: async SDK and emulator for spaces APIs."""


@app.command("demo")
def demo_command(
    backend: Annotated[
        str, typer.Option(help="Connection backend: auto (aiohttp if installed), httpx or aiohttp.")
    ] = "auto",
    count: Annotated[int, typer.Option(min=1, help="How many objects the workload creates.")] = 25,
    files: Annotated[int, typer.Option(min=1, help="How many files the workload uploads.")] = 300,
) -> None:
    """Run the demo workload against a local server and check every result."""
    # the demo serves the emulator: its extra (starlette, uvicorn) is needed here only
    from aiospaces.cli import demo as workload  # noqa: PLC0415

    choices: dict[str, Literal["auto", "httpx", "aiohttp"]] = {
        "auto": "auto",
        "httpx": "httpx",
        "aiohttp": "aiohttp",
    }
    if backend not in choices:
        raise typer.BadParameter("backend must be auto, httpx or aiohttp", param_hint="--backend")
    workload.run(choices[backend], count, files)


@app.command()
def version() -> None:
    """Print the installed aiospaces version."""
    typer.echo(__version__)


def main() -> None:
    """Run the command line."""
    app()
