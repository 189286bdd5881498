"""The public Session: one connection pool for every vendor, and a factory per vendor.

```python
async with aiospaces.Session() as session:
    pn = session.pubnub(subscribe_key="sub-c-…", user_id="me")
    mux = session.mux()                          # MUX_TOKEN_ID / MUX_TOKEN_SECRET
    nio = session.neuroio(api_token="…")
    adm = session.pubnub_admin(email="…", password="…")
```

Every client made here shares the session's ``httpx.AsyncClient``; closing the session
closes the pool. Settings not given are read from each vendor's environment variables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from aiospaces.core.session import Session as CoreSession
from aiospaces.mux.client import Mux
from aiospaces.neuroio.client import NeuroIO
from aiospaces.pubnub.client import PubNub
from aiospaces.pubnub_admin.client import PubNubAdmin

if TYPE_CHECKING:
    from aiospaces.mux.config import MuxConfig
    from aiospaces.neuroio.config import NeuroIOConfig
    from aiospaces.pubnub.config import PubNubConfig
    from aiospaces.pubnub_admin.config import PubNubAdminConfig

__all__ = ["Session"]


class Session(CoreSession):
    """One connection pool (one ``httpx.AsyncClient``) shared by every vendor client made from it.

    ```python
    async with aiospaces.Session() as session:  # backend="auto": aiohttp's pool if installed
        pn = session.pubnub(subscribe_key="sub-c-…", user_id="me")
    ```

    The arguments are those of the core [Session][aiospaces.core.session.Session]:
    ``backend``, ``http2``, ``limits``, ``timeout``, ``retries``, ``transport`` and
    ``http_client``.
    """

    def pubnub(
        self,
        *,
        config: PubNubConfig | None = None,
        subscribe_key: str | None = None,
        user_id: str | None = None,
        publish_key: str | None = None,
        secret_key: str | None = None,
        auth_key: str | None = None,
        token: str | None = None,
        origin: str | None = None,
        ssl: bool | None = None,
        cipher_key: str | None = None,
        crypto: Literal["aescbc", "legacy"] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> PubNub:
        """Return a PubNub client on this session's pool (arguments as ``aiospaces.PubNub``).

        Raises:
            ValidationError: A required setting is missing or invalid.
        """
        return PubNub(
            self,
            config=config,
            subscribe_key=subscribe_key,
            user_id=user_id,
            publish_key=publish_key,
            secret_key=secret_key,
            auth_key=auth_key,
            token=token,
            origin=origin,
            ssl=ssl,
            cipher_key=cipher_key,
            crypto=crypto,
            timeout=timeout,
            max_retries=max_retries,
        )

    def mux(
        self,
        *,
        config: MuxConfig | None = None,
        token_id: str | None = None,
        token_secret: str | None = None,
        base_url: str | None = None,
        webhook_secret: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Mux:
        """Return a Mux client on this session's pool (arguments as ``aiospaces.Mux``).

        Raises:
            ValidationError: A required setting is missing or invalid.
        """
        return Mux(
            self,
            config=config,
            token_id=token_id,
            token_secret=token_secret,
            base_url=base_url,
            webhook_secret=webhook_secret,
            timeout=timeout,
            max_retries=max_retries,
        )

    def neuroio(
        self,
        *,
        config: NeuroIOConfig | None = None,
        api_token: str | None = None,
        iam_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> NeuroIO:
        """Return a NeuroIO client on this session's pool (arguments as ``aiospaces.NeuroIO``).

        Raises:
            ValidationError: A setting is invalid.
        """
        return NeuroIO(
            self,
            config=config,
            api_token=api_token,
            iam_url=iam_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    def pubnub_admin(
        self,
        *,
        config: PubNubAdminConfig | None = None,
        email: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        refresh_margin: float | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> PubNubAdmin:
        """Return a PubNub Admin client on this session's pool (as ``aiospaces.PubNubAdmin``).

        Raises:
            ValidationError: A required setting is missing or invalid.
        """
        return PubNubAdmin(
            self,
            config=config,
            email=email,
            password=password,
            base_url=base_url,
            refresh_margin=refresh_margin,
            timeout=timeout,
            max_retries=max_retries,
        )
