"""The calls that must not run twice, and how to count what they created.

Shared by ``tests/reliability/test_ambiguous.py`` (in-process, a transport that loses answers)
and ``benchmarks/reliability.py`` (a served emulator whose fault rules lose them). Each case
names the request to lose (method, path) and builds the call; ``how_many`` counts, through the
vendor's own reads, what such calls have created so far.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiospaces
from aiospaces.core.builder import Builder
from aiospaces.emulator import Emulator

Make = Callable[[aiospaces.Session, Emulator, str], Awaitable[Builder[Any]]]


def settings(emulator: Emulator, vendor: str, base: str = "http://emu") -> dict[str, Any]:
    """The vendor client's settings for the emulator at ``base``."""
    found: dict[str, Any] = emulator.settings(base)[vendor]
    return found


async def count(items: Any) -> int:
    """How many items an async iterable yields."""
    return len([item async for item in items])


async def _mux_space(session: aiospaces.Session, emulator: Emulator, base: str) -> Builder[Any]:
    return session.mux(**settings(emulator, "mux", base)).create_space()


async def _mux_stream(session: aiospaces.Session, emulator: Emulator, base: str) -> Builder[Any]:
    return session.mux(**settings(emulator, "mux", base)).create_live_stream(
        playback_policy="public"
    )


async def _nio_space(session: aiospaces.Session, emulator: Emulator, base: str) -> Builder[Any]:
    return session.neuroio(**settings(emulator, "neuroio", base)).spaces.create(name="room")


async def _nio_token(session: aiospaces.Session, emulator: Emulator, base: str) -> Builder[Any]:
    return session.neuroio(**settings(emulator, "neuroio", base)).tokens.create()


async def _admin_block(session: aiospaces.Session, emulator: Emulator, base: str) -> Builder[Any]:
    adm = session.pubnub_admin(**settings(emulator, "pubnub_admin", base))
    apps = await adm.list_apps()
    return adm.create_block(key_id=apps[0].keys[0].id, name="greeter")


async def _publish(session: aiospaces.Session, emulator: Emulator, base: str) -> Builder[Any]:
    pn = session.pubnub(
        subscribe_key="sub-c",
        publish_key="pub-c",
        user_id="me",
        **settings(emulator, "pubnub", base),
    )
    sent = await pn.send_file(channel="ch", file_name="a.txt", file_object=b"a")
    return pn.publish_file_message(channel="ch", file_id=sent.file_id, file_name="a.txt")


CASES: dict[str, tuple[str, str, Make]] = {
    # name: (method, a part of the path to lose the answer of, the call)
    "mux create_space": ("POST", "/video/v1/spaces", _mux_space),
    "mux create_live_stream": ("POST", "/video/v1/live-streams", _mux_stream),
    "neuroio spaces.create": ("POST", "/v1/spaces/", _nio_space),
    "neuroio tokens.create": ("POST", "/v1/tokens/", _nio_token),
    "admin create_block": ("POST", "/block", _admin_block),
    "pubnub publish_file_message": ("GET", "/publish-file/", _publish),
}


async def how_many(name: str, session: aiospaces.Session, emulator: Emulator, base: str) -> int:
    """Count what the operation creates, through the vendor's own reads."""
    if name.startswith("mux"):
        mux = session.mux(**settings(emulator, "mux", base))
        lister = mux.list_spaces() if "space" in name else mux.list_live_streams()
        return await count(lister)
    if name.startswith("neuroio"):
        nio = session.neuroio(**settings(emulator, "neuroio", base))
        if "spaces" in name:
            return await count(nio.spaces.list()) - 1  # the implicit "default" space
        return await count(nio.tokens.list())
    if name.startswith("admin"):
        adm = session.pubnub_admin(**settings(emulator, "pubnub_admin", base))
        apps = await adm.list_apps()
        return len(await adm.list_blocks(key_id=apps[0].keys[0].id))
    snapshot = emulator.vendors["pubnub"].snapshot()
    return len(snapshot.get("sub-c", {}).get("messages", []))
