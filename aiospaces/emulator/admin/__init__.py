"""The PubNub Admin emulation: portal login, accounts, apps with keysets, Functions blocks.

The vendor plug-in is [AdminEmulation][aiospaces.emulator.admin.routes.AdminEmulation];
``state`` holds the portal records, blocks, handlers, their checks and the error shapes.
"""

from aiospaces.emulator.admin.routes import AdminEmulation as AdminEmulation
from aiospaces.emulator.admin.state import EVENTS as EVENTS
from aiospaces.emulator.admin.state import AdminError as AdminError

__all__ = ["EVENTS", "AdminEmulation", "AdminError"]
