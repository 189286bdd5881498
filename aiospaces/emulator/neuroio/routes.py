"""NeuroIO IAM emulation routes: login, whoami, tokens, spaces, space tokens, the space list.

Wire facts follow the public NeuroIO clients: every path under ``/v1/`` ends with a slash,
``Authorization: Token <key>``, lists are DRF ``LimitOffsetPagination`` pages
(``count``/``next``/``previous``/``results``, absolute links back to the requesting origin),
every error is ``{"error_codes": [int], "message": str, "fields": [...]}``.

Scopes: an *account token* acts in the account's implicit ``"default"`` space and manages all
its spaces and account tokens; a *space token* sees only its own space and that space's tokens.
Temporary tokens live 24 hours; at most 5 permanent tokens exist per account and per space.

Sandbox mode provisions an account (with its ``default`` space) the first time an unknown token
or username is seen; strict mode accepts only what
[seed][aiospaces.emulator.neuroio.routes.NeuroIOEmulation.seed] created. Only error code 602
(wrong credentials) is documented upstream; the others
([ERROR_CODES][aiospaces.emulator.neuroio.state.ERROR_CODES]) are the emulator's.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiospaces.emulator._http import answering_errors
from aiospaces.emulator._parse import ascii_int, from_payload
from aiospaces.emulator.neuroio.state import (
    DEFAULT_SPACE,
    MAX_PERMANENT_TOKENS,
    TEMPORARY_TTL,
    Account,
    AccountSeed,
    Caller,
    NeuroIOError,
    SpaceRecord,
    TokenRecord,
    field_error,
    page,
    parse_bool,
    parse_flag,
    parse_name,
    parse_permanent,
    permanent_limit,
    read_body,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from aiospaces.emulator._http import EmulatorContext

__all__ = ["SANDBOX_TOKEN", "NeuroIOEmulation"]

SANDBOX_TOKEN = "emulator-neuroio-token"  # noqa: S105 - a documented sandbox credential
"""The token ``settings()`` hands out in sandbox mode (any token works there)."""


class NeuroIOEmulation:
    """The NeuroIO side of the emulator (IAM host; the API host shares the origin)."""

    name: ClassVar[str] = "neuroio"
    persistent: ClassVar[tuple[str, ...]] = (
        *("accounts", "spaces", "tokens", "_space_ids", "_token_ids", "_sandbox_users"),
        *("_retired", "_seeded_keys"),
    )
    """What a state file keeps (see [state_file][aiospaces.emulator.state_file])."""

    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        """Current time (tests replace it to expire temporary tokens)."""
        self.reset()

    # -- vendor plug-in protocol ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every account, space and token."""
        self.accounts: dict[str, Account] = {}
        self.spaces: dict[int, SpaceRecord] = {}
        self.tokens: dict[str, TokenRecord] = {}
        self._space_ids = itertools.count(1)
        self._token_ids = itertools.count(1)
        self._sandbox_users = itertools.count(1)
        self._retired: set[str] = set()  # deleted keys stay refused, even in sandbox mode
        self._seeded_keys: list[str] = []

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Provision an account: ``{"username", "password", "tokens": [keys], "spaces": [names]}``.

        ``tokens`` become permanent account tokens; ``spaces`` are made besides ``default``.
        """
        spec = from_payload(AccountSeed, payload)
        keys = spec.tokens or []
        if len(set(keys)) < len(keys) or any(key in self.tokens for key in keys):
            raise ValueError("token keys must be new")
        account = self.accounts.get(spec.username) or self._new_account(spec.username)
        if spec.password is not None:
            account.password = spec.password
        for key in keys:
            self._new_token(account, None, permanent=True, key=key)
            self._seeded_keys.append(key)
        made = [self._new_space(account, name) for name in spec.spaces or ()]
        return {
            "username": spec.username,
            "default_space": self.spaces[account.default_space].wire(),
            "spaces": [space.wire() for space in made],
        }

    def snapshot(self) -> dict[str, Any]:
        """Return every account's spaces and tokens (without token keys)."""
        return {
            name: {
                "default_space": account.default_space,
                "spaces": [s.wire() for s in self.spaces.values() if s.owner == name],
                "tokens": [
                    {
                        "id": t.id,
                        "space": t.space,
                        "permanent": t.permanent,
                        "is_active": t.is_active,
                    }
                    for t in self.tokens.values()
                    if t.owner == name
                ],
            }
            for name, account in self.accounts.items()
        }

    def settings(self, base_url: str) -> dict[str, Any]:
        """Return ``iam_url`` (this origin) and an ``api_token``.

        The token is the first seeded one that still works, else (sandbox mode only)
        ``SANDBOX_TOKEN``, which provisions an account on first use.
        """
        settings: dict[str, Any] = {"iam_url": base_url}
        live = [key for key in self._seeded_keys if key in self.tokens]
        if live:
            settings["api_token"] = live[0]
        elif not self.context.strict and SANDBOX_TOKEN not in self._retired:
            settings["api_token"] = SANDBOX_TOKEN
        return settings

    def routes(self) -> list[BaseRoute]:
        """Return the IAM routes (every path under ``/v1/`` with a trailing slash)."""
        space = "/v1/spaces/{space_id:int64}/"
        return [
            Route("/v1/auth/token/", answering_errors(self.login), methods=["POST"]),
            Route("/v1/whoami/", answering_errors(self.whoami), methods=["GET"]),
            Route("/v1/tokens/", answering_errors(self.list_tokens), methods=["GET"]),
            Route("/v1/tokens/", answering_errors(self.create_token), methods=["POST"]),
            Route("/v1/tokens/", answering_errors(self.delete_tokens), methods=["DELETE"]),
            Route("/v1/tokens/{ref}/", answering_errors(self.one_token), methods=["GET", "PATCH"]),
            Route("/v1/tokens/{ref}/", answering_errors(self.delete_token), methods=["DELETE"]),
            Route("/v1/spaces/", answering_errors(self.list_spaces), methods=["GET"]),
            Route("/v1/spaces/", answering_errors(self.create_space), methods=["POST"]),
            Route(space, answering_errors(self.get_space), methods=["GET"]),
            Route(space, answering_errors(self.update_space), methods=["PATCH", "PUT"]),
            Route(space, answering_errors(self.delete_space), methods=["DELETE"]),
            Route(space + "tokens/", answering_errors(self.space_token), methods=["POST"]),
            Route("/v1/lists/spaces/", answering_errors(self.all_spaces), methods=["GET"]),
        ]

    # -- state helpers --------------------------------------------------------------------------

    def _new_account(self, username: str, password: str | None = None) -> Account:
        account = Account(username=username, password=password)
        self.accounts[username] = account
        account.default_space = self._new_space(account, DEFAULT_SPACE).id
        return account

    def _new_space(self, account: Account, name: str) -> SpaceRecord:
        space = SpaceRecord(id=next(self._space_ids), name=name, owner=account.username)
        self.spaces[space.id] = space
        return space

    def _new_token(
        self, account: Account, space: int | None, *, permanent: bool, key: str | None = None
    ) -> TokenRecord:
        now = self.clock()
        token = TokenRecord(
            id=next(self._token_ids),
            key=key or secrets.token_hex(20),
            owner=account.username,
            space=space,
            permanent=permanent,
            created=now,
            expires=None if permanent else now + TEMPORARY_TTL,
        )
        self.tokens[token.key] = token
        return token

    def _retire(self, key: str) -> None:
        del self.tokens[key]
        self._retired.add(key)

    def _issue(self, caller: Caller, space: int | None, permanent: bool) -> TokenRecord:
        if permanent:
            held = sum(
                1
                for t in self.tokens.values()
                if t.permanent and t.owner == caller.account.username and t.space == space
            )
            if held >= MAX_PERMANENT_TOKENS:
                raise permanent_limit("space" if space is not None else "account")
        return self._new_token(caller.account, space, permanent=permanent)

    # -- request handling -----------------------------------------------------------------------

    def _caller(self, request: Request) -> Caller:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "token" or not key.strip():
            raise NeuroIOError(
                401, "authentication", "Authentication credentials were not provided."
            )
        key = key.strip()
        token = self.tokens.get(key)
        if token is None and not self.context.strict and key not in self._retired:
            account = self._new_account(f"sandbox-{next(self._sandbox_users)}")
            token = self._new_token(account, None, permanent=True, key=key)
        if (
            token is None
            or not token.is_active
            or (token.expires and token.expires <= self.clock())
        ):
            raise NeuroIOError(401, "authentication", "Invalid token.")
        return Caller(self.accounts[token.owner], token)

    def _account_only(self, caller: Caller) -> None:
        if caller.token.space is not None:
            raise NeuroIOError(
                403, "permission", "You do not have permission to perform this action."
            )

    def _space(self, caller: Caller, space_id: int) -> SpaceRecord:
        space = self.spaces.get(space_id)
        if space is None or not caller.sees_space(space):
            raise NeuroIOError(404, "not_found", "Not found.")
        return space

    def _token(self, caller: Caller, ref: str) -> TokenRecord:
        found = self.tokens.get(ref)
        if found is None and (number := ascii_int(ref)) is not None:
            found = next((t for t in self.tokens.values() if t.id == number), None)
        if found is None or not caller.manages(found):
            raise NeuroIOError(404, "not_found", "Not found.")
        return found

    # -- auth and whoami ------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        """``POST /v1/auth/token/`` ``{username, password}``: a temporary account token."""
        body = await read_body(request)
        missing = [
            f for f in ("username", "password") if not isinstance(body.get(f), str) or not body[f]
        ]
        if missing:
            fields = [field_error(f, "This field is required.") for f in missing]
            raise NeuroIOError(400, "validation", "Validation error.", fields)
        account = self.accounts.get(body["username"])
        if account is None and not self.context.strict:
            account = self._new_account(body["username"], body["password"])
        if account is None or account.password is None or account.password != body["password"]:
            raise NeuroIOError(400, "credentials", "Username and password do not match.")
        token = self._new_token(account, None, permanent=False)
        return JSONResponse({"user": {"username": account.username}, "token": token.wire()})

    async def whoami(self, request: Request) -> Response:
        """``GET /v1/whoami/``: the user and space of an account token, or just the space."""
        caller = self._caller(request)
        if caller.token.space is not None:
            return JSONResponse({"space": self.spaces[caller.token.space].wire()})
        default = self.spaces[caller.account.default_space]
        return JSONResponse({"username": caller.account.username, "space": default.wire()})

    # -- tokens ---------------------------------------------------------------------------------

    async def list_tokens(self, request: Request) -> Response:
        """``GET /v1/tokens/?limit&offset[&permanent]``: the caller's scope's tokens."""
        caller = self._caller(request)
        permanent = parse_flag(request.query_params.get("permanent"))
        tokens = [
            t.wire()
            for t in sorted(self.tokens.values(), key=lambda t: t.id)
            if caller.manages(t) and (permanent is None or t.permanent == permanent)
        ]
        return page(request, tokens)

    async def create_token(self, request: Request) -> Response:
        """``POST /v1/tokens/`` ``{permanent}``: a token in the caller's scope."""
        caller = self._caller(request)
        permanent = parse_permanent(await read_body(request))
        token = self._issue(caller, caller.token.space, permanent)
        return JSONResponse(token.wire(), 201)

    async def delete_tokens(self, request: Request) -> Response:
        """``DELETE /v1/tokens/[?permanent=]``: every matching token but the caller's own."""
        caller = self._caller(request)
        permanent = parse_flag(request.query_params.get("permanent"))
        for key, token in list(self.tokens.items()):
            if (
                caller.manages(token)
                and token is not caller.token
                and (permanent is None or token.permanent == permanent)
            ):
                self._retire(key)
        return Response(status_code=204)

    async def one_token(self, request: Request) -> Response:
        """``GET``/``PATCH /v1/tokens/{id_or_key}/`` (PATCH takes the form ``is_active``)."""
        caller = self._caller(request)
        token = self._token(caller, request.path_params["ref"])
        if request.method == "PATCH":
            body = await read_body(request)
            token.is_active = parse_bool(body, "is_active", default=token.is_active)
        return JSONResponse(token.wire())

    async def delete_token(self, request: Request) -> Response:
        """``DELETE /v1/tokens/{id_or_key}/``."""
        caller = self._caller(request)
        token = self._token(caller, request.path_params["ref"])
        self._retire(token.key)
        return Response(status_code=204)

    # -- spaces ---------------------------------------------------------------------------------

    async def list_spaces(self, request: Request) -> Response:
        """``GET /v1/spaces/?q&limit&offset``: spaces in scope whose name contains ``q``."""
        caller = self._caller(request)
        needle = (request.query_params.get("q") or "").casefold()
        found = [
            s.wire()
            for s in self._visible(caller)
            if not needle or needle in s.name.casefold()
        ]  # fmt: skip
        return page(request, found)

    async def all_spaces(self, request: Request) -> Response:
        """``GET /v1/lists/spaces/``: every space in scope, as a bare array."""
        caller = self._caller(request)
        return JSONResponse([s.wire() for s in self._visible(caller)])

    def _visible(self, caller: Caller) -> Iterable[SpaceRecord]:
        return (s for s in sorted(self.spaces.values(), key=lambda s: s.id) if caller.sees_space(s))

    async def create_space(self, request: Request) -> Response:
        """``POST /v1/spaces/`` ``{name}`` → 201 (account tokens only)."""
        caller = self._caller(request)
        self._account_only(caller)
        name = parse_name(await read_body(request), required=True)
        assert name is not None  # noqa: S101 - required=True
        return JSONResponse(self._new_space(caller.account, name).wire(), 201)

    async def get_space(self, request: Request) -> Response:
        """``GET /v1/spaces/{id}/``."""
        caller = self._caller(request)
        return JSONResponse(self._space(caller, request.path_params["space_id"]).wire())

    async def update_space(self, request: Request) -> Response:
        """``PATCH``/``PUT /v1/spaces/{id}/`` ``{name}`` (PUT requires the name)."""
        caller = self._caller(request)
        space = self._space(caller, request.path_params["space_id"])
        self._account_only(caller)
        name = parse_name(await read_body(request), required=request.method == "PUT")
        if name is not None:
            if space.id == caller.account.default_space:
                raise NeuroIOError(400, "validation", "The default space cannot be renamed.")
            space.name = name
        return JSONResponse(space.wire())

    async def delete_space(self, request: Request) -> Response:
        """``DELETE /v1/spaces/{id}/`` → 204; the space's tokens go with it."""
        caller = self._caller(request)
        space = self._space(caller, request.path_params["space_id"])
        self._account_only(caller)
        if space.id == caller.account.default_space:
            raise NeuroIOError(400, "validation", "The default space cannot be deleted.")
        del self.spaces[space.id]
        for key in [k for k, t in self.tokens.items() if t.space == space.id]:
            self._retire(key)
        return Response(status_code=204)

    async def space_token(self, request: Request) -> Response:
        """``POST /v1/spaces/{id}/tokens/`` ``{permanent}``: a token scoped to that space."""
        caller = self._caller(request)
        space = self._space(caller, request.path_params["space_id"])
        permanent = parse_permanent(await read_body(request))
        return JSONResponse(self._issue(caller, space.id, permanent).wire(), 201)
