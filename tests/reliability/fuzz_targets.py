"""What the hostile-input sweep calls: every factory keyword, config, Session argument, helper.

A [Target][tests.reliability.fuzz_targets.Target] is one argument of one public entry point;
its ``call`` gives that argument a value by one of its ``ways`` (factory keyword, position,
setter) with every other argument valid, and awaits the result against a
[World][tests.reliability.fuzz_targets.World]: the emulator behind a recording client.
"""

from __future__ import annotations

import functools
import inspect
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias
from urllib.parse import unquote

import attrs
import httpx

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.mux import webhooks
from aiospaces.mux.live_streams import LiveStreams
from aiospaces.mux.spaces import Spaces as MuxSpaces
from aiospaces.neuroio.auth import Auth
from aiospaces.neuroio.client import SpaceLists
from aiospaces.neuroio.spaces import Spaces as NeuroIOSpaces
from aiospaces.neuroio.tokens import Tokens
from aiospaces.pubnub.report import UploadItem
from aiospaces.pubnub_admin.blocks import StartBlock, StopBlock
from tests.factories import factories, keywords

__all__ = ["SECRETS", "VALID", "GuardedTransport", "RecordingClient", "Target", "World", "targets"]

BASE_URL = "http://127.0.0.1:9"
"""Where the clients point: the emulator answers in-process, and were a hostile setting to
slip past the emulator's transport, the discard port refuses the connection at once."""
VALID: dict[str, object] = {
    "space_id": "fuzz-space",
    "broadcast_id": "fuzz-broadcast",
    "live_stream_id": "fuzz-stream",
    "channel": "fuzz-channel",
    "file_name": "fuzz.txt",
    "file_id": "fuzz-file",
    "file_object": b"fuzz content",
    "id": 1,
    "name": "fuzz",
    "token_id_or_key": 1,
    "is_active": True,
    "username": "fuzz@example.com",
    "password": "fuzz-password",
    "key_id": 1,
    "block_id": 1,
    "handler_id": 1,
    "event": "js-on-rest",
    "path": "fuzz",
    "code": "export default (request, response) => response.send();",
}
"""A valid value for every argument a call cannot do without (ids, names, content)."""
SECRETS = frozenset(
    {"secret_key", "auth_key", "token", "cipher_key", "token_secret", "webhook_secret"}
    | {"api_token", "password", "secret", "token_id_or_key"}
)
"""Arguments whose value must never appear in an error message."""
PUBNUB = {"subscribe_key": "sub-c-fuzz", "publish_key": "pub-c-fuzz", "user_id": "fuzz"}
WEBHOOK_SECRET = "fuzz-webhook-secret"
WEBHOOK_BODY = b'{"type": "video.asset.ready", "id": "e1", "created_at": 1, "data": {}}'


class RecordingClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` that notes URLs with dot segments.

    It looks at each URL as aiospaces built it, before httpx parses it: httpx removes
    ``.``/``..`` segments, so the request that goes out no longer shows them.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dots: list[str] = []

    def build_request(self, method: str, url: Any, **kwargs: Any) -> httpx.Request:
        """Build the request, noting a URL that has a dot segment."""
        raw = str(url).partition("?")[0].partition("#")[0]
        path = raw.split("://", 1)[1].partition("/")[2] if "://" in raw else raw
        if {".", ".."} & set(re.split(r"[/\\]", unquote(path))):  # also %2F and %2e forms
            self.dots.append(f"{method} {raw}")
        return super().build_request(method, url, **kwargs)


class GuardedTransport(httpx.AsyncBaseTransport):
    """Count requests; answer 500 when the app behind ``inner`` crashes (the client is measured).

    Every session of the sweep sends through it, so ``handled`` counts every request sent.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.handled = 0
        self.crashes = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through ``inner``; a crash of the app is a plain 500."""
        self.handled += 1
        try:
            return await self._inner.handle_async_request(request)
        except httpx.TransportError:
            raise
        except Exception:
            self.crashes += 1
            return httpx.Response(500, json={"error": "emulator crashed"}, request=request)


@attrs.define
class World:
    """The emulator, the recording client in front of it, and a client of every vendor."""

    emulator: Emulator
    guard: GuardedTransport
    recorder: RecordingClient
    session: aiospaces.Session
    settings: dict[str, dict[str, Any]]
    pn: aiospaces.PubNub
    mux: aiospaces.Mux
    nio: aiospaces.NeuroIO
    adm: aiospaces.PubNubAdmin

    @classmethod
    async def open(cls) -> World:
        """Return a world whose clients send through a recording client to the emulator."""
        emulator = Emulator()
        guard = GuardedTransport(emulator.transport())
        recorder = RecordingClient(transport=guard, follow_redirects=False)
        session = aiospaces.Session(http_client=recorder, retries=0)
        settings = emulator.settings(BASE_URL)
        settings["pubnub"] |= PUBNUB | {"secret_key": "sec-c-fuzz", "cipher_key": "fuzz-key"}
        settings["mux"] |= {"webhook_secret": WEBHOOK_SECRET}
        return cls(
            emulator,
            guard,
            recorder,
            session,
            settings,
            session.pubnub(**settings["pubnub"]),
            session.mux(**settings["mux"]),
            session.neuroio(**settings["neuroio"]),
            session.pubnub_admin(**settings["pubnub_admin"]),
        )

    async def aclose(self) -> None:
        """Close the session and the recording client."""
        await self.session.aclose()
        await self.recorder.aclose()

    def owner(self, cls: type) -> object:
        """Return this world's instance of a factory owner (a client or one of its groups)."""
        found: dict[type, object] = {
            aiospaces.PubNub: self.pn,
            aiospaces.Mux: self.mux,
            MuxSpaces: self.mux.spaces,
            LiveStreams: self.mux.live_streams,
            aiospaces.NeuroIO: self.nio,
            NeuroIOSpaces: self.nio.spaces,
            Tokens: self.nio.tokens,
            Auth: self.nio.auth,
            SpaceLists: self.nio.lists.spaces,
            aiospaces.PubNubAdmin: self.adm,
        }
        return found[cls]


Call: TypeAlias = Callable[[World, str, object], Awaitable[object]]


@attrs.frozen
class Target:
    """One argument of one entry point, and how to call it with a value.

    Attributes:
        name: ``Owner.factory(argument)``.
        ways: How the value can be given (``keyword``, ``position``, ``setter``).
        call: ``call(world, way, value)`` makes and awaits the call.
        secret: The argument is a secret: an error must not show it.
    """

    name: str
    ways: tuple[str, ...]
    call: Call
    secret: bool = False


def targets() -> list[Target]:
    """Return every target: builder factories, vendor configs, the Session, helpers."""
    found = [*_builder_targets(), *_config_targets(), *_session_targets(), *_helper_targets()]
    return [attrs.evolve(t, secret=t.name.partition("(")[2].rstrip(")") in SECRETS) for t in found]


# -- builder factories ---------------------------------------------------------------------------


def _builder_targets() -> list[Target]:
    found = []
    for owner, name, _ in factories():
        explicit, every = keywords(owner, name)
        for keyword in every:
            ways = ("keyword", "setter", *(("position",) if keyword in explicit else ()))
            call = functools.partial(_call_builder, owner, name, explicit, list(every), keyword)
            found.append(Target(f"{owner.__name__}.{name}({keyword})", ways, call))
    return found


async def _call_builder(
    owner: type,
    name: str,
    explicit: list[str],
    every: list[str],
    keyword: str,
    world: World,
    way: str,
    value: object,
) -> object:
    factory = getattr(world.owner(owner), name)
    settings = {k: VALID[k] for k in every if k in VALID and k != keyword}
    if way == "keyword":
        builder = factory(**settings, **{keyword: value})
    elif way == "position":
        ids = explicit[: explicit.index(keyword) + 1]
        args = [value if k == keyword else settings.pop(k, None) for k in ids]
        builder = factory(*args, **settings)
    else:
        builder = factory(**settings)
        getattr(builder, keyword)(value)
    return await builder


# -- vendor configs (Session.pubnub(), .mux(), .neuroio(), .pubnub_admin()) ----------------------

_PROBES: dict[str, Callable[[Any], Awaitable[object]]] = {
    "pubnub": lambda pn: pn.fetch_spaces(),
    "mux": lambda mux: mux.list_spaces(),
    "neuroio": lambda nio: nio.whoami(),
    "pubnub_admin": lambda adm: adm.list_apps(),
}


def _config_targets() -> list[Target]:
    found = []
    for vendor in _PROBES:
        factory = getattr(aiospaces.Session, vendor)
        for keyword in list(inspect.signature(factory).parameters)[1:]:
            call = functools.partial(_call_config, vendor, keyword)
            found.append(Target(f"Session.{vendor}({keyword})", ("keyword",), call))
    return found


async def _call_config(vendor: str, keyword: str, world: World, way: str, value: object) -> object:
    given = {keyword: value} if keyword == "config" else {**world.settings[vendor], keyword: value}
    client = getattr(world.session, vendor)(**given)
    return await _PROBES[vendor](client)


# -- the Session ---------------------------------------------------------------------------------


def _session_targets() -> list[Target]:
    names = list(inspect.signature(aiospaces.Session).parameters)
    return [
        Target(f"Session({name})", ("keyword",), functools.partial(_call_session, name))
        for name in names
    ]


async def _call_session(keyword: str, world: World, way: str, value: object) -> object:
    given: dict[str, Any] = {"transport": world.guard, "retries": 0}
    if keyword == "http_client":
        del given["transport"]
    given[keyword] = value
    async with aiospaces.Session(**given) as session:
        return await session.pubnub(**world.settings["pubnub"]).fetch_spaces()


# -- helpers: bulk uploads, waits, another token, deploys, webhooks ------------------------------


def _helper(name: str, defaults: dict[str, Any], run: Callable[..., Any]) -> list[Target]:
    """Return a target per argument of a helper called as ``run(world, **arguments)``."""

    async def call(keyword: str, world: World, way: str, value: object) -> object:
        result = run(world, **{**defaults, keyword: value})
        return await result if inspect.isawaitable(result) else result

    return [
        Target(f"{name}({keyword})", ("keyword",), functools.partial(call, keyword))
        for keyword in defaults
    ]


def _upload(world: World, **arguments: Any) -> Awaitable[object]:
    return world.pn.upload_files(**arguments)


def _wait(world: World, *, until: str, **arguments: Any) -> Awaitable[object]:
    wait: Callable[..., Awaitable[object]] = getattr(world.mux, f"wait_until_{until}")
    return wait(**arguments)


def _block_wait(world: World, *, action: str, **arguments: Any) -> Awaitable[object]:
    builder: StartBlock | StopBlock = getattr(world.adm, f"{action}_block")(key_id=1, block_id=1)
    return builder.wait(**arguments)


def _with_token(world: World, *, api_token: object) -> Awaitable[object]:
    return world.nio.with_token(api_token).whoami()  # type: ignore[arg-type]


def _deploy(world: World, **arguments: Any) -> Awaitable[object]:
    return world.adm.deploy_event_handler(**arguments)


def _verify(world: World, **arguments: Any) -> object:
    webhooks.verify_signature(**arguments)
    return None


def _unwrap(world: World, **arguments: Any) -> object:
    return world.mux.webhooks.unwrap(**arguments)


def _sign(world: World, **arguments: Any) -> object:
    return webhooks.sign_payload(**arguments)


def _helper_targets() -> list[Target]:
    now = int(time.time())
    signature = webhooks.sign_payload(WEBHOOK_BODY, WEBHOOK_SECRET, now)
    upload = {
        "channel": "fuzz-channel",
        "sources": [UploadItem(b"bulk", file_name="bulk.txt")],
        "concurrency": 2,
        "retries": 0,
        "on_progress": None,
        "content_type": "text/plain",
        "publish_retries": 0,
        "message": {"k": "v"},
        "meta": None,
        "should_store": False,
        "ttl": 1,
        "custom_message_type": "fuzz",
        "cipher_key": "bulk-key",
    }
    waits = {"space_id": "fuzz-space", "timeout": 1.0, "interval": 0.01, "max_interval": 0.02}
    deploy = {
        "key_id": 1,
        "block_id": 1,
        "event": "js-on-rest",
        "code": VALID["code"],
        "code_file": None,
        "name": "fuzz",
        "channels": None,
        "path": "fuzz",
        "timeout": 1.0,
    }
    verify = {"body": WEBHOOK_BODY, "signature": signature, "secret": WEBHOOK_SECRET}
    return [
        *_helper("PubNub.upload_files", upload, _upload),
        *_helper("Mux.wait_until_active", waits, functools.partial(_wait, until="active")),
        *_helper("Mux.wait_until_idle", waits, functools.partial(_wait, until="idle")),
        *_helper("StartBlock.wait", {"timeout": 1.0, "interval": 0.01}, _start_wait),
        *_helper("StopBlock.wait", {"timeout": 1.0, "interval": 0.01}, _stop_wait),
        *_helper("NeuroIO.with_token", {"api_token": "fuzz-token"}, _with_token),
        *_helper("PubNubAdmin.deploy_event_handler", deploy, _deploy),
        *_helper("webhooks.verify_signature", {**verify, "tolerance": 300.0, "now": now}, _verify),
        *_helper("Webhooks.unwrap", {**verify, "tolerance": 1e12}, _unwrap),
        *_helper("webhooks.sign_payload", {"body": b"{}", "secret": "s", "timestamp": 1}, _sign),
    ]


_start_wait = functools.partial(_block_wait, action="start")
_stop_wait = functools.partial(_block_wait, action="stop")
