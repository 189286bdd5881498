"""``aiospaces emulator ...``: serve the vendor emulator on a local port."""

from __future__ import annotations

import json
import threading
from pathlib import Path  # noqa: TC003 - typer reads the annotations at run time
from typing import Annotated

import typer

from aiospaces.cli._typer import App

__all__ = ["app", "serve"]

app = App(help="Run the vendor emulator.")


@app.command("serve")
def serve(
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
    subscribe_timeout: Annotated[
        float,
        typer.Option(min=0, help="Seconds a PubNub subscribe long-poll waits for a message."),
    ] = 280.0,
) -> None:
    """Serve the emulator on HOST:PORT and print the settings each vendor client needs."""
    from aiospaces.emulator import Emulator  # noqa: PLC0415 - needs the emulator extra

    emulator = Emulator(
        strict=strict,
        seed=seed,
        max_upload_size=max_upload_size,
        storage_dir=storage_dir,
        subscribe_timeout=subscribe_timeout,
    )
    with emulator.serve(host, port) as base_url:
        typer.echo(f"aiospaces emulator listening on {base_url} (Ctrl+C stops it)")
        typer.echo(json.dumps(emulator.settings(base_url), indent=2))
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            typer.echo("stopping")
