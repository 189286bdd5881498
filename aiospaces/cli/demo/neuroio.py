"""The NeuroIO part of `make demo`: log in, then a space's whole life against the emulator."""

from __future__ import annotations

import functools
import secrets
from typing import TYPE_CHECKING

from aiospaces.cli.demo._checks import DemoError, check
from aiospaces.core.errors import BadRequestError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from aiospaces.session import Session

__all__ = ["run"]


_check = functools.partial(check, part="NeuroIO")


async def run(session: Session, base_url: str) -> list[tuple[str, str]]:
    """Run the NeuroIO workload on ``session`` against the emulator at ``base_url``.

    Returns:
        (step, outcome) rows for the demo's summary table.

    Raises:
        DemoError: A result was not what the emulated API promises.
    """
    rows: list[tuple[str, str]] = []
    anonymous = session.neuroio(api_token=None, iam_url=base_url)
    username, password = f"demo-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    login = await anonymous.auth.token(username=username, password=password)
    _check(
        not login.token.permanent and login.token.expires is not None, "login token is temporary"
    )
    nio = anonymous.with_token(login.token.key)
    me = await nio.whoami()
    _check(me.space is not None and me.space.name == "default", "account acts in 'default'")
    rows.append(("login + whoami", f"{me.username} in space {me.space!r}"))

    space = await nio.spaces.create(name="Demo lobby")
    _check(space.name == "Demo lobby", "created space has its name")
    found = [s async for s in nio.spaces.list(q="demo lob", limit=1)]
    _check(found == [space], "search finds the space")
    every = await nio.lists.spaces.all()
    _check({s.name for s in every} == {"default", "Demo lobby"}, "full list")
    rows.append(("create + list", f"{space!r}; {len(every)} spaces in all"))

    token = await nio.spaces.token(space.id, permanent=False)
    scoped = await nio.with_token(token.key).whoami()
    _check(scoped.space == space and scoped.username is None, "space token is scoped")
    rows.append(("space token", f"whoami -> {scoped.space!r}"))

    renamed = await nio.spaces.update(space.id, name="Demo hall")
    _check(renamed.name == "Demo hall" and (await nio.spaces.get(space.id)) == renamed, "rename")
    rows.append(("rename (PATCH)", repr(renamed)))

    for _ in range(5):
        await nio.tokens.create(permanent=True)
    try:
        await nio.tokens.create(permanent=True)
    except BadRequestError as error:
        rows.append(("6th permanent token", f"{type(error).__name__}: {error.message}"))
    else:
        raise DemoError("NeuroIO demo failed: a 6th permanent token was accepted")

    await nio.spaces.delete(space.id)
    try:
        await nio.spaces.get(space.id)
    except NotFoundError as error:
        rows.append(("delete", f"then get -> {type(error).__name__} {error.status_code}"))
    else:
        raise DemoError("NeuroIO demo failed: a deleted space was still there")
    try:
        await nio.spaces.create(name="")
    except ValidationError as error:
        rows.append(("validation", f"before any request: {error}"))
    return rows
