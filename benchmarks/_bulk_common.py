"""What the processes of ``benchmarks/bulk.py`` share: names, and reading ``/proc``."""

from __future__ import annotations

import os
from pathlib import Path

from _upload_clients import CHANNEL, CIPHER_KEY, PUBLISH_KEY, SUBSCRIBE_KEY, USER_ID

__all__ = [
    "CHANNEL",
    "CIPHER_KEY",
    "PUBLISH_KEY",
    "SUBSCRIBE_KEY",
    "USER_ID",
    "cpu_seconds",
    "machine_busy",
    "reset_peak",
    "vm_status",
]

_TICK = os.sysconf("SC_CLK_TCK")


def vm_status(pid: int) -> dict[str, int]:
    """Return the ``Vm*`` lines of ``/proc/PID/status`` in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name.startswith("Vm") and rest.strip().endswith("kB"):
            values[name] = int(rest.split()[0]) * 1024
    return values


def reset_peak(pid: int) -> bool:
    """Reset the peak RSS mark (``VmHWM``) of a process to its current RSS."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float | None:
    """Return the user+system CPU seconds of a process, or None (it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_busy() -> float:
    """Return the CPU seconds all cores of the machine have been busy since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / _TICK
