"""Set-up and checks of the hostile sweep, over HTTP only (any transport, either mode).

[prepare][] seeds credentials through the control API, creates a channel, an uploaded file, a
Mux space with a broadcast and a participant, NeuroIO tokens and spaces, an Admin block with a
handler, and returns their ids and the credentials as a [Context][]. [error_shape][] tells
whether a 4xx is in its vendor's error shape; [poison_checks][] runs [LIST_CHECKS][] after the
sweep.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
import httpx

__all__ = [
    "LIST_CHECKS",
    "Context",
    "error_shape",
    "fill",
    "multipart",
    "placeholders",
    "poison_checks",
    "prepare",
    "url",
]

SUB, PUB, AUTH, CHANNEL = "sub-c-hostile", "pub-c-hostile", "auth-hostile", "ch-hostile"
GROUP = "grp-hostile"
FILE_NAME = "hostile.txt"
MUX_TOKEN, MUX_SECRET = "tok-hostile", "sec-hostile"
NIO_TOKEN = "nio-token-hostile"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@hostile.example", "pw"
BOUNDARY = b"hostileboundary"
HANDLER_CODE = "export default (request, response) => response.send();"


def _basic(user: bytes, secret: bytes) -> bytes:
    return b"Basic " + base64.b64encode(user + b":" + secret)


@attrs.frozen
class Context:
    """What the hostile requests are built from.

    Attributes:
        values: Placeholder name -> its URL-ready value (ids, keys, the storage key, ...).
        queries: Vendor -> the query string its credentials go in.
        headers: Vendor -> the headers its credentials go in.
        wrong: Vendor -> (query, headers) of credentials the emulator does not know.
        uploads: ``(content type, body)`` of odd presigned POSTs to ``/_storage/``.
    """

    values: dict[str, str]
    queries: dict[str, str]
    headers: dict[str, dict[str, bytes]]
    wrong: dict[str, tuple[str, dict[str, bytes]]]
    uploads: tuple[tuple[bytes, bytes], ...]

    def credentials(self, vendor: str) -> tuple[str, dict[str, bytes]]:
        """Return the query and headers that authenticate a request to ``vendor``."""
        return self.queries.get(vendor, ""), self.headers.get(vendor, {})


def multipart(fields: list[tuple[bytes, bytes]], files: list[tuple[bytes, bytes]]) -> bytes:
    """Return a multipart/form-data body (boundary ``BOUNDARY``): fields, then file parts."""
    parts = [
        b'Content-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value
        for name, value in fields
    ]
    parts += [
        b'Content-Disposition: form-data; name="file"; filename="' + name + b'"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + data
        for name, data in files
    ]
    body = b"".join(b"--" + BOUNDARY + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + BOUNDARY + b"--\r\n"


def _uploads(fields: list[tuple[bytes, bytes]]) -> tuple[tuple[bytes, bytes], ...]:
    """Return odd presigned POSTs built from a real one's form fields."""
    form = b"multipart/form-data; boundary=" + BOUNDARY
    file = [(FILE_NAME.encode(), b"hello")]
    odd_values = (b"", b"\x00", b"\xff\xfe", b"\xed\xa0\x80", b"a" * 30_000)
    bodies = [
        multipart([(n, odd if n == name else v) for n, v in fields], file)
        for name, _ in fields
        for odd in odd_values
    ]
    bodies += [
        multipart([*fields, (b"\xff", b"x")], file),
        multipart([*fields, (b"", b"x")], file),
        multipart([*fields, fields[0]], file),
        multipart(fields, []),
        multipart(fields, file * 2),
        multipart(fields, [(b"\xff\x00", b"x")]),
        multipart([], file) + multipart(fields, []),
        multipart(fields, [(FILE_NAME.encode(), b"x" * (6 * 1024 * 1024))]),
        b"--" + BOUNDARY + b"\r\n",
        b"garbage",
        b"",
    ]
    valid = multipart(fields, file)
    odd_types = (
        (b"multipart/form-data", valid),
        (b"multipart/form-data; boundary=" + b"x" * 200, valid),
        (b"multipart/form-data; boundary=\xff", valid),
        (b"application/json", b"{}"),
        (b"application/x-www-form-urlencoded", b"key=%FF"),
    )
    return (*((form, body) for body in bodies), *odd_types)


async def prepare(client: httpx.AsyncClient) -> Context:
    """Seed every vendor and make one of each resource through ``client``; return the ids."""

    async def call(method: str, url: str, expect: int, **kwargs: Any) -> httpx.Response:
        response = await client.request(method, url, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"set-up {method} {url}: {response.status_code} {response.text}")
        return response

    auth = {"auth": AUTH}
    pubnub_seed = {"subscribe_key": SUB, "publish_key": PUB, "auth_keys": [AUTH]}
    await call("POST", "/_emulator/pubnub/seed", 201, json=pubnub_seed)
    await call("PATCH", f"/v2/objects/{SUB}/channels/{CHANNEL}", 200, params=auth, json={})
    files = f"/v1/files/{SUB}/channels/{CHANNEL}"
    made = await call(
        "POST", files + "/generate-upload-url", 200, params=auth, json={"name": FILE_NAME}
    )
    file_id = made.json()["data"]["id"]
    fields = [
        (f["key"].encode(), f["value"].encode())
        for f in made.json()["file_upload_request"]["form_fields"]
    ]
    form = {"Content-Type": b"multipart/form-data; boundary=" + BOUNDARY}
    upload = multipart(fields, [(FILE_NAME.encode(), b"hello")])
    await call("POST", "/_storage/", 204, content=upload, headers=form)
    found = await call("GET", f"{files}/files/{file_id}/{FILE_NAME}", 307, params=auth)
    location = urlsplit(found.headers["location"])
    message = quote(f'{{"file": {{"id": "{file_id}", "name": "{FILE_NAME}"}}}}', safe="")
    publish = f"/v1/files/publish-file/{PUB}/{SUB}/0/{CHANNEL}/0/{message}"
    await call("GET", publish, 200, params=auth)
    meta = {"meta": '{"k": "v"}', "custom_message_type": "hostile-type", "uuid": "me"}
    await call("GET", f"/publish/{PUB}/{SUB}/0/{CHANNEL}/0/%22hi%22", 200, params=auth | meta)
    groups = f"/v1/channel-registration/sub-key/{SUB}/channel-group/{GROUP}"
    await call("GET", groups, 200, params=auth | {"add": CHANNEL})

    mux_seed = {"token_id": MUX_TOKEN, "token_secret": MUX_SECRET, "environment": "env-hostile"}
    await call("POST", "/_emulator/mux/seed", 201, json=mux_seed | {"webhook_secret": "whsec"})
    mux = {"Authorization": _basic(MUX_TOKEN.encode(), MUX_SECRET.encode())}
    stream = await call("POST", "/video/v1/live-streams", 201, headers=mux, json={})
    stream_id = stream.json()["data"]["id"]
    broadcasts = {"broadcasts": [{"live_stream_id": stream_id}]}
    space = (await call("POST", "/video/v1/spaces", 201, headers=mux, json=broadcasts)).json()
    space_id = space["data"]["id"]
    joined = {"participant_id": "p1"}
    await call("POST", f"/_emulator/mux/spaces/{space_id}/participants", 201, json=joined)

    nio_seed = {"username": "nio-hostile", "password": "pw", "tokens": [NIO_TOKEN]}
    seeded = await call("POST", "/_emulator/neuroio/seed", 201, json=nio_seed | {"spaces": ["a"]})
    nio = {"Authorization": b"Token " + NIO_TOKEN.encode()}
    token = await call("POST", "/v1/tokens/", 201, headers=nio, json={"permanent": True})

    admin_seed = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    account = (await call("POST", "/_emulator/pubnub_admin/seed", 201, json=admin_seed)).json()
    key_id = account["apps"][0]["keys"][0]["id"]
    session = await call("POST", "/api/me", 200, json=admin_seed)
    admin = {"X-Session-Token": session.json()["result"]["token"].encode()}
    blocks = f"/api/v1/blocks/key/{key_id}"
    block = await call(
        "POST", blocks + "/block", 200, headers=admin, json={"key_id": key_id, "name": "b"}
    )
    block_id = block.json()["payload"]["id"]
    handler = {"key_id": key_id, "block_id": block_id, "name": "h", "event": "js-on-rest"}
    handler |= {"path": "p", "code": HANDLER_CODE}
    made_handler = await call("POST", blocks + "/event_handler", 200, headers=admin, json=handler)

    values = {
        "sub": SUB,
        "pub": PUB,
        "channel": CHANNEL,
        "file_id": file_id,
        "file_name": FILE_NAME,
        "message": message,
        "signal": quote('"hi"', safe=""),
        "group": GROUP,
        "storage_key": location.path.removeprefix("/_storage/"),
        "space": space_id,
        "broadcast": space["data"]["broadcasts"][0]["id"],
        "stream": stream_id,
        "participant": "p1",
        "token": str(token.json()["id"]),
        "nio_space": str(seeded.json()["spaces"][0]["id"]),
        "key": str(key_id),
        "block": str(block_id),
        "handler": str(made_handler.json()["payload"]["id"]),
        "account": str(account["account_id"]),
        "user": str(account["user_id"]),
        "vendor": "pubnub",
    }
    forged = location.query.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    return Context(
        values=values,
        queries={"pubnub": f"auth={AUTH}", "storage": location.query, "pubnub-seeded": "auth=a"},
        headers={
            "mux": mux,
            "neuroio": nio,
            "admin": admin,
            "mux-seeded": {"Authorization": _basic(b"tok-seeded", b"s")},
            "neuroio-seeded": {"Authorization": b"Token nio-seeded"},
        },
        wrong={
            "pubnub": ("auth=wrong-auth", {}),
            "storage": (forged, {}),
            "mux": ("", {"Authorization": _basic(b"tok-unknown", b"secret")}),
            "neuroio": ("", {"Authorization": b"Token nio-unknown"}),
            "admin": ("", {"X-Session-Token": b"unknown"}),
        },
        uploads=_uploads(fields),
    )


def fill(template: str, context: Context) -> str:
    """Return ``template`` with every ``<name>`` replaced by the context's value."""
    return re.sub(r"<(\w+)>", lambda m: context.values[m.group(1)], template)


def placeholders(template: str) -> list[str]:
    """Return the names of a template's ``<name>`` placeholders."""
    return re.findall(r"<(\w+)>", template)


def url(path: str, *queries: str) -> str:
    """Return ``path`` with the non-empty ``queries`` joined as its query string."""
    query = "&".join(q for q in queries if q)
    return f"{path}?{query}" if query else path


_PN = "/v2/objects/<sub>/channels"
LIST_CHECKS: tuple[tuple[str, str], ...] = (
    ("pubnub", _PN + "?include=custom,status,type&count=true"),
    ("pubnub", "/v1/files/<sub>/channels/<channel>/files"),
    (
        "pubnub",
        "/v3/history/sub-key/<sub>/channel/<channel>?include_meta=true&include_uuid=true"
        "&include_message_type=true&include_custom_message_type=true",
    ),
    ("pubnub", "/v2/subscribe/<sub>/<channel>/0?tt=1"),
    ("pubnub-seeded", "/v2/objects/sub-seeded/channels"),
    ("mux", "/video/v1/spaces"),
    ("mux", "/video/v1/live-streams"),
    ("mux-seeded", "/video/v1/spaces"),
    ("neuroio", "/v1/tokens/"),
    ("neuroio", "/v1/spaces/"),
    ("neuroio", "/v1/lists/spaces/"),
    ("neuroio-seeded", "/v1/whoami/"),
    ("admin", "/api/apps?owner_id=<account>"),
    ("admin", "/api/v1/blocks/key/<key>/block"),
    ("control", "/_emulator/state"),
    ("control", "/_emulator/faults"),
    ("control", "/_emulator/mux/webhooks"),
    ("control", "/_emulator/mux/config"),
)
"""Lists that must still answer (< 500, strict JSON) after the sweep, also with the credentials
the sweep's seeds may have provisioned."""


def error_shape(vendor: str, response: httpx.Response) -> bool:
    """Return whether a 4xx answer is in the vendor's error shape."""
    if vendor == "storage":
        return response.text.startswith("<?xml") and "<Error>" in response.text
    try:
        body = response.json()
    except ValueError:
        return False
    if vendor == "pubnub" and isinstance(body, list):  # publish and signal: [0, message, tt]
        return len(body) == 3 and body[0] == 0 and all(isinstance(v, str) for v in body[1:])
    if not isinstance(body, dict):
        return False
    if vendor == "pubnub":
        return "error" in body and "status" in body
    if vendor == "mux":
        inner = body.get("error")
        return (isinstance(inner, dict) and {"type", "messages"} <= inner.keys()) or isinstance(
            body.get("errors"), list
        )
    if vendor == "neuroio":
        return isinstance(body.get("error_codes"), list) and "message" in body
    if vendor == "admin":
        return bool({"error", "message", "error_code"} & body.keys())
    return isinstance(body.get("error"), str)


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


async def poison_checks(client: httpx.AsyncClient, context: Context) -> list[str]:
    """Return the [LIST_CHECKS][] that fail: an answer >= 500, or one that is not strict JSON."""
    failed: list[str] = []
    for vendor, template in LIST_CHECKS:
        creds_query, headers = context.credentials(vendor)
        path, _, query = fill(template, context).partition("?")
        target = url(path, creds_query, query)
        try:
            response = await client.get(target, headers={k.encode(): v for k, v in headers.items()})
            if response.status_code >= 500:
                failed.append(f"GET {target}: {response.status_code}")
            elif response.content:
                _strict_json(response.text)
        except Exception as exc:  # a dropped connection, bad JSON or an in-process app's error
            failed.append(f"GET {target}: {type(exc).__name__}: {exc}")
    return failed
