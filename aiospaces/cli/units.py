"""Sizes as the command line prints them: IEC units (KiB, MiB: powers of 1024)."""

from __future__ import annotations

__all__ = ["iec"]

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def iec(size: float) -> str:
    """Return a byte count in IEC units: ``512 B``, ``1.5 KiB``, ``11.3 MiB``, ``0.98 GiB``.

    A unit is left at 1000 of it (``1000 KiB`` reads ``0.98 MiB``): at most 3 digits before
    the point.
    """
    if size < 1000:
        return f"{size:.0f} B"
    scaled = size
    for unit in _UNITS[1:]:
        scaled /= 1024
        if scaled < 1000 or unit == _UNITS[-1]:
            return f"{scaled:.2f} {unit}" if scaled < 1 else f"{scaled:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover
