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


functions_app = typer.Typer(
    help="Deploy PubNub Functions (v1 blocks) through the Admin API.", no_args_is_help=True
)
app.add_typer(functions_app, name="functions")


@functions_app.command("deploy")
def functions_deploy(
    handler: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The handler's JavaScript file.")
    ],
    key_id: Annotated[int, typer.Option(min=1, help="Keyset id (from the portal's apps).")],
    block_id: Annotated[int, typer.Option(min=1, help="Block id.")],
    event: Annotated[str, typer.Option(help="Event, e.g. js-on-rest or js-before-publish.")],
    path: Annotated[str | None, typer.Option(help="URL path of a js-on-rest handler.")] = None,
    channels: Annotated[str | None, typer.Option(help="Channel pattern (channel events).")] = None,
    name: Annotated[
        str | None, typer.Option(help="Handler name (default: the path, else the file's stem).")
    ] = None,
    email: Annotated[str | None, typer.Option(envvar="PUBNUB_ADMIN_EMAIL")] = None,
    password: Annotated[
        str | None, typer.Option(envvar="PUBNUB_ADMIN_PASSWORD", show_default=False)
    ] = None,
    base_url: Annotated[str | None, typer.Option(envvar="PUBNUB_ADMIN_URL")] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for the start.")] = 60,
) -> None:
    """Create or update a block's handler from HANDLER, restart the block, wait until it runs."""
    import asyncio  # noqa: PLC0415

    from aiospaces.pubnub_admin import PubNubAdmin  # noqa: PLC0415 - only needed here

    async def deploy() -> str:
        async with PubNubAdmin(email=email, password=password, base_url=base_url) as adm:
            done = await adm.deploy_event_handler(
                key_id=key_id,
                block_id=block_id,
                event=event,
                code_file=handler,
                name=name,
                channels=channels,
                path=path,
                timeout=timeout,
            )
        verb = "created" if done.created else "updated"
        return (
            f"{verb} handler {done.handler.name!r} (id {done.handler.id}) on block {block_id}; "
            f"block {done.block.state}"
        )

    try:
        typer.echo(asyncio.run(deploy()))
    except aiospaces.AiospacesError as error:
        typer.echo(f"error: {error}", err=True)
        stack = getattr(error, "stack", None)
        if stack:
            typer.echo(stack, err=True)
        raise typer.Exit(1) from error


@app.command()
def version() -> None:
    """Print the installed aiospaces version."""
    typer.echo(aiospaces.__version__)


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m aiospaces.cli`
    main()
