"""An emulator of every vendor API aiospaces speaks, for tests, demos and benchmarks.

One Starlette app serves all vendors on one origin (disjoint paths), in-process through
[Emulator.transport][aiospaces.emulator.app.Emulator.transport] or on a loopback port through
[Emulator.serve][aiospaces.emulator.app.Emulator.serve]. Needs the ``emulator`` extra.
"""

from aiospaces.emulator.app import Emulator as Emulator
from aiospaces.emulator.faults import Fault as Fault
from aiospaces.emulator.state_file import StateFileError as StateFileError

__all__ = ["Emulator", "Fault", "StateFileError"]
