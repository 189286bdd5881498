"""The Mux emulation: Spaces, space broadcasts, live streams, webhooks and their control routes.

The vendor plug-in is [MuxEmulation][aiospaces.emulator.mux.routes.MuxEmulation]; ``state``
holds environments and every state rule, ``wire`` the error answer and request checks,
``live_streams`` the live-stream request parser, ``control`` the ``/_emulator/mux`` routes.
"""

from aiospaces.emulator.mux.control import signature_header as signature_header
from aiospaces.emulator.mux.routes import DEFAULT_TOKEN_ID as DEFAULT_TOKEN_ID
from aiospaces.emulator.mux.routes import DEFAULT_TOKEN_SECRET as DEFAULT_TOKEN_SECRET
from aiospaces.emulator.mux.routes import MuxEmulation as MuxEmulation
from aiospaces.emulator.mux.state import MuxOptions as MuxOptions
from aiospaces.emulator.mux.state import Token as Token
from aiospaces.emulator.mux.wire import MuxError as MuxError

__all__ = [
    "DEFAULT_TOKEN_ID",
    "DEFAULT_TOKEN_SECRET",
    "MuxEmulation",
    "MuxError",
    "MuxOptions",
    "Token",
    "signature_header",
]
