"""The PubNub emulation: keysets, App Context channels with filters, file sharing, realtime.

The vendor plug-in is [PubNubEmulation][aiospaces.emulator.pubnub.routes.PubNubEmulation];
``state`` holds keysets and access checks, ``files`` the file routes, ``filters`` and
``filter_syntax`` the App Context filter language. Realtime: ``stream`` (timetokens, records,
waits), ``publish`` (publish, signal), ``realtime`` (subscribe, presence, time; every realtime
route), ``history``, ``groups`` (channel groups), ``message_filter`` (``filter-expr``) and
``answers`` (what they answer with).
"""

from aiospaces.emulator.pubnub.routes import PubNubEmulation as PubNubEmulation
from aiospaces.emulator.pubnub.state import Channel as Channel
from aiospaces.emulator.pubnub.state import Keyset as Keyset
from aiospaces.emulator.pubnub.state import PubNubError as PubNubError
from aiospaces.emulator.pubnub.state import pam_encode as pam_encode
from aiospaces.emulator.pubnub.state import sign_v2 as sign_v2

__all__ = ["Channel", "Keyset", "PubNubEmulation", "PubNubError", "pam_encode", "sign_v2"]
