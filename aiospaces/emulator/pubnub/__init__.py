"""The PubNub emulation: keysets, App Context channels with filters, and file sharing.

The vendor plug-in is [PubNubEmulation][aiospaces.emulator.pubnub.routes.PubNubEmulation];
``state`` holds keysets and access checks, ``files`` the file routes, ``filters`` and
``filter_syntax`` the App Context filter language.
"""

from aiospaces.emulator.pubnub.routes import PubNubEmulation as PubNubEmulation
from aiospaces.emulator.pubnub.state import Channel as Channel
from aiospaces.emulator.pubnub.state import Keyset as Keyset
from aiospaces.emulator.pubnub.state import PubNubError as PubNubError
from aiospaces.emulator.pubnub.state import pam_encode as pam_encode
from aiospaces.emulator.pubnub.state import sign_v2 as sign_v2

__all__ = ["Channel", "Keyset", "PubNubEmulation", "PubNubError", "pam_encode", "sign_v2"]
