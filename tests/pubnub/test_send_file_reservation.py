"""send_file's additions for journals: continue from a Reservation, hooks before the next step."""

from __future__ import annotations

import pytest

import aiospaces
from aiospaces.core.errors import ValidationError
from aiospaces.emulator import Emulator
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub.journal import Reservation
from tests.pubnub.journal_helpers import CHANNEL, KEYS, file_messages, objects


@pytest.fixture
def pn(emulator_session: aiospaces.Session, emulator: Emulator) -> PubNub:
    settings = emulator.settings("http://emulator.test")["pubnub"]
    return emulator_session.pubnub(**KEYS, **settings)


async def test_hooks_run_before_the_store_and_before_the_publish(
    pn: PubNub, emulator: Emulator
) -> None:
    seen: list[tuple[str, Reservation, dict[str, str], int]] = []

    def reserved(reservation: Reservation) -> None:  # a plain function
        seen.append(("reserved", reservation, objects(emulator), len(file_messages(emulator))))

    async def stored(reservation: Reservation) -> None:  # or a coroutine function
        seen.append(("stored", reservation, objects(emulator), len(file_messages(emulator))))

    builder = pn.send_file(
        channel=CHANNEL, file_name="a.txt", file_object=b"hello", on_reserved=reserved
    )
    sent = await builder.on_stored(stored)
    (first, reservation, before_store, _), (second, again, after_store, messages) = seen
    assert (first, second) == ("reserved", "stored")
    assert reservation == again
    assert reservation.file_id == sent.file_id
    assert reservation.file_name == "a.txt"
    assert reservation.created <= reservation.expires - 50  # a minute, from the answer
    assert dict(reservation.fields)["Content-Type"] == "text/plain; charset=utf-8"
    assert before_store == {}
    assert after_store == {sent.file_id: "a.txt"}
    assert messages == 0


async def test_a_failing_hook_stops_before_the_next_step(pn: PubNub, emulator: Emulator) -> None:
    def refuse(_: Reservation) -> None:
        raise RuntimeError("journal unavailable")

    builder = pn.send_file(channel=CHANNEL, file_name="a.txt", file_object=b"x", on_reserved=refuse)
    with pytest.raises(RuntimeError, match="journal unavailable"):
        await builder
    assert builder.reserved is not None
    assert builder.uploaded is None
    assert objects(emulator) == {}

    builder = pn.send_file(channel=CHANNEL, file_name="b.txt", file_object=b"x", on_stored=refuse)
    with pytest.raises(RuntimeError, match="journal unavailable"):
        await builder
    assert builder.uploaded is not None
    assert file_messages(emulator) == []


async def test_a_reservation_is_continued_under_its_own_file_id_and_name(
    pn: PubNub, emulator: Emulator
) -> None:
    kept: list[Reservation] = []

    def stop(reservation: Reservation) -> None:
        kept.append(reservation)
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        await pn.send_file(channel=CHANNEL, file_name="a.txt", file_object=b"x", on_reserved=stop)
    (reservation,) = kept
    hooks: list[Reservation] = []
    builder = pn.send_file(channel=CHANNEL, file_object=b"resumed", on_reserved=hooks.append)
    sent = await builder.reservation(reservation)
    assert hooks == []  # nothing was reserved
    assert (sent.file_id, sent.name) == (reservation.file_id, "a.txt")
    assert objects(emulator) == {reservation.file_id: "a.txt"}
    got = await pn.download_file(channel=CHANNEL, file_id=sent.file_id, file_name="a.txt")
    assert got == b"resumed"


async def test_a_reservation_must_be_one(pn: PubNub) -> None:
    with pytest.raises(ValidationError, match="must be a Reservation"):
        pn.send_file().reservation(("id", "name"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="on_stored must be callable"):
        pn.send_file().on_stored("later")  # type: ignore[arg-type]
