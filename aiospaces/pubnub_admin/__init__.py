"""PubNub Admin: portal login, accounts and apps, Functions v1 blocks and event handlers.

```python
async with aiospaces.Session() as session:
    adm = session.pubnub_admin(email="me@example.com", password="…")
    key_id = (await adm.list_apps())[0].keys[0].id
    block = await adm.create_block(key_id=key_id, name="hello")
    await adm.create_event_handler(
        key_id=key_id, block_id=block.id, name="hello", event="js-on-rest", path="hello",
        code="export default (request, response) => response.send('hi');",
    )
    await adm.start_block(key_id=key_id, block_id=block.id).wait()
```
"""

from aiospaces.pubnub_admin.blocks import BlockStateError as BlockStateError
from aiospaces.pubnub_admin.blocks import BlockTimeoutError as BlockTimeoutError
from aiospaces.pubnub_admin.client import PubNubAdmin as PubNubAdmin
from aiospaces.pubnub_admin.config import PubNubAdminConfig as PubNubAdminConfig
from aiospaces.pubnub_admin.event_handlers import EVENTS as EVENTS
from aiospaces.pubnub_admin.event_handlers import Deployment as Deployment
from aiospaces.pubnub_admin.models import Account as Account
from aiospaces.pubnub_admin.models import App as App
from aiospaces.pubnub_admin.models import Block as Block
from aiospaces.pubnub_admin.models import EventHandler as EventHandler
from aiospaces.pubnub_admin.models import Keyset as Keyset
from aiospaces.pubnub_admin.models import LoginSession as LoginSession
from aiospaces.pubnub_admin.models import User as User

__all__ = [
    "EVENTS",
    "Account",
    "App",
    "Block",
    "BlockStateError",
    "BlockTimeoutError",
    "Deployment",
    "EventHandler",
    "Keyset",
    "LoginSession",
    "PubNubAdmin",
    "PubNubAdminConfig",
    "User",
]
