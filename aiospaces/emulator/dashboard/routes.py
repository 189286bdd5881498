"""The dashboard's routes under ``/_emulator/ui``: pages, form posts and the live request log.

| method | path | shows or does |
|---|---|---|
| GET | `/_emulator/ui` | per vendor counts, the newest requests (live), reset and seed forms |
| GET | `/_emulator/ui/pubnub` | keysets: channels (Spaces), file count, newest messages |
| GET | `/_emulator/ui/files` | PubNub files with size and a download link (`?keyset=`, `?page=`) |
| GET | `/_emulator/ui/mux` | environments: spaces (participants, broadcasts), live streams |
| GET | `/_emulator/ui/neuroio` | accounts: spaces and tokens (no token keys) |
| GET | `/_emulator/ui/admin` | accounts, apps and keysets (secret keys masked), blocks |
| GET | `/_emulator/ui/requests` | the request log (filters as `GET /_emulator/requests`), live |
| GET | `/_emulator/ui/requests/events` | server-sent events: one `request` event per new record |
| GET | `/_emulator/ui/faults` | the fault rules with how often each fired; add and clear forms |
| POST | `/_emulator/ui/faults` | add a rule (form fields of `Fault`) |
| POST | `/_emulator/ui/faults/clear` | remove every rule |
| POST | `/_emulator/ui/actions/reset` | forget all state, files, faults and logged requests |
| POST | `/_emulator/ui/actions/seed` | seed a vendor (`vendor`, `payload`: the JSON of its seed) |

Pages are rendered on the server from Jinja2 templates; the stylesheet and the one script
(which opens the event stream and adds rows) ship in the package under ``static/``, so the
dashboard works offline. Form posts are checked by
[same_origin][aiospaces.emulator.dashboard.forms.same_origin] and answered with a redirect
(303) to the page they came from, or with an error page (4xx) saying what was wrong.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

import anyio
import jinja2
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from aiospaces.emulator.control import ControlledEmulator
from aiospaces.emulator.dashboard.forms import (
    FormError,
    fault_from_form,
    same_origin,
    seed_from_form,
)
from aiospaces.emulator.dashboard.views import (
    FILES_PER_PAGE,
    admin_view,
    file_rows,
    mux_view,
    overview,
    pubnub_view,
    request_row,
    with_links,
)
from aiospaces.emulator.request_log import describe_fault, filters_from_query

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from aiospaces.emulator.s3.store import Storage

__all__ = ["EVENT_POLL", "EVENT_STREAM_LIFETIME", "DashboardEmulator", "dashboard_routes"]

EVENT_POLL = 0.2
"""How often (seconds) the event stream looks for new records in the request log."""

EVENT_STREAM_LIFETIME = 300.0
"""Seconds an event stream stays open; the browser then reconnects from the last event id."""

_PACKAGE = "aiospaces.emulator.dashboard"
_NOTICES = {
    "reset": "Everything was reset.",
    "seeded": "Seeded.",
    "fault-added": "The fault rule was added.",
    "faults-cleared": "Every fault rule was removed.",
}


class DashboardEmulator(ControlledEmulator, Protocol):
    """What the dashboard reads and acts on (the [Emulator][aiospaces.emulator.app.Emulator]).

    What the control API acts on, and the object store behind the files.
    """

    @property
    def storage(self) -> Storage:
        """The object store behind the files."""
        ...


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(_PACKAGE, "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)
    return Jinja2Templates(env=env)


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    if not (text.isascii() and text.isdigit() and len(text) <= 7) or not 1 <= int(text) <= 10**6:
        raise FormError(400, "page must be a whole number from 1")
    return int(text)


def dashboard_routes(emulator: DashboardEmulator) -> list[BaseRoute]:
    """Return the ``/_emulator/ui`` routes bound to ``emulator``."""
    templates = _templates()

    def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        notice = _NOTICES.get(request.query_params.get("done", ""), "")
        context = {"notice": notice, "vendors": sorted(emulator.vendors), **context}
        return templates.TemplateResponse(request, name, context, status_code=status)

    def page(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                if request.method == "POST" and not same_origin(request):
                    raise FormError(403, "cross-site form posts are refused")
                return await handler(request)
            except FormError as error:
                return render(request, "error.html", error.status, message=error.message)

        return endpoint

    async def form(request: Request) -> Mapping[str, Any]:
        kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raise FormError(415, "post a form (application/x-www-form-urlencoded)")
        try:
            return await request.form(max_files=0, max_fields=50)
        except (HTTPException, MultiPartException) as exc:
            raise FormError(400, f"the form cannot be read: {exc}") from exc

    def snapshots() -> dict[str, Any]:
        return {name: vendor.snapshot() for name, vendor in emulator.vendors.items()}

    async def home(request: Request) -> Response:
        rows = [request_row(r) for r in reversed(emulator.requests.select(limit=20))]
        return render(
            request,
            "overview.html",
            cards=overview(snapshots()),
            rows=rows,
            last_id=emulator.requests.last_id,
            live_query="",
        )

    async def pubnub(request: Request) -> Response:
        keysets = pubnub_view(emulator.vendors["pubnub"].snapshot())
        return render(request, "pubnub.html", keysets=keysets)

    async def files(request: Request) -> Response:
        keyset = request.query_params.get("keyset") or None
        number = _page_number(request)
        rows = file_rows(emulator.vendors["pubnub"].snapshot(), keyset)
        shown = rows[(number - 1) * FILES_PER_PAGE : number * FILES_PER_PAGE]
        shown = with_links(shown, emulator.storage, _base_url(request))
        pages = max(1, -(-len(rows) // FILES_PER_PAGE))
        return render(
            request,
            "files.html",
            files=shown,
            total=len(rows),
            total_bytes=sum(row.size for row in rows),
            page=number,
            pages=pages,
            keyset=keyset or "",
        )

    async def mux(request: Request) -> Response:
        return render(
            request, "mux.html", environments=mux_view(emulator.vendors["mux"].snapshot())
        )

    async def neuroio(request: Request) -> Response:
        accounts = sorted(emulator.vendors["neuroio"].snapshot().items())
        return render(request, "neuroio.html", accounts=accounts)

    async def admin(request: Request) -> Response:
        view = admin_view(emulator.vendors["pubnub_admin"].snapshot())
        return render(request, "admin.html", **view)

    def filters(params: Mapping[str, str]) -> dict[str, Any]:
        try:
            return filters_from_query(params)
        except ValueError as exc:
            raise FormError(400, str(exc)) from exc

    async def requests_page(request: Request) -> Response:
        chosen = filters(request.query_params)
        records = emulator.requests.select(**chosen)
        rows = [request_row(r) for r in reversed(records)]
        live = {k: v for k, v in chosen.items() if k not in ("limit", "since")}
        return render(
            request,
            "requests.html",
            rows=rows,
            chosen=chosen,
            last_id=emulator.requests.last_id,
            live_query=urlencode(live),
            size=emulator.requests.size,
        )

    async def events(request: Request) -> Response:
        chosen = filters({k: v for k, v in request.query_params.items() if k != "after"})
        chosen.pop("limit", None)
        chosen.pop("since", None)
        after = request.headers.get("last-event-id") or request.query_params.get("after", "")
        last = int(after) if after.isascii() and after.isdigit() and len(after) < 18 else 0
        log = emulator.requests
        if last > log.last_id:  # a stream of an emulator that restarted: start over
            last = 0

        async def stream() -> AsyncIterator[str]:
            nonlocal last
            yield "retry: 1000\n\n"
            ends = time.monotonic() + EVENT_STREAM_LIFETIME
            quiet_since = time.monotonic()
            while time.monotonic() < ends and not await request.is_disconnected():
                top = log.last_id
                fresh = log.select(since=last, **chosen) if top != last else []  # no new request
                for record in fresh:
                    data = json.dumps(request_row(record), ensure_ascii=False)
                    yield f"id: {record.id}\nevent: request\ndata: {data}\n\n"
                last = max(top, fresh[-1].id if fresh else 0)
                if fresh:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > 15:
                    yield ": still here\n\n"
                    quiet_since = time.monotonic()
                await anyio.sleep(EVENT_POLL)

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def faults_page(request: Request) -> Response:
        rules = [
            {"index": i, "rule": rule, "does": describe_fault(rule)}
            for i, rule in enumerate(emulator.faults.rules, 1)
        ]
        return render(request, "faults.html", rules=rules)

    async def add_fault(request: Request) -> Response:
        emulator.faults.add(fault_from_form(await form(request)))
        return RedirectResponse("/_emulator/ui/faults?done=fault-added", status_code=303)

    async def clear_faults(request: Request) -> Response:
        emulator.faults.clear()
        return RedirectResponse("/_emulator/ui/faults?done=faults-cleared", status_code=303)

    async def reset(request: Request) -> Response:
        emulator.reset()
        return RedirectResponse("/_emulator/ui?done=reset", status_code=303)

    async def seed(request: Request) -> Response:
        name, payload = seed_from_form(await form(request), frozenset(emulator.vendors))
        try:
            emulator.vendors[name].seed(payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise FormError(400, f"bad seed payload: {exc}") from exc
        return RedirectResponse("/_emulator/ui?done=seeded", status_code=303)

    ui = "/_emulator/ui"
    table: list[tuple[str, Callable[[Request], Awaitable[Response]], str]] = [
        (ui, home, "GET"),
        (ui + "/pubnub", pubnub, "GET"),
        (ui + "/files", files, "GET"),
        (ui + "/mux", mux, "GET"),
        (ui + "/neuroio", neuroio, "GET"),
        (ui + "/admin", admin, "GET"),
        (ui + "/requests", requests_page, "GET"),
        (ui + "/requests/events", events, "GET"),
        (ui + "/faults", faults_page, "GET"),
        (ui + "/faults", add_fault, "POST"),
        (ui + "/faults/clear", clear_faults, "POST"),
        (ui + "/actions/reset", reset, "POST"),
        (ui + "/actions/seed", seed, "POST"),
    ]
    static = StaticFiles(packages=[(_PACKAGE, "static")])
    return [
        *(Route(path, page(handler), methods=[method]) for path, handler, method in table),
        Mount(ui + "/static", app=static, name="dashboard-static"),
    ]
