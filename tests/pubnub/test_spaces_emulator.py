"""The Spaces calls against the emulator: behaviour, paging, filters, conflicts."""

from __future__ import annotations

import anyio
import pytest

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.pubnub import F, PubNub, Sort


@pytest.fixture
async def pn(emulator_session: aiospaces.Session) -> PubNub:
    return emulator_session.pubnub(
        subscribe_key="sub-c-spaces", user_id="tester", origin="emu", ssl=False
    )


async def test_crud_round_trip(pn: PubNub) -> None:
    created = await pn.create_space(space_id="room-1", name="Room 1", custom={"tier": "gold"})
    assert created.custom is None  # custom only comes back when asked for
    fetched = await pn.fetch_space(space_id="room-1").include_custom()
    assert fetched.custom == {"tier": "gold"}
    assert fetched.etag == created.etag
    updated = await pn.update_space(space_id="room-1", description="d").include_custom()
    assert (updated.name, updated.description, updated.custom) == ("Room 1", "d", {"tier": "gold"})
    assert updated.updated >= created.updated
    await pn.remove_space(space_id="room-1")
    with pytest.raises(aiospaces.NotFoundError):
        await pn.fetch_space(space_id="room-1")
    await pn.remove_space(space_id="room-1")  # again: production answers 200, so do we


async def test_etag_conflict_is_precondition_failed(pn: PubNub) -> None:
    first = await pn.create_space(space_id="r", name="A")
    second = await pn.update_space(space_id="r", name="B").if_matches_etag(first.etag)
    assert second.name == "B"
    with pytest.raises(aiospaces.PreconditionFailedError) as caught:
        await pn.update_space(space_id="r", name="C").if_matches_etag(first.etag)
    assert caught.value.message == "Channel to update has been modified after it was read."


async def test_filter_sort_and_paging_over_250_spaces(pn: PubNub) -> None:
    limiter = anyio.CapacityLimiter(16)

    async def make(i: int) -> None:
        async with limiter:
            name = f"{'Room' if i % 5 else 'Hall'} {i:03}"
            await pn.create_space(space_id=f"s{i:03}", name=name, custom={"n": i})

    async with anyio.create_task_group() as tg:
        for i in range(250):
            tg.start_soon(make, i)

    everything = [s.id async for s in pn.fetch_spaces().limit(100)]
    assert everything == sorted(everything)
    assert len(everything) == len(set(everything)) == 250

    rooms = pn.fetch_spaces(limit=30).filter(F.name.like("Room*")).sort(Sort.desc("name"))
    rooms.include_total_count()
    pages = [page async for page in rooms.pages()]
    names = [s.name or "" for page in pages for s in page.data]
    assert pages[0].total_count == 200
    # 6 full pages, a short one that still links on (as production does), then the empty end
    assert [len(page.data) for page in pages] == [30] * 6 + [20, 0]
    assert pages[-2].next is not None
    assert pages[-1].next is None
    assert names == sorted(names, reverse=True)
    assert len(names) == len(set(names)) == 200

    heavy = [s async for s in pn.fetch_spaces().filter("custom.n >= 245").include_custom()]
    assert sorted(s.custom["n"] for s in heavy if s.custom) == [245, 246, 247, 248, 249]


async def test_page_objects_round_trip(pn: PubNub) -> None:
    for i in range(5):
        await pn.create_space(space_id=f"p{i}", name=f"P{i}")
    first = await pn.fetch_spaces().limit(2)
    second = await pn.fetch_spaces().limit(2).page(first.next)
    back = await pn.fetch_spaces().limit(2).page(second.prev)
    assert [s.id for s in first.data] == ["p0", "p1"]
    assert [s.id for s in second.data] == ["p2", "p3"]
    assert back.data == first.data


async def test_bad_filter_is_a_typed_400(pn: PubNub) -> None:
    await pn.create_space(space_id="x", name="X", custom={"n": 1})
    with pytest.raises(aiospaces.BadRequestError) as caught:
        await pn.fetch_spaces().filter('custom.n == "one"')
    assert "type mismatch" in caught.value.details[0]["message"]


@pytest.mark.emulator(strict=True)
async def test_signed_and_authorized_requests_pass_strict_mode(
    emulator_session: aiospaces.Session, emulator: Emulator
) -> None:
    emulator.vendors["pubnub"].seed(
        {"subscribe_key": "sub-c-s", "publish_key": "pub-c-s", "secret_key": "sec-c-s",
         "auth_keys": ["tok"]}
    )  # fmt: skip
    pn = emulator_session.pubnub(
        subscribe_key="sub-c-s", publish_key="pub-c-s", secret_key="sec-c-s", token="tok",
        user_id="me", origin="emu", ssl=False,
    )  # fmt: skip
    created = await pn.create_space(space_id="signed", name="Signed", custom={"a": "b c"})
    assert created.name == "Signed"
    listed = await pn.fetch_spaces().filter('name LIKE "Sig*"').sort("name").limit(5)
    assert [s.id for s in listed.data] == ["signed"]
    wrong = emulator_session.pubnub(
        subscribe_key="sub-c-s", publish_key="pub-c-s", secret_key="wrong", token="tok",
        user_id="me", origin="emu", ssl=False,
    )  # fmt: skip
    with pytest.raises(aiospaces.PermissionDeniedError, match="Signature"):
        await wrong.fetch_space(space_id="signed")
