"""Run mutmut over core/ and the bulk uploader, then print the mutation score per module.

```console
make mutation                                          # a fresh run, then the score
.venv/bin/python benchmarks/mutation_score.py          # the score of the last run in mutants/
.venv/bin/python benchmarks/mutation_score.py --run --fail-under 90
```

What is mutated and which tests run is `[tool.mutmut]` in pyproject.toml; docs/mutation.md
says how to read the figures and lists the survivors left on purpose.

The score is caught / mutants: a mutant is *caught* when the tests failed on it (mutmut's
"killed"), ran out of time or crashed (the mutant made the tests hang or die). Survivors and
mutants no test reaches ("no tests") count against it. A run that left mutants unchecked
(interrupted) is an error, not a score.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = Path(sys.executable).with_name("mutmut")

CAUGHT = frozenset({"killed", "timeout", "segfault", "caught by type check"})
"""Statuses where the tests (or the type checker) noticed the mutant."""
UNFINISHED = frozenset({"not checked", "check was interrupted by user"})

_LINE = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+?)\s*$")
_MODULE = re.compile(r"^(?P<module>.+?)\.x[_ǁ]")  # mutmut names a mutant module.x_func__mutmut_N


def parse_results(text: str) -> dict[str, Counter[str]]:
    """Return status counts per module from the output of ``mutmut results --all true``."""
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None or "__mutmut_" not in match["name"]:
            continue
        module = _MODULE.match(match["name"])
        by_module[module["module"] if module else match["name"]][match["status"]] += 1
    return dict(by_module)


def score_table(by_module: dict[str, Counter[str]]) -> tuple[list[str], float]:
    """Return the table's lines and the total score in percent."""
    lines = [f"{'module':<34} {'caught':>7} {'total':>6} {'score':>7}   survived  no tests"]
    caught_total = all_total = 0
    for module in sorted(by_module):
        counts = by_module[module]
        caught = sum(n for status, n in counts.items() if status in CAUGHT)
        total = sum(counts.values())
        caught_total += caught
        all_total += total
        lines.append(
            f"{module.removeprefix('aiospaces.'):<34} {caught:>7} {total:>6} "
            f"{100 * caught / total:>6.1f}%   {counts['survived']:>8}  {counts['no tests']:>8}"
        )
    score = 100 * caught_total / all_total if all_total else 0.0
    lines.append(f"{'total':<34} {caught_total:>7} {all_total:>6} {score:>6.1f}%")
    return lines, score


def run_mutmut(max_children: int | None) -> float:
    """Run mutmut from scratch (``mutants/`` removed first); return the seconds it took."""
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    command = [str(MUTMUT), "run"]
    if max_children:
        command += ["--max-children", str(max_children)]
    # mutmut runs `mypy` (type_check_command) by name: the venv's, like `make test`
    env = {**os.environ, "PATH": f"{MUTMUT.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True, env=env)  # noqa: S603 - the venv's mutmut
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", action="store_true", help="run mutmut afresh first")
    parser.add_argument("--max-children", type=int, help="mutmut's parallel workers")
    parser.add_argument("--fail-under", type=float, help="exit 1 below this score (percent)")
    args = parser.parse_args()
    elapsed = run_mutmut(args.max_children) if args.run else None
    output = subprocess.run(  # noqa: S603 - our own venv's mutmut
        [str(MUTMUT), "results", "--all", "true"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    by_module = parse_results(output)
    if not by_module:
        print("no mutation results: run `make mutation` first", file=sys.stderr)
        return 2
    unfinished = sum(n for c in by_module.values() for s, n in c.items() if s in UNFINISHED)
    lines, score = score_table(by_module)
    print("\n".join(lines))
    if elapsed is not None:
        print(f"mutmut ran {elapsed / 60:.1f} min")
    if unfinished:
        print(f"{unfinished} mutants were not checked: the run is incomplete", file=sys.stderr)
        return 2
    if args.fail_under is not None and score < args.fail_under:
        print(f"mutation score {score:.1f}% is below {args.fail_under:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
