"""``aiospaces functions ...``: deploy PubNub Functions (v1 blocks) through the Admin API."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - typer reads the annotations at run time
from typing import Annotated

import anyio
import typer

from aiospaces.cli._typer import App
from aiospaces.core.errors import AiospacesError
from aiospaces.pubnub_admin.client import PubNubAdmin

__all__ = ["app", "deploy"]

app = App(help="Deploy PubNub Functions (v1 blocks) through the Admin API.")


@app.command("deploy")
def deploy(
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

    async def run() -> str:
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
        typer.echo(anyio.run(run))
    except AiospacesError as error:
        typer.echo(f"error: {error}", err=True)
        stack = getattr(error, "stack", None)
        if stack:
            typer.echo(stack, err=True)
        raise typer.Exit(1) from error
