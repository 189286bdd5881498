"""The official PubNub SDK (pubnub==10.8.0), unchanged, pointed at the emulator.

Every test runs twice: against the emulator in memory, and with a state file.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from aiospaces.emulator import Emulator

# The Spaces ("entities") calls exist only with this flag set before pubnub is imported.
os.environ["PN_ENABLE_ENTITIES"] = "1"

SUB = "sub-c-conformance"
PUB = "pub-c-conformance"


def make_config(emulator_url: str, **extra: Any) -> Any:
    from pubnub.pnconfiguration import PNConfiguration

    config = PNConfiguration()
    config.subscribe_key = SUB
    config.publish_key = PUB
    config.user_id = "conformance-tester"
    config.origin = emulator_url.split("://", 1)[1]
    config.ssl = False
    # SDK bug: its subscription manager opens a new event loop (asyncio.new_event_loop in
    # EventEngineSubscriptionManager) and never closes it. Tests that subscribe turn it on and
    # close that loop themselves (test_official_realtime.py).
    config.enable_subscribe = False
    for key, value in extra.items():
        setattr(config, key, value)
    return config


@pytest.fixture
async def official(emulator_url: str) -> AsyncIterator[Any]:
    """An official ``PubNubAsyncio`` client talking to the emulator on its loopback port."""
    from pubnub.pubnub_asyncio import PubNubAsyncio

    pubnub = PubNubAsyncio(make_config(emulator_url))
    yield pubnub
    await pubnub.stop()


@pytest.fixture(params=["in-memory", "state-file"])
def emulator(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Emulator]:
    """The plugin's emulator (configured by the ``emulator`` marker), run twice: in memory,
    and with a state file (``--state``: every state-changing answer waits for its commit)."""
    options: dict[str, Any] = {}
    marker = request.node.get_closest_marker("emulator")
    if marker is not None:
        options.update(marker.kwargs)
    if request.param == "state-file":
        options["state_path"] = tmp_path / "emulator-state.db"
    emulator = Emulator(**options)
    yield emulator
    emulator.close()
