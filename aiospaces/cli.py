"""The ``aiospaces`` command line (needs the ``cli`` extra)."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

import aiospaces

__all__ = ["app", "main"]

app = typer.Typer(help="aiospaces: async SDK and emulator for spaces APIs.", no_args_is_help=True)


@app.command()
def demo(
    backend: Annotated[str, typer.Option(help="Connection backend: httpx or aiohttp.")] = "httpx",
    count: Annotated[int, typer.Option(min=1, help="How many objects the workload creates.")] = 25,
) -> None:
    """Run the demo workload against a local server and check every result."""
    from aiospaces import _demo  # noqa: PLC0415 - imports uvicorn, only needed here

    if backend not in ("httpx", "aiohttp"):
        raise typer.BadParameter("backend must be httpx or aiohttp", param_hint="--backend")
    chosen: Literal["httpx", "aiohttp"] = "aiohttp" if backend == "aiohttp" else "httpx"
    _demo.run(chosen, count)


@app.command()
def version() -> None:
    """Print the installed aiospaces version."""
    typer.echo(aiospaces.__version__)


def main() -> None:
    """Run the command line."""
    app()
