"""The NeuroIO client against the emulator: lifecycles, paging, token limits, scopes, auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.emulator.neuroio import NeuroIOEmulation
from aiospaces.neuroio import NeuroIO, Space


def settings(emulator: Emulator) -> dict[str, Any]:
    """The URLs only: each test picks its own token (or none)."""
    found: dict[str, Any] = emulator.settings("http://emu")["neuroio"]
    return {name: value for name, value in found.items() if name != "api_token"}


@pytest.fixture
def nio(emulator_session: aiospaces.Session, emulator: Emulator) -> NeuroIO:
    return emulator_session.neuroio(api_token="sandbox-token", **settings(emulator))


async def test_space_lifecycle_with_pagination_over_120_spaces(nio: NeuroIO) -> None:
    limiter = anyio.CapacityLimiter(16)
    made: list[Space] = []

    async def make(i: int) -> None:
        async with limiter:
            made.append(await nio.spaces.create(name=f"room {i:03}"))

    async with anyio.create_task_group() as tg:
        for i in range(120):
            tg.start_soon(make, i)
    assert len({s.id for s in made}) == 120

    first = await nio.spaces.list()
    assert first.count == 121  # the implicit "default" space too
    assert len(first.results) == 20
    assert first.results[0].name == "default"
    assert first.next is not None
    assert first.next.startswith("http://emu/v1/spaces/?")

    walked = [s async for s in nio.spaces.list(limit=7)]
    assert len(walked) == 121
    assert [s.id for s in walked] == sorted(s.id for s in walked)
    pages = [page async for page in nio.spaces.list(limit=50).pages()]
    assert [len(p.results) for p in pages] == [50, 50, 21]

    rooms_1x = [s.name async for s in nio.spaces.list(q="ROOM 01")]
    assert rooms_1x == [f"room {i:03}" for i in range(10, 20)]
    assert len(await nio.lists.spaces.all()) == 121

    target = made[0]
    renamed = await nio.spaces.update(target.id, name="renamed")
    assert renamed == Space(target.id, "renamed")
    assert await nio.spaces.replace(target.id).name("again") == Space(target.id, "again")
    assert await nio.spaces.get(target.id) == Space(target.id, "again")
    await nio.spaces.delete(target.id)
    with pytest.raises(aiospaces.NotFoundError):
        await nio.spaces.get(target.id)
    assert (await nio.spaces.list(limit=1)).count == 120


async def test_sixth_permanent_token_is_a_typed_error(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    anon = emulator_session.neuroio(**settings(emulator))
    login = await anon.auth.token(username="ann", password="pw")
    assert not login.token.permanent  # a temporary token: it does not count
    nio = anon.with_token(login.token.key)
    for _ in range(5):
        assert (await nio.tokens.create(permanent=True)).permanent
    with pytest.raises(aiospaces.BadRequestError) as caught:
        await nio.tokens.create(permanent=True)
    assert caught.value.status_code == 400
    assert caught.value.error_type == "605"
    assert "5 permanent tokens" in caught.value.message
    assert caught.value.details[0]["name"] == "permanent"
    assert (await nio.tokens.create()).expires is not None  # temporary ones still work
    assert (await nio.tokens.list(permanent=True)).count == 5
    assert (await nio.tokens.list(permanent=False)).count == 2

    space = await nio.spaces.create(name="s")  # the limit holds per space as well
    for _ in range(5):
        await nio.spaces.token(space.id, permanent=True)
    with pytest.raises(aiospaces.BadRequestError):
        await nio.spaces.token(space.id, permanent=True)


@pytest.mark.emulator(strict=True)
async def test_bad_token_is_an_authentication_error(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    emulator.vendors["neuroio"].seed({"username": "ann", "tokens": ["good-token"]})
    good = emulator_session.neuroio(api_token="good-token", **settings(emulator))
    assert (await good.whoami()).username == "ann"
    bad = good.with_token("bad-token")
    with pytest.raises(aiospaces.AuthenticationError) as caught:
        await bad.spaces.list()
    assert caught.value.status_code == 401
    assert caught.value.message == "Invalid token."
    assert caught.value.error_type == "601"


async def test_deactivated_and_expired_tokens_are_refused(nio: NeuroIO, emulator: Emulator) -> None:
    token = await nio.tokens.create()
    other = nio.with_token(token.key)
    assert (await other.whoami()).username is not None
    await nio.tokens.update(token.id, is_active=False)
    with pytest.raises(aiospaces.AuthenticationError):
        await other.whoami()
    await nio.tokens.update(token.key, is_active=True)
    await other.whoami()

    emulation = emulator.vendors["neuroio"]
    assert isinstance(emulation, NeuroIOEmulation)
    emulation.clock = lambda: datetime.now(UTC) + timedelta(hours=25)
    with pytest.raises(aiospaces.AuthenticationError):
        await other.whoami()
    await nio.whoami()  # the permanent sandbox token never expires


async def test_space_tokens_are_scoped_to_their_space(nio: NeuroIO) -> None:
    mine = await nio.spaces.create(name="mine")
    theirs = await nio.spaces.create(name="theirs")
    key = (await nio.spaces.token(mine.id)).key
    scoped = nio.with_token(key)

    who = await scoped.whoami()
    assert (who.username, who.space) == (None, mine)
    assert (await scoped.spaces.list()).results == [mine]
    assert await scoped.lists.spaces.all() == [mine]
    assert await scoped.spaces.get(mine.id) == mine
    with pytest.raises(aiospaces.NotFoundError):
        await scoped.spaces.get(theirs.id)
    with pytest.raises(aiospaces.PermissionDeniedError):
        await scoped.spaces.create(name="nope")
    with pytest.raises(aiospaces.PermissionDeniedError):
        await scoped.spaces.update(mine.id, name="nope")
    with pytest.raises(aiospaces.PermissionDeniedError):
        await scoped.spaces.delete(mine.id)

    # tokens made with a space token belong to that space, and only it sees them
    made = await scoped.tokens.create()
    assert [t.id async for t in scoped.tokens.list()] == [
        t.id for t in (await scoped.tokens.list()).results
    ]
    assert made.id in [t.id async for t in scoped.tokens.list()]
    assert made.id not in [t.id async for t in nio.tokens.list()]
    assert (await nio.whoami()).space == Space(1, "default")

    await nio.spaces.delete(mine.id)  # its tokens go with it
    with pytest.raises(aiospaces.AuthenticationError):
        await scoped.whoami()


async def test_default_space_cannot_be_deleted_or_renamed(nio: NeuroIO) -> None:
    default = (await nio.whoami()).space
    assert default is not None
    with pytest.raises(aiospaces.BadRequestError):
        await nio.spaces.delete(default.id)
    with pytest.raises(aiospaces.BadRequestError):
        await nio.spaces.update(default.id, name="other")


async def test_login_and_wrong_password(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    anon = emulator_session.neuroio(**settings(emulator))
    first = await anon.auth.token(username="bob", password="right")
    again = await anon.auth.token(username="bob", password="right")
    assert first.user.username == "bob"
    assert first.token.key != again.token.key
    with pytest.raises(aiospaces.BadRequestError) as caught:
        await anon.auth.token(username="bob", password="wrong")
    assert caught.value.error_type == "602"
    assert caught.value.message == "Username and password do not match."


async def test_delete_tokens_keeps_the_callers_token(nio: NeuroIO) -> None:
    for permanent in (True, False, False):
        await nio.tokens.create(permanent=permanent)
    await nio.tokens.delete_list(permanent=False)
    assert (await nio.tokens.list()).count == 2
    await nio.tokens.delete_list()
    remaining = (await nio.tokens.list()).results
    assert [t.key for t in remaining] == ["sandbox-token"]
    made = await nio.tokens.create()
    await nio.tokens.delete(made.id)
    with pytest.raises(aiospaces.NotFoundError):
        await nio.tokens.get(made.id)


async def test_pool_has_no_in_flight_connections_after_errors(
    emulator_session: aiospaces.Session, nio: NeuroIO
) -> None:
    with pytest.raises(aiospaces.NotFoundError):
        await nio.spaces.get(999)
    stats = emulator_session.pool_stats()
    assert stats is None or stats.in_flight == 0
