"""The `make demo` workload for PubNub Admin: a Functions block from creation to deletion.

Logs in to the served emulator's portal, finds the app and keyset, creates a block with a
``js-on-rest`` handler, starts it and waits until it runs, redeploys changed code (stop, save,
start), stops it and deletes everything. Every result is checked; a mismatch raises.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

from aiospaces.cli.demo._checks import check
from aiospaces.core.errors import AuthenticationError, ConflictError

if TYPE_CHECKING:
    from aiospaces.session import Session

__all__ = ["run"]

_EMAIL = "demo@example.com"
_PASSWORD = "demo-password"  # noqa: S105 - the emulator's sandbox accepts any password
_WRONG_PASSWORD = "not-the-demo-password"  # noqa: S105
_HELLO = "export default (request, response) => response.send('hello');\n"
_HELLO_2 = "export default (request, response) => response.send(`hello ${request.params.who}`);\n"


_check = functools.partial(check, part="admin")


async def run(session: Session, base_url: str) -> list[tuple[str, str]]:
    """Drive a block through its life on the emulator at ``base_url``; return summary rows."""
    rows: list[tuple[str, str]] = []
    adm = session.pubnub_admin(email=_EMAIL, password=_PASSWORD, base_url=base_url)

    me = await adm.login()
    _check(me.user.email == _EMAIL and me.expires.timestamp() > time.time(), "login")
    rows.append(("login", f"user {me.user_id}, account {me.user.account_id}"))

    apps = await adm.list_apps()
    _check(len(apps) == 1 and len(apps[0].keys) == 1, "one app with one keyset")
    key = apps[0].keys[0]
    rows.append(("apps and keysets", f"{apps[0].name!r}: keyset {key.name!r} (key_id {key.id})"))

    block = await adm.create_block(key_id=key.id, name="demo", description="aiospaces demo")
    handler = await adm.create_event_handler(
        key_id=key.id, block_id=block.id, name="hello", event="js-on-rest", path="hello"
    ).code(_HELLO)
    _check(handler.code == _HELLO and handler.block_id == block.id, "handler saved as sent")
    rows.append(("block + handler", f"block {block.id}, js-on-rest /hello (handler {handler.id})"))

    started = time.perf_counter()
    running = await adm.start_block(key_id=key.id, block_id=block.id).wait(timeout=10)
    _check(running.state == running.intended_state == "running", "block running")
    took = (time.perf_counter() - started) * 1000
    rows.append(("start and wait", f"state {running.state!r} after {took:.0f} ms"))

    try:
        await adm.update_event_handler(key_id=key.id, handler_id=handler.id, code=_HELLO_2)
    except ConflictError as error:
        refused = error.message
    else:
        raise RuntimeError("admin demo failed: a running block accepted new code")
    deployed = await adm.deploy_event_handler(
        key_id=key.id, block_id=block.id, event="js-on-rest", path="hello", code=_HELLO_2
    )
    _check(deployed.restarted and not deployed.created, "redeploy stopped and restarted")
    _check([h.code for h in deployed.block.event_handlers] == [_HELLO_2], "new code is live")
    rows.append(("redeploy on a running block", f"409 {refused!r} → stop, save, start"))

    stopped = await adm.stop_block(key_id=key.id, block_id=block.id).wait(timeout=10)
    _check(stopped.state == "stopped", "block stopped")
    await adm.delete_event_handler(key_id=key.id, handler_id=handler.id)
    await adm.delete_block(key_id=key.id, block_id=block.id)
    _check(await adm.list_blocks(key_id=key.id) == [], "block deleted")
    rows.append(("stop and delete", "stopped, handler and block deleted"))

    wrong = session.pubnub_admin(email=_EMAIL, password=_WRONG_PASSWORD, base_url=base_url)
    try:
        await wrong.list_apps()
    except AuthenticationError as error:
        rows.append(("wrong password", f"AuthenticationError {error.status_code}: {error.message}"))
    else:
        raise RuntimeError("admin demo failed: a wrong password was accepted")
    return rows
