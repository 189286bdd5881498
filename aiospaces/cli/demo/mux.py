"""The Mux part of `make demo`: a space broadcast started and stopped against the emulator.

Seeds a token through the control API (so it works in sandbox and strict mode), creates a
live stream and a space with a broadcast, connects a participant through the emulator's
control API, starts and stops the broadcast (the live stream is completed), lets the
participant leave, deletes the space, checks that a rule violation is a typed error and that
every webhook the emulator recorded carries a valid signature. Any broken promise raises.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from aiospaces.cli.demo._checks import DemoError, check
from aiospaces.core.errors import AmbiguousResultError, BadRequestError, NotFoundError
from aiospaces.emulator.app import serve_asgi
from aiospaces.mux.models import BroadcastStatus, LiveStreamStatus, SpaceStatus

if TYPE_CHECKING:
    from starlette.requests import Request

    from aiospaces.mux.client import Mux
    from aiospaces.session import Session

__all__ = ["run"]

_TOKEN_ID = "demo-mux-token"  # noqa: S105 - a token id, not a secret
_TOKEN_SECRET = "demo-mux-secret"  # noqa: S105 - a demo credential seeded into the emulator
_WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105 - likewise


_check = functools.partial(check, part="mux")


async def _control(session: Session, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    response = await session.http_client.request(method, url, **kwargs)
    _check(response.status_code < 400, f"{method} {url} answered {response.status_code}")
    result: dict[str, Any] = response.json()
    return result


async def run(session: Session, base_url: str) -> list[tuple[str, str]]:
    """Run the Mux workload against the emulator at ``base_url``; return (step, outcome) rows.

    Raises:
        DemoError: A result was not what the emulated Mux promises.
    """
    control = f"{base_url}/_emulator/mux"
    await _control(
        session,
        "POST",
        f"{control}/seed",
        json={
            "token_id": _TOKEN_ID,
            "token_secret": _TOKEN_SECRET,
            "webhook_secret": _WEBHOOK_SECRET,
        },
    )
    mux: Mux = session.mux(token_id=_TOKEN_ID, token_secret=_TOKEN_SECRET, base_url=base_url)
    rows: list[tuple[str, str]] = []
    started = time.perf_counter()

    stream = await mux.create_live_stream().playback_policy("public").latency_mode("low")
    space = (
        await mux.create_space()
        .type("server")
        .passthrough("demo")
        .broadcast(live_stream_id=stream.id, layout="active-speaker", resolution="1280x720")
    )
    broadcast = space.broadcasts[0]
    _check(space.status is SpaceStatus.IDLE, "a new space is idle")
    rows.append(("create space + broadcast", f"space {space.id[:8]}… idle, 1 broadcast"))

    try:
        await mux.start_space_broadcast(space.id, broadcast.id)
    except BadRequestError as exc:
        rows.append(("start while idle", f"{type(exc).__name__}: {exc.message[:40]}…"))
    else:
        raise DemoError("starting a broadcast in an idle space must fail")

    await _control(
        session, "POST", f"{control}/spaces/{space.id}/participants", json={"participant_id": "ann"}
    )
    active = await mux.wait_until_active(space.id, timeout=10, interval=0.01)
    _check(active.active_session_id is not None, "an active space has a session id")
    rows.append(("participant joins", f"space active, session {active.active_session_id}"))

    await mux.start_space_broadcast(space.id, broadcast.id)
    on_air = await mux.get_space_broadcast(space.id, broadcast.id)
    live = await mux.get_live_stream(stream.id)
    _check(on_air.status is BroadcastStatus.ACTIVE, "the broadcast is active after start")
    _check(live.status is LiveStreamStatus.ACTIVE, "the live stream is active after start")
    rows.append(("start broadcast", "broadcast active, live stream active"))

    await mux.spaces.stop_broadcast(space.id, broadcast.id)
    stopped = await mux.get_space_broadcast(space.id, broadcast.id)
    completed = await mux.live_streams.get(stream.id)
    _check(stopped.status is BroadcastStatus.IDLE, "the broadcast is idle after stop")
    _check(completed.status is LiveStreamStatus.IDLE, "stop completes the live stream")
    _check(len(completed.recent_asset_ids) == 1, "the completed stream kept its recording")
    rows.append(("stop broadcast", "broadcast idle, live stream completed (1 asset)"))

    await _control(session, "DELETE", f"{control}/spaces/{space.id}/participants/ann")
    idle = await mux.wait_until_idle(space.id, timeout=10, interval=0.01)
    _check(idle.active_session_id is None, "an idle space has no session id")
    rows.append(("participant leaves", "space idle"))

    rows.append(await _lost_answers(session, mux, base_url))

    await mux.delete_space(space.id)
    try:
        await mux.get_space(space.id)
    except NotFoundError:
        pass
    else:
        raise DemoError("a deleted space must be gone")
    await mux.delete_live_stream(stream.id)
    listed = [s.id async for s in mux.list_spaces(limit=10)]
    _check(space.id not in listed, "the deleted space is not listed")
    rows.append(("delete space", "404 afterwards, not listed"))

    received: list[tuple[bytes, str]] = []
    with serve_asgi(_receiver(received)) as receiver_url:
        report = await _control(
            session,
            "POST",
            f"{control}/webhooks/send",
            json={"url": receiver_url, "environment": _TOKEN_ID},
        )
    delivered = report["delivered"]
    _check(all(d["status_code"] == 200 for d in delivered), "every webhook was accepted")
    kinds = set()
    for body, signature in received:
        event = mux.webhooks.unwrap(body, signature, secret=_WEBHOOK_SECRET)  # verifies first
        kinds.add(event.type)
    for kind in ("video.space.active", "video.space.broadcast.active", "video.live_stream.idle"):
        _check(kind in kinds, f"webhook {kind} was delivered")
    took = (time.perf_counter() - started) * 1000
    rows.append(("webhooks", f"{len(received)} delivered, signatures valid; {took:.0f} ms"))
    return rows


def _receiver(received: list[tuple[bytes, str]]) -> Starlette:
    """Return an ASGI app that records each webhook's raw body and Mux-Signature."""

    async def record(request: Request) -> Response:
        received.append((await request.body(), request.headers.get("mux-signature", "")))
        return Response()

    return Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])


async def _lost_answers(session: Session, mux: Mux, base_url: str) -> tuple[str, str]:
    """Show that a create whose answer is lost is never sent twice (reconciled or ambiguous)."""
    rule = {"method": "POST", "path": "/video/v1/spaces", "lose_answer": "drop", "times": 2}
    await _control(session, "POST", f"{base_url}/_emulator/faults", json=rule)
    before = [s.id async for s in mux.list_spaces()]
    found = await mux.create_space(passthrough="order-17")  # answer lost, found by passthrough
    try:
        await mux.create_space()  # answer lost, nothing set to find it by
    except AmbiguousResultError as error:
        outcome = f"then AmbiguousResultError ({error.attempts} request sent)"
    else:
        raise DemoError("a create whose answer was lost must not pass as a success")
    after = [s async for s in mux.list_spaces()]
    _check(len(after) == len(before) + 2, "each lost create made exactly one space")
    _check(found.passthrough == "order-17", "the reconciled space is the one created")
    for made in after:
        if made.id not in before:
            await mux.delete_space(made.id)
    return ("lost answers", f"reconciled by passthrough, {outcome}; no duplicates")
