"""The NeuroIO emulation: IAM login, whoami, account and space tokens, spaces.

The vendor plug-in is [NeuroIOEmulation][aiospaces.emulator.neuroio.routes.NeuroIOEmulation];
``state`` holds the records, the error answer, request parsing and DRF pages.
"""

from aiospaces.emulator.neuroio.routes import SANDBOX_TOKEN as SANDBOX_TOKEN
from aiospaces.emulator.neuroio.routes import NeuroIOEmulation as NeuroIOEmulation
from aiospaces.emulator.neuroio.state import DEFAULT_SPACE as DEFAULT_SPACE
from aiospaces.emulator.neuroio.state import ERROR_CODES as ERROR_CODES
from aiospaces.emulator.neuroio.state import MAX_PERMANENT_TOKENS as MAX_PERMANENT_TOKENS
from aiospaces.emulator.neuroio.state import Account as Account
from aiospaces.emulator.neuroio.state import NeuroIOError as NeuroIOError
from aiospaces.emulator.neuroio.state import SpaceRecord as SpaceRecord
from aiospaces.emulator.neuroio.state import TokenRecord as TokenRecord

__all__ = [
    "DEFAULT_SPACE",
    "ERROR_CODES",
    "MAX_PERMANENT_TOKENS",
    "SANDBOX_TOKEN",
    "Account",
    "NeuroIOEmulation",
    "NeuroIOError",
    "SpaceRecord",
    "TokenRecord",
]
