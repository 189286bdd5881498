"""The NeuroIO client: settings, the ``Authorization: Token`` scheme, and its namespaces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

from aiospaces.core.client import BaseClient
from aiospaces.core.errors import ValidationError
from aiospaces.core.settings import config_from_env
from aiospaces.neuroio.auth import Auth, GetWhoami
from aiospaces.neuroio.spaces import AllSpaces, Spaces
from aiospaces.neuroio.tokens import Tokens

if TYPE_CHECKING:
    from aiospaces.core.builder import Builder
    from aiospaces.core.session import Session

__all__ = ["API_URL", "ENV_VARS", "IAM_URL", "Lists", "NeuroIO", "NeuroIOConfig", "SpaceLists"]

IAM_URL = "https://iam.neuroio.com"
"""NeuroIO's identity and access host (auth, whoami, tokens, spaces, lists)."""
API_URL = "https://api.neuroio.com"
"""NeuroIO's data host (sources, persons, entries, ...; not wrapped yet)."""

ENV_VARS = {
    "api_token": "NEUROIO_API_TOKEN",
    "iam_url": "NEUROIO_IAM_URL",
    "api_url": "NEUROIO_API_URL",
}
"""Environment variables read by `NeuroIOConfig.from_env`, by setting name."""

B = TypeVar("B", bound="Builder[Any]")


def _url(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or "://" not in value:
        raise ValidationError(f"{attribute.name} must be an http(s) URL, not {value!r}")


def _token(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValidationError("api_token must be a non-empty string")


@attrs.frozen(kw_only=True)
class NeuroIOConfig:
    """Everything a NeuroIO client needs; the token never appears in its repr.

    Attributes:
        api_token: An account, space or manager token (None: only ``auth.token`` works).
        iam_url: Base URL of the IAM host.
        api_url: Base URL of the data API host.
        timeout: Per-attempt timeout in seconds (None: the Session's default).
        max_retries: Retries per call (None: the Session's default).
    """

    api_token: str | None = attrs.field(default=None, repr=False, validator=_token)
    iam_url: str = attrs.field(default=IAM_URL, validator=_url)
    api_url: str = attrs.field(default=API_URL, validator=_url)
    timeout: float | None = None
    max_retries: int | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> NeuroIOConfig:
        """Return a config from ``NEUROIO_*`` environment variables; explicit arguments win.

        Raises:
            ValidationError: A setting is invalid.
        """
        return config_from_env(cls, ENV_VARS, overrides)


class SpaceLists:
    """``nio.lists.spaces``: the unpaginated list of spaces."""

    def __init__(self, client: NeuroIO) -> None:
        self._client = client

    def all(self, **kwargs: Any) -> AllSpaces:
        """Return a builder listing every space at once (``GET /v1/lists/spaces/``)."""
        return self._client._new(AllSpaces, kwargs)


class Lists:
    """``nio.lists``: full (unpaginated) lists."""

    def __init__(self, client: NeuroIO) -> None:
        self.spaces = SpaceLists(client)
        """Every space of the token's scope."""


class NeuroIO(BaseClient):
    """An asyncio NeuroIO client: IAM spaces, tokens, login and whoami.

    Make it from a session (``session.neuroio(...)``) to share the connection pool, or use it
    on its own: ``async with aiospaces.NeuroIO(api_token=...) as nio``. Settings not given are
    read from ``NEUROIO_API_TOKEN`` (and ``NEUROIO_IAM_URL``/``NEUROIO_API_URL``).

    ```python
    space = await nio.spaces.create(name="Lobby")          # keyword style
    space = await nio.spaces.create().name("Lobby")         # builder style
    async for space in nio.spaces.list(q="lob"):            # every page
        ...
    ```

    Args:
        session: The Session whose pool to use (None: a private one).
        config: A ready [NeuroIOConfig][aiospaces.neuroio.client.NeuroIOConfig]; excludes the
            keyword settings.
        **settings: Fields of ``NeuroIOConfig`` (``api_token``, ``iam_url``, ``api_url``, ...).

    Raises:
        ValidationError: A setting is invalid.
    """

    vendor: ClassVar[str] = "neuroio"

    def __init__(
        self,
        session: Session | None = None,
        *,
        config: NeuroIOConfig | None = None,
        **settings: Any,
    ) -> None:
        if config is not None and settings:
            raise TypeError("pass either config= or keyword settings, not both")
        self.config = config or NeuroIOConfig.from_env(**settings)
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

    def whoami(self, **kwargs: Any) -> GetWhoami:
        """Return a builder asking who the client's token belongs to."""
        return self._new(GetWhoami, kwargs)

    def with_token(self, api_token: str) -> NeuroIO:
        """Return a client using ``api_token`` on the same session (e.g. after a login).

        The new client shares this client's session and never closes it.
        """
        return NeuroIO(self.session, config=attrs.evolve(self.config, api_token=api_token))

    def _new(self, cls: type[B], kwargs: dict[str, Any], **given: Any) -> B:
        """Return ``cls`` with keyword arguments (None ones skipped) applied as setters."""
        return super()._new(cls, {**{k: v for k, v in given.items() if v is not None}, **kwargs})
