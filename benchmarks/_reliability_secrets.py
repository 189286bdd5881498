"""The secrets grep of ``benchmarks/reliability.py``.

Every logger is turned to DEBUG and captured; a workload that succeeds and fails in many ways
(answers of 404, 503 and dropped connections, wrong-typed settings) runs on one backend
against a served emulator; then every log line, every exception's full traceback (its chain
included) and the repr of every client, config, builder and session are searched for the
secrets in use, and for signed or authenticated URLs whose values are not masked.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any, Literal

import aiospaces
from aiospaces.emulator import Emulator
from aiospaces.emulator.faults import Fault

SECRETS = {
    "pubnub secret_key": "sec-c-SECRETKEY0123456789",
    "pubnub auth_key": "AUTHKEY0123456789",
    "pubnub cipher_key": "CIPHERKEY0123456789",
    "mux token_secret": "MUXSECRET0123456789",
    "neuroio api_token": "NIOTOKEN0123456789",
    "admin password": "ADMINPASSWORD0123456789",
}
_UNMASKED = re.compile(r"[?&](?:signature|auth|token|password|secret_key)=(?!\*\*\*)[^&\s'\"]+")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
        if record.exc_info:
            self.texts.append("".join(traceback.format_exception(*record.exc_info)))


async def _workload(url: str, backend: Literal["httpx", "aiohttp"], texts: list[str]) -> None:
    host = url.split("://", 1)[1]

    async def attempt(call: Any) -> None:
        try:
            await call
        except Exception as exc:
            texts.append("".join(traceback.format_exception(exc)))
            texts.append(repr(exc))

    async with aiospaces.Session(backend=backend) as session:
        pn = session.pubnub(
            subscribe_key="sub-c-secrets",
            publish_key="pub-c-secrets",
            secret_key=SECRETS["pubnub secret_key"],
            auth_key=SECRETS["pubnub auth_key"],
            cipher_key=SECRETS["pubnub cipher_key"],
            user_id="secrets",
            origin=host,
            ssl=False,
            max_retries=1,
        )
        mux = session.mux(token_id="mux-id", token_secret=SECRETS["mux token_secret"], base_url=url)  # noqa: S106
        nio = session.neuroio(api_token=SECRETS["neuroio api_token"], iam_url=url)
        adm = session.pubnub_admin(
            email="sandbox@example.com", password=SECRETS["admin password"], base_url=url
        )
        texts.extend(repr(x) for x in (session, pn, mux, nio, adm, pn.config, mux.config))
        builders = (pn.fetch_space(space_id="room"), mux.list_spaces(), nio.tokens.list())
        texts.extend(repr(b) for b in builders)
        calls = [
            pn.create_space(space_id="room", name="Room"),
            pn.fetch_space(space_id="room"),
            pn.fetch_space(space_id="missing"),
            pn.send_file(channel="ch", file_name="a.txt", file_object=b"secret payload"),
            pn.publish_file_message(channel="ch", file_id="f", file_name="a.txt"),
            pn.download_file(channel="ch", file_id="nope", file_name="a.txt"),
            mux.list_spaces(),
            mux.get_space("missing"),
            nio.tokens.list(),
            nio.tokens.get("0123456789abcdef0123456789abcdef"),
            adm.list_apps(),
        ]
        for call in calls:
            await attempt(call)
    # settings of the wrong type: the error names the type, never the value
    wrong: Any = {name: secret.encode() for name, secret in SECRETS.items()}
    for build in (
        lambda: aiospaces.PubNub(
            subscribe_key="s", user_id="u", secret_key=wrong["pubnub secret_key"]
        ),
        lambda: aiospaces.PubNub(
            subscribe_key="s", user_id="u", cipher_key=wrong["pubnub cipher_key"]
        ),
        lambda: aiospaces.Mux(token_id="i", token_secret=wrong["mux token_secret"]),  # noqa: S106
        lambda: aiospaces.NeuroIO(api_token=wrong["neuroio api_token"]),
        lambda: aiospaces.PubNubAdmin(email="e@x.y", password=wrong["admin password"]),
    ):
        try:
            build()
        except Exception as exc:
            texts.append("".join(traceback.format_exception(exc)))


async def find_secrets(backend: Literal["httpx", "aiohttp"]) -> tuple[int, list[str]]:
    """Run the workload on ``backend``; return how many texts were searched and what leaked."""
    capture = _Capture()
    capture.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    saved = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    texts: list[str] = []
    emulator = Emulator()
    emulator.faults.add(Fault(method="GET", path="/v2/objects/*/channels/missing", status=503))
    emulator.faults.add(Fault(method="GET", path="/video/v1/spaces", drop=True, times=1))
    try:
        with emulator.serve() as url:
            await _workload(url, backend, texts)
    finally:
        root.removeHandler(capture)
        root.setLevel(saved)
    texts.extend(capture.texts)
    found = []
    for text in texts:
        for name, secret in SECRETS.items():
            if secret in text:
                found.append(f"{name}: {_around(text, secret)}")
        found.extend(f"unmasked: {m.group(0)}" for m in _UNMASKED.finditer(text))
    return len(texts), found


def _around(text: str, needle: str) -> str:
    at = text.index(needle)
    return text[max(0, at - 80) : at + 40].replace("\n", " ")
