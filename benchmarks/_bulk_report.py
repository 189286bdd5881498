"""The tables of ``benchmarks/bulk.py``: figures per row, the ratios and goals, the workers."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import statistics
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

#: Row key -> what it is, in table order.
ROWS = {
    "aes": "AES alone (limit): read + encrypt, no network",
    "raw-aiohttp": "raw aiohttp (limit): the same requests, files encrypted beforehand",
    "official": "official pubnub, Semaphore(32)",
    "default": "aiospaces, default Session() (auto: aiohttp)",
    "httpx": "aiospaces httpx",
    "httpx+journal": "aiospaces httpx + journal",
    "aiohttp": "aiospaces aiohttp",
    "aiohttp+journal": "aiospaces aiohttp + journal",
    "workers-1": "aiospaces, 1 taskiq worker",
    "workers-2": "aiospaces, 2 taskiq workers",
    "workers-4": "aiospaces, 4 taskiq workers",
}

#: (name, numerator, denominator, kind, goal): "cost" is 1 - a/b (at most the goal), "ratio"
#: is a/b (at least the goal).
RATIOS = (
    ("aiospaces default / official", "default", "official", "ratio", 3.0),
    ("aiospaces default / limit (raw aiohttp)", "default", "raw-aiohttp", "ratio", None),
    ("official / limit (raw aiohttp)", "official", "raw-aiohttp", "ratio", None),
    ("aiospaces httpx / limit (raw aiohttp)", "httpx", "raw-aiohttp", "ratio", None),
    ("raw aiohttp / AES alone", "raw-aiohttp", "aes", "ratio", None),
    ("journal cost, httpx", "httpx+journal", "httpx", "cost", 0.10),
    ("journal cost, aiohttp", "aiohttp+journal", "aiohttp", "cost", 0.10),
    ("2 workers / 1 worker", "workers-2", "workers-1", "ratio", 1.6),
    ("4 workers / 1 worker", "workers-4", "workers-1", "ratio", None),
    ("aiospaces httpx / official", "httpx", "official", "ratio", None),
    ("aiospaces aiohttp / official", "aiohttp", "official", "ratio", None),
    ("aiospaces httpx + journal / official", "httpx+journal", "official", "ratio", None),
    ("aiospaces aiohttp + journal / official", "aiohttp+journal", "official", "ratio", None),
    ("1 worker / aiospaces aiohttp + journal", "workers-1", "aiohttp+journal", "ratio", None),
    ("2 workers / aiospaces httpx + journal", "workers-2", "httpx+journal", "ratio", None),
)

_PROCESSES = ("server", "redis", "main", "driver")


def versions() -> dict[str, str]:
    found = {}
    for dist in ("aiospaces", "pubnub", "httpx", "aiohttp", "taskiq", "taskiq-redis", "redis"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    return found


def _spread(values: list[float], digits: int = 0) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:,.{digits}f} ({low:,.{digits}f}..{high:,.{digits}f})"


def _cores(sample: dict[str, Any]) -> dict[str, float]:
    """Return the CPU each part used over the run, in cores (seconds per second)."""
    cpu = {k: v for k, v in sample["cpu"].items() if v is not None}
    seconds = sample["seconds"]
    clients = sum(v for k, v in cpu.items() if k not in ("server", "redis"))
    parts = {
        "clients": clients / seconds,
        "server": cpu.get("server", 0.0) / seconds,
        "redis": cpu.get("redis", 0.0) / seconds,
    }
    parts["other"] = max(0.0, sample["machine_busy"] / seconds - sum(parts.values()))
    return parts


def _median_cores(samples: list[dict[str, Any]], part: str) -> float:
    return float(statistics.median(_cores(s)[part] for s in samples))


def _ratio_row(results: dict[str, list[dict[str, Any]]], spec: tuple[Any, ...]) -> dict[str, Any]:
    name, top, bottom, kind, goal = spec
    mid_top = statistics.median(s["files_s"] for s in results[top])
    mid_bottom = statistics.median(s["files_s"] for s in results[bottom])
    pairs = [
        a["files_s"] / b["files_s"] for a, b in zip(results[top], results[bottom], strict=False)
    ]
    ratio = mid_top / mid_bottom
    if kind == "cost":
        value, spread = 1 - ratio, sorted(1 - p for p in pairs)
        met = None if goal is None else value <= goal
        shown = f"{100 * value:.1f} %"
        span = f"{100 * spread[0]:.1f}..{100 * spread[-1]:.1f} %"
        target = "—" if goal is None else f"≤ {100 * goal:.0f} %"
    else:
        value, spread = ratio, sorted(pairs)
        met = None if goal is None else value >= goal
        shown, span = f"{value:.2f}x", f"{spread[0]:.2f}..{spread[-1]:.2f}"
        target = "—" if goal is None else f"≥ {goal:g}x"
    verdict = "—" if met is None else ("yes" if met else "**NO**")
    line = f"| {name} | {shown} | {span} | {target} | {verdict} |"
    return {"name": name, "value": value, "per_run": pairs, "goal": goal, "met": met, "line": line}


def _growth_row(ours: list[dict[str, Any]], official: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the default Session's peak RSS growth over the official SDK's (goal: ≤ 1/4)."""
    value = statistics.median(s["growth"] for s in ours) / statistics.median(
        s["growth"] for s in official
    )
    pairs = sorted(a["growth"] / b["growth"] for a, b in zip(ours, official, strict=False))
    met = value <= 0.25
    line = (
        f"| peak RSS growth: aiospaces default / official | {value:.2f}x "
        f"| {pairs[0]:.2f}..{pairs[-1]:.2f} | ≤ 0.25x | {'yes' if met else '**NO**'} |"
    )
    name = "peak RSS growth: aiospaces default / official"
    return {"name": name, "value": value, "per_run": pairs, "goal": 0.25, "met": met, "line": line}


def plot(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace, path: str) -> None:
    """Write a PNG: files/s per row (median, min..max), the limit as a dashed line."""
    import matplotlib  # noqa: PLC0415 - a dev dependency, needed only with --plot

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = [r for r in ROWS if results.get(r) and r != "aes"]
    medians = [statistics.median(s["files_s"] for s in results[r]) for r in rows]
    lows = [m - min(s["files_s"] for s in results[r]) for r, m in zip(rows, medians, strict=True)]
    highs = [max(s["files_s"] for s in results[r]) - m for r, m in zip(rows, medians, strict=True)]
    colors = [
        "#b0b0b0" if r == "raw-aiohttp" else "#dd8452" if r == "official" else "#4c72b0"
        for r in rows
    ]
    fig, ax = plt.subplots(figsize=(8, 1 + 0.45 * len(rows)))
    ax.barh(
        [
            ROWS[r].split(":")[0].split(" (")[0] if r != "default" else "aiospaces default"
            for r in rows
        ],
        medians,
        xerr=[lows, highs],
        color=colors,
    )
    ax.invert_yaxis()
    limit = (
        statistics.median(s["files_s"] for s in results["raw-aiohttp"])
        if results.get("raw-aiohttp")
        else None
    )
    if limit:
        ax.axvline(limit, color="black", linestyle="--", linewidth=1)
        for i, m in enumerate(medians):
            ax.text(m, i, f" {m / limit:.0%}", va="bottom", fontsize=8)
    ax.set_xlabel("files/s (median, min..max); dashed: raw aiohttp (limit); % of the limit")
    ax.set_title(
        f"{args.files:,} ACRH files of {args.file_size:,} B at concurrency {args.concurrency} "
        f"({args.server})",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def render(
    results: dict[str, list[dict[str, Any]]], args: argparse.Namespace
) -> tuple[str, list[dict[str, Any]]]:
    """Return the markdown report and the ratio rows."""
    found = versions()
    lines = [
        f"{args.files:,} files of {args.file_size:,} bytes, ACRH-encrypted, concurrency "
        f"{args.concurrency} (workers: {args.max_async_tasks} taskiq tasks and the default 8 "
        f"files at once per process); server: {args.server}, in its own process; "
        f"{os.cpu_count()} CPUs shared by the server, Redis and the clients; "
        f"Python {platform.python_version()}, "
        + ", ".join(f"{k} {v}" for k, v in found.items() if k != "aiospaces"),
        "",
        "| row | files/s median (min..max) | peak RSS growth MiB median (min..max) "
        "| CPU cores: clients / server / Redis / other | runs |",
        "|---|---:|---:|---:|---:|",
    ]
    for row, samples in results.items():
        if not samples:
            continue
        cores = " / ".join(
            f"{_median_cores(samples, part):.2f}"
            for part in ("clients", "server", "redis", "other")
        )
        lines.append(
            f"| {ROWS[row]} | {_spread([s['files_s'] for s in samples])} "
            f"| {_spread([s['growth'] for s in samples], 2)} | {cores} | {len(samples)} |"
        )
    summary = [
        _ratio_row(results, spec)
        for spec in RATIOS
        if results.get(spec[1]) and results.get(spec[2])
    ]
    if summary:
        lines += [
            "",
            "| ratio (files/s) | of medians | per run min..max | goal | met |",
            "|---|---:|---:|---|---|",
            *(row.pop("line") for row in summary),
        ]
    if results.get("default") and results.get("official"):
        growth = _growth_row(results["default"], results["official"])
        summary.append(growth)
        lines.append(growth.pop("line"))
    workers = [row for row in results if row.startswith("workers-") and results[row]]
    if workers:
        lines += [
            "",
            "| row | run | s | files per worker process (warm-up) | CPU cores per process "
            "| growth MiB per process |",
            "|---|---:|---:|---|---|---|",
        ]
        for row in workers:
            for index, sample in enumerate(results[row], 1):
                started = ", ".join(
                    f"{n} ({sample['warm_files_by_worker'][w]})"
                    for w, n in sorted(sample["files_by_worker"].items())
                )
                cpu = sample["cpu"]
                names = sorted(sample["files_by_worker"]) + list(_PROCESSES)
                per = ", ".join(
                    f"{name} {cpu[name] / sample['seconds']:.2f}"
                    for name in names
                    if cpu.get(name) is not None
                )
                growth = ", ".join(
                    f"{g:.1f}" for _, g in sorted(sample["growth_by_worker"].items())
                )
                lines.append(
                    f"| {ROWS[row]} | {index} | {sample['seconds']:.2f} | {started} | {per} "
                    f"| {growth} |"
                )
    if not all(s["peak_reset"] for samples in results.values() for s in samples):
        lines.append("\nWARNING: clear_refs was refused: growth counts from the process's start.")
    return "\n".join(lines), summary
