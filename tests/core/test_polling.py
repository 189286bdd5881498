from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from aiospaces.core import polling
from aiospaces.core.errors import ValidationError
from aiospaces.core.polling import poll_until


class Expired(Exception):
    pass


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(polling, "_sleep", fake_sleep)
    return recorded


async def test_polls_with_a_doubling_pause_until_done(pauses: list[float]) -> None:
    values = iter(range(10))

    async def fetch() -> int:
        return next(values)

    result = await poll_until(
        fetch, lambda n: n == 5, timeout=60, interval=0.1, max_interval=0.5, expired=Expired
    )
    assert result == 5
    assert pauses == [0.1, 0.2, 0.4, 0.5, 0.5]


async def test_pauses_adding_up_to_the_timeout_expire_with_the_last_value(
    pauses: list[float],
) -> None:
    async def fetch() -> str:
        return "still busy"

    seen: list[tuple[object, float]] = []

    def expired(last: object, waited: float) -> Expired:
        seen.append((last, waited))
        return Expired()

    with pytest.raises(Expired):
        await poll_until(fetch, lambda s: False, timeout=1.0, interval=0.3, expired=expired)
    assert pauses == pytest.approx([0.3, 0.6, 0.1])  # the last pause is cut to the deadline
    ((last, waited),) = seen
    assert last == "still busy"
    assert waited == pytest.approx(1.0)


async def test_a_hanging_fetch_is_cut_by_the_deadline() -> None:
    async def fetch() -> int:
        await anyio.sleep(30)
        return 1

    with pytest.raises(Expired):
        await poll_until(fetch, bool, timeout=0.05, expired=lambda last, waited: Expired(last))


async def test_done_may_end_the_wait_with_its_own_error(pauses: list[float]) -> None:
    async def fetch() -> int:
        return 3

    def done(value: int) -> bool:
        raise ValueError(f"gave up on {value}")

    with pytest.raises(ValueError, match="gave up on 3"):
        await poll_until(fetch, done, timeout=5, expired=Expired)
    assert pauses == []


@pytest.mark.parametrize(
    "bad", [{"timeout": 0}, {"interval": -1}, {"max_interval": float("nan")}, {"timeout": "5"}]
)
async def test_bad_waiting_arguments_fail_before_any_fetch(bad: dict[str, object]) -> None:
    fetched: list[int] = []

    async def fetch() -> int:
        fetched.append(1)
        return 1

    arguments: dict[str, object] = {"timeout": 5, "interval": 0.1, "max_interval": 1.0, **bad}
    with pytest.raises(ValidationError):
        await poll_until(fetch, bool, expired=Expired, **arguments)  # type: ignore[arg-type]
    assert fetched == []


async def test_default_pauses_double_from_a_tenth_up_to_two_seconds(pauses: list[float]) -> None:
    values = iter(range(10))

    async def fetch() -> int:
        return next(values)

    assert await poll_until(fetch, lambda n: n == 8, timeout=60, expired=Expired) == 8
    assert pauses == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0])


async def test_a_first_fetch_cut_by_the_deadline_expires_with_none() -> None:
    seen: list[object] = []

    async def fetch() -> int:
        await anyio.sleep(30)
        return 1

    def expired(last: object, waited: float) -> Expired:
        seen.append(last)
        return Expired()

    with pytest.raises(Expired):
        await poll_until(fetch, bool, timeout=0.05, expired=expired)
    assert seen == [None]


async def test_pauses_really_wait() -> None:
    calls: list[float] = []

    async def fetch() -> int:
        calls.append(anyio.current_time())
        return len(calls)

    assert await poll_until(fetch, lambda n: n == 3, timeout=5, interval=0.02, expired=Expired) == 3
    assert calls[1] - calls[0] >= 0.02
    assert calls[2] - calls[1] >= 0.04


@pytest.mark.parametrize("name", ["timeout", "interval", "max_interval"])
async def test_a_bad_waiting_argument_is_named_in_the_error(name: str) -> None:
    async def fetch() -> int:
        return 1

    arguments: dict[str, float] = {"timeout": 5, "interval": 0.1, "max_interval": 1.0, name: 0}
    with pytest.raises(ValidationError) as caught:
        await poll_until(fetch, bool, expired=Expired, **arguments)
    assert str(caught.value) == f"{name} must be a positive number of seconds, not 0"
