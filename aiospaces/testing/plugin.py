"""The aiospaces pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:

- ``emulator``: a fresh [Emulator][aiospaces.emulator.app.Emulator] per test.
- ``emulator_session``: an [aiospaces.Session][aiospaces.session.Session] wired to it
  in-process (no sockets).
- ``emulator_url``: the emulator served on a free loopback port (for official SDKs).

Marker ``@pytest.mark.emulator(strict=False, seed=None, faults=[Fault(...)], **options)``
configures the ``emulator`` fixture of a test. The tests are ``async def``: mark them with
``@pytest.mark.anyio`` or ``@pytest.mark.asyncio`` (or set pytest-asyncio's
``asyncio_mode = "auto"``), or pytest will not run them:

```python
@pytest.mark.anyio
async def test_lobby(emulator_session):
    pn = emulator_session.pubnub(subscribe_key="sub-c", user_id="t", origin="emu", ssl=False)
    assert (await pn.create_space(space_id="lobby", name="Lobby")).name == "Lobby"
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from aiospaces.session import Session

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from aiospaces.emulator.app import Emulator

try:  # async fixtures need pytest-asyncio in strict mode; auto mode also takes plain ones
    from pytest_asyncio import fixture as async_fixture
except ImportError:  # pragma: no cover - pytest-asyncio is in aiospaces' dev extra
    async_fixture = pytest.fixture  # type: ignore[assignment]

__all__ = ["emulator", "emulator_session", "emulator_url", "pytest_configure"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "emulator(strict=False, seed=None, faults=None, **options): configure the emulator fixture",
    )


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Emulator:
    """Return a fresh emulator configured by the test's ``emulator`` marker."""
    from aiospaces.emulator.app import Emulator  # noqa: PLC0415 - needs the emulator extra

    options: dict[str, Any] = {}
    marker = request.node.get_closest_marker("emulator")
    if marker is not None:
        if marker.args:
            raise TypeError("@pytest.mark.emulator takes keyword arguments only")
        options.update(marker.kwargs)
    return Emulator(**options)


@async_fixture
async def emulator_session(emulator: Emulator) -> AsyncIterator[Session]:
    """Yield a Session that talks to the emulator in-process."""
    async with Session(transport=emulator.transport()) as session:
        yield session


@pytest.fixture
def emulator_url(emulator: Emulator) -> Iterator[str]:
    """Serve the emulator on a free 127.0.0.1 port and yield its base URL."""
    with emulator.serve() as url:
        yield url
