"""Why the differences that remain do, for ``fidelity_audit.py``: found by reading the recordings.

Each entry is ``(part, reason)``: a kind of difference containing ``part`` (``*`` stands for
any text) remains for that reason; any other kind makes the audit fail. A reason names what
the recordings show, with dates, and why the emulator does not (or cannot) follow it.
"""

from __future__ import annotations

__all__ = ["EXPLAINED"]

_EDITED = (
    "a cassette edited by hand to test an SDK's error handling (pubnub/ruby's 2014 "
    "*-non-200-* and *-invalid-* cassettes, its lib/events/*-error cassettes): the status was "
    "changed or the body cut short; not production's answer"
)
_LAG = (
    "production's storage had not yet written messages published a moment before (each such "
    "answer came within a second of the publishes, by its Date header: it shows the channel's "
    "older messages, or 119 of 120 quick publishes); the emulator stores at once. The replay "
    "leaves them out of the emulator's storage to compare the rest"
)
_2016 = "in 2016 (pubnub/ruby's generated examples); no later recording shows it"

EXPLAINED: tuple[tuple[str, str], ...] = (
    # -- App Context channels ------------------------------------------------------------------
    (
        "eTag: recorded base64",
        "an eTag of a channel last written before 2022 (14-15 base64 characters, e.g. "
        "'AZTUtcvx6NDGLQ'); every channel written since (2024-2025 recordings) has 32 hex "
        "digits, as the emulator's",
    ),
    (
        "set channel: body.data has extra key(s) custom",
        "a cassette edited by hand after recording: its request now says include=custom, but "
        "the answer (and the URL's signature) were recorded with include=1 (see the file's "
        "older versions, --history)",
    ),
    # -- recordings edited by hand, or made in a way production cannot be replayed --------------
    (
        "JSONP answer (callback=)",
        "Ruby 4.0 beta (2015) sent callback=: production wrapped its answer in a JSONP call; no "
        "SDK sends callback= now, and the emulator answers JSON (these cassettes also publish "
        "to an empty channel name, /0//0/, a path the emulator's publish route does not take)",
    ),
    ("recorded body cut off (not JSON)", _EDITED),
    ("recorded over a success body", _EDITED),
    ("recorded over a cut-off body", _EDITED),
    (
        "presence: leave: body has extra key(s) status, message, service",
        'a 2014 Ruby 3.x cassette whose leave answer is {"action": "leave"} alone; its '
        "siblings of the same set (made to test error handling) carry the full body, as every "
        "later recording and the emulator",
    ),
    (
        "timetokens: the emulator's are not in the recorded order",
        "concurrent requests (gathered publishes, a second client's handshake during a poll) "
        "recorded in the order their answers came: production's timetokens, from several "
        "servers, are not in that order; the emulator's, from one clock, are",
    ),
    # -- production's storage lagging the publishes --------------------------------------------
    ("the recorded answer lacks a message the cassette published before it", _LAG),
    ("a recorded count is below the emulator's", _LAG),
    # -- keysets production had, with features the emulator's sandbox keysets have -------------
    (
        "channel groups: add/remove channels: status 403 recorded ('Use of the channel groups",
        "a keyset without the Stream Controller add-on (pubnub/ruby lib/events/"
        "channel-registration-error, 2016): production refuses channel groups; every emulator "
        "keyset has them",
    ),
    (
        "history: delete: status 500 recorded (''), 200 served",
        "production failed this delete with 500 and an empty message (pubnub/ruby lib/events/"
        "delete_messages-error, 2017); its cause is not recorded",
    ),
    (
        "subscribe: handshake: *body.payload*",
        "Access Manager grants per channel: production's refusal names only the channels "
        "without a grant (e.g. 'demo0-pnpres' of four); the emulator's auth keys grant a whole "
        "keyset, so its refusal names every channel and group of the request",
    ),
    (
        "publish: GET: body has extra key(s) payload",
        "a revoked Access Manager v3 token (2025): production answers 'Token is revoked' "
        "without payload; the emulator has no tokens (its auth keys refuse with 'Forbidden' "
        "naming the channel)",
    ),
    ("publish: GET: value of body.message", "the same revoked token: 'Token is revoked'"),
    (
        "signal: status 400 recorded ('Signal size too large'), 200 served",
        "a 52-byte signal refused in 2019; the limit has varied (a 202-byte one refused in "
        "2019 too), PubNub documents 64 bytes now, as the emulator's",
    ),
    # -- what production answered in earlier years ---------------------------------------------
    (
        "channel groups: *: header content-type: recorded text/javascript",
        "channel groups answered text/javascript until 2023; since 2024 (pubnub/python "
        "recordings of 2024-2025) application/json, as the emulator",
    ),
    (
        "presence: *: header content-type: recorded application/json",
        "presence answered application/json in 2014; text/javascript since 2016, as the emulator",
    ),
    (
        "publish: GET: header content-type: recorded text/javascript; charset=UTF-8",
        "two publish answers of September 2025 (pubnub/ruby examples/fetch_messages) carry "
        "charset=UTF-8 unquoted; every other since 2014, including the history answers of the "
        'same minute, charset="UTF-8", as the emulator',
    ),
    (
        "history: message counts: body has extra key(s) more",
        "message counts had no 'more' in February 2019; every answer since November 2019 has "
        "it, as the emulator's",
    ),
    (
        "history: *.message_type: recorded str, emulator null",
        'message_type "1" for a plain message in 2022 recordings; null in 2024-2025 ones, as '
        "the emulator",
    ),
    (
        "history: *lacks key(s) type",
        "include_type=true, a 2023 parameter (since include_custom_message_type): production "
        'answered "type": ""; the emulator does not take it',
    ),
    (
        "subscribe: poll: body.m[] lacks key(s) mt",
        "'mt', a user message type of a 2023 beta (pubnub/python publish_message_type); "
        "later recordings carry 'cmt' instead, as the emulator",
    ),
    (
        "subscribe: poll: body.m[] lacks key(s) si",
        "'si', a space id of a 2023 beta (pubnub/python publish_space_id); no later recording "
        "has it",
    ),
    (
        "subscribe: poll: recorded b equal to c",
        f"'b' naming a plain channel's own match (b = c) {_2016}; recent answers leave it out "
        "(pubnub/python 2023-2025), as the emulator",
    ),
    (
        "subscribe: poll: recorded the same message twice",
        "a message matching two subscriptions (a channel and a channel group of the same name, "
        f"or two wildcard presence matches) was delivered once per match {_2016}; the emulator "
        "delivers it once",
    ),
    (
        "subscribe: poll: order of the items",
        "a batch of several channels grouped by subscription (wildcard matches first) "
        f"{_2016}; the emulator sends one batch in timetoken order (per channel both are)",
    ),
    (
        "subscribe: poll: value of body.m[].f",
        "flags 514 on messages another client published (2016); what set them is not "
        "recorded, the emulator's messages carry 0",
    ),
    # -- what the emulator does not emulate ----------------------------------------------------
    (
        "recorded presence event(s)",
        "presence is not emulated beyond answering heartbeat and leave: no -pnpres events",
    ),
    (
        "recorded message action event(s)",
        "message actions are not served by the emulator",
    ),
    (
        "history: *lacks key(s) actions",
        "message actions are not served: the emulator's history items carry none",
    ),
)
