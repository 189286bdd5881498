"""A quick run of the hostile-input sweep: nothing untyped, late, dotted or echoed.

``benchmarks`` run the same sweep with many more values per target (``run_fuzz(200)``).
"""

from __future__ import annotations

import time

from tests.reliability.fuzz import FuzzResult, run_fuzz
from tests.reliability.fuzz_targets import targets

EXAMPLES = 6


def test_a_quick_sweep_finds_nothing() -> None:
    started = time.perf_counter()
    result = run_fuzz(EXAMPLES)
    assert result.clean, result.table()
    assert result.targets == len(targets()) > 500
    assert result.calls >= result.targets * (EXAMPLES - 2)  # a few targets have fewer ways
    assert result.requests > 100  # hostile values that are valid did reach the emulator
    assert time.perf_counter() - started < 45


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
