"""The public surface is typed: mypy reports each deliberate mistake and keeps result types.

The file below is checked by mypy (``--strict``). A line ending in ``# E: code`` must get that
error; a line ending in ``# R: type`` must reveal that type; every other line must be clean.
"""

from __future__ import annotations

import re

import pytest

mypy_api = pytest.importorskip("mypy.api")

SAMPLE = """
import aiospaces
from aiospaces.pubnub.report import UploadItem


async def mistakes(session: aiospaces.Session) -> None:
    aiospaces.Session(backend="curl")  # E: arg-type
    pn = session.pubnub(subscribe_key="s", user_id="u", sub_key="x")  # E: call-arg
    aiospaces.PubNub(subscribe_key="s", user_id="u", ssl="no")  # E: arg-type
    pn.create_space(space_idd="room")  # E: call-arg
    pn.fetch_spaces(limit="10")  # E: arg-type
    pn.fetch_spaces().limit("10")  # E: arg-type
    pn.create_space().limit(5)  # E: attr-defined
    pn.send_file(channel="c", file_object=3.5)  # E: arg-type
    pn.upload_files("c", ["a.txt"], should_stor=True)  # E: call-arg
    pn.upload_files("c", [UploadItem(b"x", file_name="x")], ttl="1")  # E: arg-type
    mux = session.mux(tokn_id="x")  # E: call-arg
    mux.get_space(space_idd="x")  # E: call-arg
    mux.create_space(type=5)  # E: arg-type
    mux.list_live_streams(limit=10, stauts="idle")  # E: call-arg
    aiospaces.NeuroIO(api_url="x")  # E: call-arg
    nio = session.neuroio(api_token="t")
    nio.spaces.create(nam="x")  # E: call-arg
    nio.tokens.update(1, is_active="yes")  # E: arg-type
    adm = session.pubnub_admin(emal="x")  # E: call-arg
    adm.start_block(key_id="1", block_id=2)  # E: arg-type
    adm.create_event_handler(key_id=1, evnt="js-on-rest")  # E: call-arg
    pn.publish(channel="c", mesage="x")  # E: call-arg
    pn.publish().ttl("1")  # E: arg-type
    pn.fetch_messages(count="5")  # E: arg-type
    pn.subscribe(channel="c")  # E: call-arg


async def results(session: aiospaces.Session) -> None:
    pn = session.pubnub(subscribe_key="s", user_id="u")
    space = await pn.create_space(space_id="room")
    reveal_type(space)  # R: aiospaces.pubnub.models.Space
    page = await pn.fetch_spaces(limit=10).future()
    reveal_type(page)  # R: aiospaces.core.builder.Envelope[aiospaces.pubnub.models.SpacePage]
    async for item in pn.fetch_spaces():
        reveal_type(item)  # R: aiospaces.pubnub.models.Space
    sent = await pn.send_file(channel="c", file_name="a", file_object=b"x")
    reveal_type(sent)  # R: aiospaces.pubnub.models.SentFile
    reveal_type(await pn.download_file(channel="c", file_id="i", file_name="a"))  # R: bytes
    mux = session.mux(token_id="i", token_secret="s")
    reveal_type(await mux.get_space("sp"))  # R: aiospaces.mux.models.Space
    reveal_type(await mux.spaces.list(limit=5))  # R: aiospaces.mux.models.SpacePage
    nio = session.neuroio(api_token="t")
    reveal_type(await nio.spaces.list(q="a"))  # R: aiospaces.neuroio.models.Page[aiospaces.neuroio.models.Space]
    adm = session.pubnub_admin(email="e", password="p")
    reveal_type(await adm.start_block(key_id=1, block_id=2).wait())  # R: aiospaces.pubnub_admin.models.Block
    reveal_type(space.to_dict())  # R: dict[str, Any]
    reveal_type(await pn.publish(channel="c", message=1))  # R: aiospaces.pubnub.models.Published
    async for message in pn.fetch_messages(channel="c"):
        reveal_type(message)  # R: aiospaces.pubnub.models.HistoryMessage
    async with pn.subscribe(channels=["c"]) as sub:
        async for event in sub:
            reveal_type(event)  # R: aiospaces.pubnub.events.MessageEvent | aiospaces.pubnub.events.SignalEvent | aiospaces.pubnub.events.FileEvent | aiospaces.pubnub.events.MessageActionEvent | aiospaces.pubnub.events.ObjectsEvent | aiospaces.pubnub.events.PresenceEvent | aiospaces.pubnub.events.UndecryptableEvent
"""


def test_mypy_reports_every_mistake_and_keeps_result_types() -> None:
    # -c: the sample is a program text, never a cached module (a cached one would replay
    # its old messages)
    out, err, _ = mypy_api.run(["-c", SAMPLE, "--strict", "--show-error-codes", "--no-pretty"])
    assert not err
    errors: dict[int, set[str]] = {}
    revealed: dict[int, str] = {}
    for line in out.splitlines():
        found = re.match(r"<string>:(\d+): (error|note): (.*)", line)
        if not found:
            continue
        number, kind, text = int(found[1]), found[2], found[3]
        if kind == "error":
            code = re.search(r"\[([a-z-]+)\]$", text)
            errors.setdefault(number, set()).add(code[1] if code else text)
        elif text.startswith("Revealed type is "):
            revealed[number] = text.removeprefix("Revealed type is ").strip('"')
    expected_errors: dict[int, set[str]] = {}
    expected_types: dict[int, str] = {}
    for number, line in enumerate(SAMPLE.splitlines(), start=1):
        if "# E: " in line:
            expected_errors[number] = {line.rsplit("# E: ", 1)[1]}
        elif "# R: " in line:
            expected_types[number] = line.rsplit("# R: ", 1)[1]
    assert {n: codes & expected_errors.get(n, codes) for n, codes in errors.items()} == (
        expected_errors
    ), out
    assert revealed == expected_types, out
