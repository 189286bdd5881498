"""A quick run of the hostile-input sweep: nothing untyped, late, dotted or echoed.

``benchmarks/reliability.py --only fuzz`` runs the same sweep with 40 values per target.
"""

from __future__ import annotations

import pytest

import aiospaces
from tests.reliability.fuzz import FuzzResult, run_fuzz
from tests.reliability.fuzz_targets import BASE_URL, Target, World, targets

EXAMPLES = 6


@pytest.mark.timeout(240)  # a guard only: ~30 s alone, minutes on a machine under load
def test_a_quick_sweep_finds_nothing() -> None:
    result = run_fuzz(EXAMPLES)
    assert result.clean, result.table()
    assert result.targets == len(targets()) > 500
    assert result.calls >= result.targets * (EXAMPLES - 2)  # a few targets have fewer ways
    assert result.requests > 100  # hostile values that are valid did reach the emulator


def test_every_public_entry_point_is_swept() -> None:
    names = {target.name.partition("(")[0] for target in targets()}
    assert {"Session.pubnub", "Session.mux", "Session.neuroio", "Session.pubnub_admin"} <= names
    assert {"Session", "PubNub.upload_files", "webhooks.verify_signature"} <= names
    assert "Mux.delete_space_broadcast" in names
    assert "Tokens.delete" in names
    swept = {target.name for target in targets()}
    assert "Mux.delete_space_broadcast(broadcast_id)" in swept
    assert "PubNub.fetch_space(timeout)" in swept


def test_the_result_reads_as_a_table() -> None:
    result = FuzzResult(
        targets=2,
        calls=10,
        requests=3,
        foreign_errors=1,
        late_validation_errors=0,
        dot_requests=0,
        secret_echoes=0,
        examples=("Mux.get_space(space_id) [keyword] 5: TypeError: boom",),
    )
    assert not result.clean
    table = result.table()
    assert "non-aiospaces exceptions" in table
    assert table.splitlines()[3].split()[-1] == "1"
    assert table.endswith("TypeError: boom")


async def _late(world: World, way: str, value: object) -> object:
    await world.pn.fetch_spaces()
    raise aiospaces.ValidationError("checked after the request")


async def _foreign(world: World, way: str, value: object) -> object:
    raise TypeError("an untyped failure")


async def _dotted(world: World, way: str, value: object) -> object:
    return await world.recorder.get(BASE_URL + "/v2/objects/k/channels/a/%2e%2E/b")


async def _echo(world: World, way: str, value: object) -> object:
    raise aiospaces.ValidationError(f"password must not be {value!r}")


def test_the_counters_see_what_they_count() -> None:
    only = [
        Target("late(x)", ("keyword",), _late),
        Target("foreign(x)", ("keyword",), _foreign),
        Target("dotted(x)", ("keyword",), _dotted),
        Target("echo(password)", ("keyword",), _echo, secret=True),
    ]
    result = run_fuzz(10, only=only)
    assert (result.targets, result.calls) == (4, 40)
    assert (result.late_validation_errors, result.foreign_errors) == (10, 10)
    assert result.dot_requests == 10
    assert 0 < result.secret_echoes < 10  # only text of 4+ characters counts as echoed
    assert result.requests == 20
    assert not result.clean
    assert any("TypeError: an untyped failure" in example for example in result.examples)
    assert any("requested GET" in example and "%2e%2E" in example for example in result.examples)
