"""The ``aiospaces`` command line (needs the ``cli`` extra)."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - typer reads the annotations at run time
from typing import Annotated, Literal

import typer

import aiospaces

__all__ = ["app", "main"]

app = typer.Typer(help="aiospaces: async SDK and emulator for spaces APIs.", no_args_is_help=True)


@app.command()
def demo(
    backend: Annotated[str, typer.Option(help="Connection backend: httpx or aiohttp.")] = "httpx",
    count: Annotated[int, typer.Option(min=1, help="How many objects the workload creates.")] = 25,
    files: Annotated[int, typer.Option(min=1, help="How many files the workload uploads.")] = 200,
) -> None:
    """Run the demo workload against a local server and check every result."""
    from aiospaces import _demo  # noqa: PLC0415 - imports uvicorn, only needed here

    if backend not in ("httpx", "aiohttp"):
        raise typer.BadParameter("backend must be httpx or aiohttp", param_hint="--backend")
    chosen: Literal["httpx", "aiohttp"] = "aiohttp" if backend == "aiohttp" else "httpx"
    _demo.run(chosen, count, files)


emulator_app = typer.Typer(help="Run the vendor emulator.", no_args_is_help=True)
app.add_typer(emulator_app, name="emulator")


@emulator_app.command("serve")
def emulator_serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0 picks a free one).")] = 8089,
    strict: Annotated[
        bool, typer.Option(help="Accept only seeded keys; enforce auth and signatures.")
    ] = False,
    seed: Annotated[int | None, typer.Option(help="Seed for probabilistic faults.")] = None,
    max_upload_size: Annotated[
        int, typer.Option(min=1, help="Largest accepted upload in bytes.")
    ] = 5 * 1024 * 1024,
    storage_dir: Annotated[
        Path | None, typer.Option(help="Keep uploaded files here instead of in memory.")
    ] = None,
) -> None:
    """Serve the emulator on HOST:PORT and print the settings each vendor client needs."""
    import json  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from aiospaces.emulator.app import Emulator  # noqa: PLC0415 - needs the emulator extra

    emulator = Emulator(
        strict=strict, seed=seed, max_upload_size=max_upload_size, storage_dir=storage_dir
    )
    with emulator.serve(host, port) as base_url:
        typer.echo(f"aiospaces emulator listening on {base_url} (Ctrl+C stops it)")
        typer.echo(json.dumps(emulator.settings(base_url), indent=2))
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            typer.echo("stopping")


def _add_files_commands() -> None:
    from aiospaces._cli_files import files_app  # noqa: PLC0415 - keeps this module small

    app.add_typer(files_app, name="files")


_add_files_commands()


@app.command()
def version() -> None:
    """Print the installed aiospaces version."""
    typer.echo(aiospaces.__version__)


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m aiospaces.cli`
    main()
