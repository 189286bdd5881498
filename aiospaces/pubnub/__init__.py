"""PubNub: Spaces (App Context channels) with filters, sorting and pagination.

```python
async with aiospaces.Session() as session:
    pn = session.pubnub(subscribe_key="sub-c-…", user_id="me")
    await pn.create_space().space_id("room-1").name("Room 1")
```
"""

from aiospaces.pubnub.client import PubNub as PubNub
from aiospaces.pubnub.config import PubNubConfig as PubNubConfig
from aiospaces.pubnub.filters import F as F
from aiospaces.pubnub.models import Page as Page
from aiospaces.pubnub.models import Space as Space
from aiospaces.pubnub.models import SpacePage as SpacePage
from aiospaces.pubnub.spaces import Sort as Sort

__all__ = ["F", "Page", "PubNub", "PubNubConfig", "Sort", "Space", "SpacePage"]
