"""Mux: real-time video Spaces, space broadcasts, live streams and webhooks.

```python
async with aiospaces.Session() as session:
    mux = session.mux()                      # MUX_TOKEN_ID / MUX_TOKEN_SECRET / MUX_BASE_URL
    space = await mux.create_space().broadcast(live_stream_id="ls")
    await mux.start_space_broadcast(space.id, space.broadcasts[0].id)
```
"""

from aiospaces.mux.broadcasts import BroadcastRequest as BroadcastRequest
from aiospaces.mux.client import Mux as Mux
from aiospaces.mux.client import MuxRateLimitError as MuxRateLimitError
from aiospaces.mux.config import MuxConfig as MuxConfig
from aiospaces.mux.models import Broadcast as Broadcast
from aiospaces.mux.models import BroadcastLayout as BroadcastLayout
from aiospaces.mux.models import BroadcastResolution as BroadcastResolution
from aiospaces.mux.models import BroadcastStatus as BroadcastStatus
from aiospaces.mux.models import LiveStream as LiveStream
from aiospaces.mux.models import LiveStreamPage as LiveStreamPage
from aiospaces.mux.models import LiveStreamStatus as LiveStreamStatus
from aiospaces.mux.models import PlaybackId as PlaybackId
from aiospaces.mux.models import RateLimit as RateLimit
from aiospaces.mux.models import Space as Space
from aiospaces.mux.models import SpacePage as SpacePage
from aiospaces.mux.models import SpaceStatus as SpaceStatus
from aiospaces.mux.models import SpaceType as SpaceType
from aiospaces.mux.webhooks import BroadcastEvent as BroadcastEvent
from aiospaces.mux.webhooks import LiveStreamEvent as LiveStreamEvent
from aiospaces.mux.webhooks import SpaceEvent as SpaceEvent
from aiospaces.mux.webhooks import WebhookEvent as WebhookEvent
from aiospaces.mux.webhooks import WebhookSignatureError as WebhookSignatureError
from aiospaces.mux.webhooks import construct_event as construct_event
from aiospaces.mux.webhooks import parse_event as parse_event
from aiospaces.mux.webhooks import verify_signature as verify_signature

__all__ = [
    "Broadcast",
    "BroadcastEvent",
    "BroadcastLayout",
    "BroadcastRequest",
    "BroadcastResolution",
    "BroadcastStatus",
    "LiveStream",
    "LiveStreamEvent",
    "LiveStreamPage",
    "LiveStreamStatus",
    "Mux",
    "MuxConfig",
    "MuxRateLimitError",
    "PlaybackId",
    "RateLimit",
    "Space",
    "SpaceEvent",
    "SpacePage",
    "SpaceStatus",
    "SpaceType",
    "WebhookEvent",
    "WebhookSignatureError",
    "construct_event",
    "parse_event",
    "verify_signature",
]
