"""The NeuroIO client: settings, NeuroIO's error shape, and its namespaces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Unpack

import attrs

from aiospaces.core.client import BaseClient, ErrorInfo
from aiospaces.core.errors import ValidationError
from aiospaces.core.settings import config_or_env
from aiospaces.neuroio.auth import LOGIN_PATH, Auth, GetWhoami
from aiospaces.neuroio.config import NeuroIOConfig
from aiospaces.neuroio.spaces import AllSpaces, Spaces
from aiospaces.neuroio.tokens import Tokens

if TYPE_CHECKING:
    import httpx

    from aiospaces.core.builder import CallParams
    from aiospaces.core.request import RequestSpec
    from aiospaces.core.session import Session

__all__ = ["Lists", "NeuroIO", "SpaceLists"]


class SpaceLists:
    """``nio.lists.spaces``: the unpaginated list of spaces."""

    def __init__(self, client: NeuroIO) -> None:
        self._client = client

    def all(self, **params: Unpack[CallParams]) -> AllSpaces:
        """Return a builder listing every space at once (``GET /v1/lists/spaces/``)."""
        return AllSpaces(self._client, params)


class Lists:
    """``nio.lists``: full (unpaginated) lists."""

    def __init__(self, client: NeuroIO) -> None:
        self.spaces = SpaceLists(client)
        """Every space of the token's scope."""


class NeuroIO(BaseClient):
    """An asyncio NeuroIO client: IAM spaces, tokens, login and whoami.

    Make it from a session (``session.neuroio(...)``) to share the connection pool, or use it
    on its own: ``async with aiospaces.NeuroIO(api_token=...) as nio``. Settings not given are
    read from ``NEUROIO_API_TOKEN`` and ``NEUROIO_IAM_URL``.

    ```python
    space = await nio.spaces.create(name="Lobby")          # keyword style
    space = await nio.spaces.create().name("Lobby")         # builder style
    async for space in nio.spaces.list(q="lob"):            # every page
        ...
    ```

    Args:
        session: The Session whose pool to use (None: a private one).
        config: A ready [NeuroIOConfig][aiospaces.neuroio.config.NeuroIOConfig]; excludes the
            other settings.
        api_token: An account, space or manager token (None: only ``auth.token`` works).
        iam_url: Base URL of the IAM host (default ``https://iam.neuroio.com``).
        timeout: Per-attempt timeout in seconds (None: the Session's default).
        max_retries: Retries per call (None: the Session's default).

    Raises:
        ValidationError: A setting is invalid.
        TypeError: Both ``config`` and other settings were given.
    """

    vendor: ClassVar[str] = "neuroio"
    secret_path_parents: ClassVar[frozenset[str]] = frozenset({"tokens"})
    """NeuroIO addresses a token by id *or key*: ``/v1/tokens/{id_or_key}/``."""

    def __init__(
        self,
        session: Session | None = None,
        *,
        config: NeuroIOConfig | None = None,
        api_token: str | None = None,
        iam_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        settings = {
            "api_token": api_token,
            "iam_url": iam_url,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self.config = config_or_env(config, NeuroIOConfig, settings)
        super().__init__(
            session,
            base_url=self.config.iam_url,
            max_retries=self.config.max_retries,
            timeout=self.config.timeout,
        )
        self.spaces = Spaces(self)
        """Spaces: create, list, get, update, replace, delete, token."""
        self.tokens = Tokens(self)
        """Tokens: create, list, get, update, delete, delete_list."""
        self.auth = Auth(self)
        """Login: ``auth.token(username, password)``."""
        self.lists = Lists(self)
        """Unpaginated lists: ``lists.spaces.all()``."""

    def __repr__(self) -> str:
        return f"<NeuroIO {self.config!r}>"

    def whoami(self, **params: Unpack[CallParams]) -> GetWhoami:
        """Return a builder asking who the client's token belongs to."""
        return GetWhoami(self, params)

    def with_token(self, api_token: str) -> NeuroIO:
        """Return a client using ``api_token`` on the same session (e.g. after a login).

        The new client shares this client's session and never closes it.
        """
        return NeuroIO(self.session, config=attrs.evolve(self.config, api_token=api_token))

    def _prepare(self, spec: RequestSpec, attempt: int) -> RequestSpec:
        """Add ``Authorization: Token <api_token>`` (every call but the login needs one).

        Raises:
            ValidationError: The client has no token (no request is sent).
        """
        if spec.path == LOGIN_PATH:
            return spec
        token = self.config.api_token
        if not token:
            raise ValidationError(
                "api_token is required for this call: pass api_token= or set NEUROIO_API_TOKEN"
            )
        return attrs.evolve(spec, headers={**spec.headers, "Authorization": f"Token {token}"})

    def _error_info(self, response: httpx.Response, body: Any) -> ErrorInfo:
        """Return NeuroIO's error: ``{"message", "error_codes": [...], "fields": [...]}``."""
        if isinstance(body, dict):
            message = body.get("message")
            codes = body.get("error_codes")
            kind = ",".join(map(str, codes)) if isinstance(codes, list) and codes else None
            if message or kind:
                return ErrorInfo(str(message or kind), kind, body.get("fields") or None)
        return super()._error_info(response, body)
