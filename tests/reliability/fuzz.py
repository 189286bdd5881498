"""A hypothesis sweep of hostile input over every public factory, setter and config.

[run_fuzz][tests.reliability.fuzz.run_fuzz] gives every *target* (one keyword of one factory,
setter, config or helper; see ``fuzz_targets.py``) hostile values — wrong types, NaN and
infinities, negative and huge numbers, ``""``, ``"."``, ``".."``, NUL, lone surrogates,
non-ASCII text, bytes, None, containers — by every way it can be given (factory keyword,
position, setter), then awaits the call against the emulator behind a client that records
every request. It counts what must never happen:

- an exception that is not an ``AiospacesError`` (a ``TypeError``, ``UnicodeEncodeError``...);
- a ``ValidationError`` raised after a request was sent (input must be checked first);
- a request whose path has a ``.`` or ``..`` segment, literal or ``%2e``-encoded (URL
  normalisation would send it to another resource);
- a secret echoed in an error message.

```python
result = run_fuzz(examples_per_target=50)
print(result.table())
assert result.clean, result.examples
```

It runs its own event loop (``asyncio.Runner``): call it from synchronous code.
"""

from __future__ import annotations

import asyncio
import math
import zlib
from typing import TYPE_CHECKING

import anyio
import attrs
import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from aiospaces.core.errors import AiospacesError, ValidationError
from tests.reliability.fuzz_targets import World, targets

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tests.reliability.fuzz_targets import Target

__all__ = ["FuzzResult", "hostile", "run_fuzz"]

MAX_EXAMPLES_KEPT = 20
"""How many failing calls a result describes."""
EXAMPLES_PER_TARGET_KEPT = 3
"""How many of them may come from one target."""
CALL_DEADLINE = 10.0
"""Seconds one call may take before it counts as hung (a non-aiospaces outcome)."""

_NASTY_TEXT = [
    *("", " ", "\t", ".", "..", "./..", "%2e", "%2E%2e", ".%2e", "\x00", "a\x00b"),
    *("\ud800", "x\udfffy", "é", "²", "١٢", "\u202e", "\n", "a\r\nX-Injected: 1"),
    *("a/b", "/", "../x", "a/./b", "..\\x", "..%2Fx", "?x=1", "#", "~", "x" * 4096),
]
_NASTY_OTHER: list[object] = [
    *(None, b"", b"sec-c-hostile-bytes", bytearray(b"\xff\xfe"), memoryview(b"m")),
    *(0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 0.0, -0.0, 0.5, -1.5),
    *(math.nan, math.inf, -math.inf, 1e308, 5e-324, True, False),
    *([], [None], ["a", 1], {}, {"": None}, {"k": math.nan}, {"\ud800": "v"}, {1: 2}),
    *(("a",), ("a", "b", "c"), (("k", None),), frozenset(), object()),
    *(httpx.Timeout(math.nan), httpx.Timeout(-1.0), httpx.Timeout(None)),
]


def hostile() -> st.SearchStrategy[object]:
    """Return the strategy of hostile values: hand-picked trouble half the time, else anything."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
    anything = st.one_of(
        st.text(),
        st.text(st.characters(categories=["Cs", "Cc", "Zs", "Nd", "No"]), min_size=1),
        st.binary(max_size=16),
        st.integers(),
        st.floats(),
        st.lists(scalars, max_size=3),
        st.dictionaries(st.text(max_size=4), scalars, max_size=3),
        st.tuples(scalars, scalars),
    )
    return st.one_of(st.sampled_from([*_NASTY_TEXT, *_NASTY_OTHER]), anything)


@attrs.frozen
class FuzzResult:
    """What a sweep did and how often something that must never happen happened.

    Attributes:
        targets: Keywords swept (one factory, setter, config or helper argument each).
        calls: Calls made (each with one hostile value).
        requests: Requests the calls sent.
        foreign_errors: Calls that raised something other than an ``AiospacesError``.
        late_validation_errors: ``ValidationError``s raised after a request was sent.
        dot_requests: Requests with a ``.``/``..`` path segment (also ``%2e``-encoded).
        secret_echoes: Errors whose message holds the secret value that was given.
        examples: Descriptions of the first offending calls.
    """

    targets: int
    calls: int
    requests: int
    foreign_errors: int
    late_validation_errors: int
    dot_requests: int
    secret_echoes: int
    examples: tuple[str, ...]

    @property
    def clean(self) -> bool:
        """Whether nothing that must never happen happened."""
        return not (
            self.foreign_errors
            or self.late_validation_errors
            or self.dot_requests
            or self.secret_echoes
        )

    def table(self) -> str:
        """Return the counts as a small text table (and the examples, if any)."""
        rows = [
            ("targets", self.targets),
            ("calls", self.calls),
            ("requests sent", self.requests),
            ("non-aiospaces exceptions", self.foreign_errors),
            ("ValidationErrors after a request", self.late_validation_errors),
            ('requests for "."/".." ids', self.dot_requests),
            ("secrets echoed in messages", self.secret_echoes),
        ]
        lines = [f"{name:<34}{count:>8}" for name, count in rows]
        lines.extend(f"  - {example}" for example in self.examples)
        return "\n".join(lines)


@attrs.define
class _Tally:
    calls: int = 0
    foreign: int = 0
    late: int = 0
    dots: int = 0
    echoes: int = 0
    examples: list[str] = attrs.field(factory=list)

    def note(self, target: Target, way: str, value: object, what: str) -> None:
        """Keep an example: at most a few per target, so the list shows many targets."""
        same = sum(example.startswith(f"{target.name} [") for example in self.examples)
        if len(self.examples) < MAX_EXAMPLES_KEPT and same < EXAMPLES_PER_TARGET_KEPT:
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            self.examples.append(f"{target.name} [{way}] {shown}: {what}")


def _echoes(value: object, message: str) -> bool:
    """Return whether ``message`` shows a secret ``value`` (str or bytes of 4+ characters)."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("latin-1")
    if not isinstance(value, str) or len(value.strip()) < 4:
        return False
    return value in message or repr(value) in message


async def _call(world: World, target: Target, way: str, value: object, tally: _Tally) -> None:
    recorder = world.recorder
    sent, dots = world.guard.handled, len(recorder.dots)
    tally.calls += 1
    raised: BaseException | None = None
    try:
        with anyio.fail_after(CALL_DEADLINE):
            await target.call(world, way, value)
    except AiospacesError as exc:
        raised = exc
        if isinstance(exc, ValidationError) and world.guard.handled > sent:
            tally.late += 1
            tally.note(target, way, value, f"ValidationError after a request: {exc}")
    except Exception as exc:
        raised = exc
        tally.foreign += 1
        tally.note(target, way, value, f"{type(exc).__name__}: {exc}")
    if len(recorder.dots) > dots:
        tally.dots += len(recorder.dots) - dots
        tally.note(target, way, value, f"requested {recorder.dots[-1]}")
    if raised is not None and target.secret:
        messages = f"{raised} {raised.__cause__ or ''}"
        if _echoes(value, messages):
            tally.echoes += 1
            tally.note(target, way, value, f"secret echoed: {raised}")


def _sweep(
    runner: asyncio.Runner, world: World, target: Target, examples: int, tally: _Tally, salt: int
) -> None:
    strategy = hostile()

    @seed(zlib.crc32(target.name.encode()) ^ salt)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def sweep(data: st.DataObject) -> None:
        way = data.draw(st.sampled_from(target.ways), label="way")
        value = data.draw(strategy, label="value")
        runner.run(_call(world, target, way, value, tally))

    sweep()


def run_fuzz(
    examples_per_target: int, *, salt: int = 0, only: Sequence[Target] | None = None
) -> FuzzResult:
    """Sweep every target with ``examples_per_target`` hostile values; return the counts.

    The values are deterministic for a given ``salt`` (each target's come from a seed
    derived from its name and the salt); the number of requests sent may vary a little from
    run to run, as some hostile values are timeouts of a few microseconds.

    Args:
        examples_per_target: Hostile values tried per target (hypothesis may stop earlier
            when a target has fewer ways to be given than that).
        salt: Changes every target's seed, to draw other values.
        only: Sweep these targets instead of [targets][tests.reliability.fuzz_targets.targets].
    """
    tally = _Tally()
    swept = list(targets() if only is None else only)
    with asyncio.Runner() as runner:
        world = runner.run(World.open())
        try:
            for target in swept:
                _sweep(runner, world, target, examples_per_target, tally, salt)
        finally:
            runner.run(world.aclose())
    return FuzzResult(
        targets=len(swept),
        calls=tally.calls,
        requests=world.guard.handled,
        foreign_errors=tally.foreign,
        late_validation_errors=tally.late,
        dot_requests=tally.dots,
        secret_echoes=tally.echoes,
        examples=tuple(tally.examples),
    )
