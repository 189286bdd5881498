"""``aiospaces emulator ...``: serve the vendor emulator on a local port."""

from __future__ import annotations

import json
import threading
from pathlib import Path  # noqa: TC003 - typer reads the annotations at run time
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from aiospaces.cli._typer import App

if TYPE_CHECKING:
    from aiospaces.emulator import Emulator

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
    state: Annotated[
        Path | None,
        typer.Option(
            help="Keep every vendor's state in this SQLite file across restarts "
            "(uploaded files go to --storage-dir, by default STATE.files)."
        ),
    ] = None,
    fault_mode: Annotated[
        str,
        typer.Option(help="Which fault rules act on a request: 'first' that fires, or 'all'."),
    ] = "first",
    request_log_size: Annotated[
        int,
        typer.Option(min=0, help="How many of the newest requests the request log keeps."),
    ] = 1000,
) -> None:
    """Serve the emulator on HOST:PORT and print the settings each vendor client needs.

    A taken port, a bad --state file or a storage directory that cannot be written end
    the command with one line on stderr and exit code 2.
    """
    from aiospaces.emulator import Emulator, StateFileError  # noqa: PLC0415 - the emulator extra

    try:
        emulator = Emulator(
            strict=strict,
            seed=seed,
            max_upload_size=max_upload_size,
            storage_dir=storage_dir,
            subscribe_timeout=subscribe_timeout,
            state_path=state,
            fault_mode=fault_mode,  # type: ignore[arg-type] # checked by the emulator
            request_log_size=request_log_size,
        )
    except StateFileError as exc:
        _fail(str(exc))
    except ValueError as exc:  # the fault mode
        _fail(f"--fault-mode: {exc}")
    except OSError as exc:
        _fail(f"cannot use storage directory {storage_dir or exc.filename}: {exc.strerror or exc}")
    try:
        with emulator.serve(host, port) as base_url:
            typer.echo(f"aiospaces emulator listening on {base_url} (Ctrl+C stops it)")
            typer.echo(f"dashboard: {base_url}/_emulator/ui")
            for line in _describe(emulator, state):
                typer.echo(line)
            typer.echo(json.dumps(emulator.settings(base_url), indent=2))
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                typer.echo("stopping")
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    finally:
        emulator.close()


def _describe(emulator: Emulator, state: Path | None) -> list[str]:
    """Return the settings lines ``serve`` prints (state, files, strict, faults)."""
    directory = emulator.storage.directory
    which = "every" if emulator.faults.mode == "all" else "the first"
    return [
        f"state: {state} (kept across restarts)"
        if state
        else "state: in memory (--state keeps it)",
        f"files: {directory}" if directory else "files: in memory (--storage-dir keeps them)",
        f"strict: {'on' if emulator.strict else 'off'}",
        f"fault rules: {which} rule that fires acts",
        f"request log: the last {emulator.requests.size} requests (/_emulator/requests)",
    ]


def _fail(message: str) -> NoReturn:
    """End the command with one line on stderr and exit code 2."""
    typer.echo(f"aiospaces emulator: {message}", err=True)
    raise typer.Exit(2)
