"""NeuroIO: IAM spaces and tokens, login and whoami.

```python
async with aiospaces.Session() as session:
    nio = session.neuroio(api_token="…")          # or NEUROIO_API_TOKEN
    space = await nio.spaces.create(name="Lobby")
```
"""

from aiospaces.neuroio.client import NeuroIO as NeuroIO
from aiospaces.neuroio.config import NeuroIOConfig as NeuroIOConfig
from aiospaces.neuroio.models import Login as Login
from aiospaces.neuroio.models import Page as Page
from aiospaces.neuroio.models import Space as Space
from aiospaces.neuroio.models import Token as Token
from aiospaces.neuroio.models import User as User
from aiospaces.neuroio.models import Whoami as Whoami

__all__ = ["Login", "NeuroIO", "NeuroIOConfig", "Page", "Space", "Token", "User", "Whoami"]
