"""PubNub: Spaces (App Context channels), File Sharing, publish, history and subscribe.

```python
async with aiospaces.Session() as session:
    pn = session.pubnub(subscribe_key="sub-c-…", user_id="me")
    await pn.create_space().space_id("room-1").name("Room 1")
    async with pn.subscribe(channels=["room-1"]) as sub:
        async for event in sub:
            ...
```
"""

from aiospaces.pubnub.client import PubNub as PubNub
from aiospaces.pubnub.config import PubNubConfig as PubNubConfig
from aiospaces.pubnub.events import Event as Event
from aiospaces.pubnub.events import FileEvent as FileEvent
from aiospaces.pubnub.events import MessageActionEvent as MessageActionEvent
from aiospaces.pubnub.events import MessageEvent as MessageEvent
from aiospaces.pubnub.events import ObjectsEvent as ObjectsEvent
from aiospaces.pubnub.events import PresenceEvent as PresenceEvent
from aiospaces.pubnub.events import SignalEvent as SignalEvent
from aiospaces.pubnub.events import UndecryptableEvent as UndecryptableEvent
from aiospaces.pubnub.filters import F as F
from aiospaces.pubnub.models import HistoryMessage as HistoryMessage
from aiospaces.pubnub.models import HistoryPage as HistoryPage
from aiospaces.pubnub.models import Page as Page
from aiospaces.pubnub.models import Published as Published
from aiospaces.pubnub.models import Space as Space
from aiospaces.pubnub.models import SpacePage as SpacePage
from aiospaces.pubnub.spaces import Sort as Sort
from aiospaces.pubnub.subscribe import Subscription as Subscription

__all__ = [
    "Event",
    "F",
    "FileEvent",
    "HistoryMessage",
    "HistoryPage",
    "MessageActionEvent",
    "MessageEvent",
    "ObjectsEvent",
    "Page",
    "PresenceEvent",
    "PubNub",
    "PubNubConfig",
    "Published",
    "SignalEvent",
    "Sort",
    "Space",
    "SpacePage",
    "Subscription",
    "UndecryptableEvent",
]
