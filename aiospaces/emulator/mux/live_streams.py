"""Mux emulation: validating a ``CreateLiveStreamRequest`` into a new live stream.

Only what broadcasts need of live streams is emulated (no encoder, no assets), but a new
stream answers as Mux's did (its OpenAPI document of February 2023 and recorded answers):

- ``playback_policy`` (a name or a list) becomes ``playback_ids``, absent when there are none;
- ``new_asset_settings.playback_policy`` comes back as the list ``playback_policies``;
- the deprecated ``reduced_latency``/``low_latency`` flags set ``latency_mode`` (and are
  echoed); both at once are refused;
- ``reconnect_window`` keeps the number it was given (``60`` by default, not ``60.0``);
- ``stream_key`` is laid out like Mux's (``8-4-4-4-12`` hex digits);
- the other settings (slate, subtitles, simulcast targets) are echoed with their documented
  defaults; simulcast targets get an ``id`` and the status ``idle``.

Unknown fields are refused, enums and the documented ranges are checked: every failure is a
400 ``invalid_parameters``.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiospaces.emulator.mux.state import EmuLiveStream
from aiospaces.emulator.mux.wire import (
    choice,
    invalid,
    new_id,
    now_seconds,
    refuse_unknown,
    text_param,
)

__all__ = [
    "LATENCY_MODES",
    "LIVE_STREAM_FIELDS",
    "LIVE_STREAM_STATUSES",
    "PLAYBACK_POLICIES",
    "new_live_stream",
    "playback_policies",
]

LIVE_STREAM_FIELDS = frozenset(
    {
        "playback_policy",
        "playback_policies",
        "new_asset_settings",
        "passthrough",
        "latency_mode",
        "reduced_latency",
        "low_latency",
        "reconnect_window",
        "max_continuous_duration",
        "test",
        "audio_only",
        "use_slate_for_standard_latency",
        "reconnect_slate_url",
        "simulcast_targets",
        "embedded_subtitles",
        "generated_subtitles",
        "advanced_playback_policies",
    }
)
LATENCY_MODES = ("low", "reduced", "standard")
PLAYBACK_POLICIES = ("public", "signed", "drm")
LIVE_STREAM_STATUSES = ("active", "idle", "disabled")
_FLAGS = ("test", "audio_only", "use_slate_for_standard_latency", "reduced_latency", "low_latency")
_LEGACY = {"low_latency": "low", "reduced_latency": "reduced"}
_EMBEDDED = frozenset({"name", "passthrough", "language_code", "language_channel"})
_GENERATED = frozenset({"name", "passthrough", "language_code", "transcription_vocabulary_ids"})
_SIMULCAST = frozenset({"url", "stream_key", "passthrough"})


def playback_policies(payload: dict[str, Any], *keys: str) -> list[str] | None:
    """Return the first of ``keys`` present in ``payload`` as a list of policies, or raise 400.

    A single name stands for a list of one (Mux's shortcut); absent keys give None.
    """
    for key in keys:
        value = payload.get(key)
        if value is None:
            continue
        policies = [value] if isinstance(value, str) else value
        if not isinstance(policies, list) or any(p not in PLAYBACK_POLICIES for p in policies):
            raise invalid(f"{key} must be a list of {', '.join(PLAYBACK_POLICIES)}")
        return list(policies)
    return None


def new_live_stream(payload: dict[str, Any]) -> EmuLiveStream:
    """Return a new idle live stream from a ``CreateLiveStreamRequest``, or raise 400."""
    refuse_unknown(payload, LIVE_STREAM_FIELDS, "live stream")
    policies = playback_policies(payload, "playback_policy", "playback_policies") or []
    flags = {key: payload[key] for key in _FLAGS if payload.get(key) is not None}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise invalid(f"{key} must be a boolean")
    if flags.get("low_latency") and flags.get("reduced_latency"):
        raise invalid("low_latency cannot be combined with reduced_latency")
    latency = payload.get("latency_mode")
    if latency is None:
        latency = next((mode for flag, mode in _LEGACY.items() if flags.get(flag)), "standard")
    elif latency not in LATENCY_MODES:
        raise invalid(f"latency_mode must be one of {', '.join(LATENCY_MODES)}")
    window = payload.get("reconnect_window", 60)
    if not isinstance(window, int | float) or isinstance(window, bool) or not 0 <= window <= 1800:
        raise invalid("reconnect_window must be a number from 0 to 1800")
    duration = payload.get("max_continuous_duration", 43200)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 60 <= duration <= 43200:
        raise invalid("max_continuous_duration must be an integer from 60 to 43200")
    echo: dict[str, Any] = dict(flags)
    slate = text_param(payload, "reconnect_slate_url")
    if slate is not None:
        echo["reconnect_slate_url"] = slate
    for key, parse in _LISTS.items():
        if payload.get(key) is not None:
            echo[key] = [parse(item, key) for item in _list(payload, key)]
    return EmuLiveStream(
        id=new_id(),
        created_at=now_seconds(),
        stream_key=str(uuid.uuid4()),
        playback_ids=[{"id": new_id(), "policy": p} for p in policies],
        passthrough=text_param(payload, "passthrough"),
        latency_mode=latency,
        reconnect_window=window,
        max_continuous_duration=duration,
        new_asset_settings=_asset_settings(payload.get("new_asset_settings")),
        echo=echo,
    )


def _asset_settings(settings: Any) -> dict[str, Any] | None:
    """Return ``new_asset_settings`` as Mux answers it: its policies as ``playback_policies``."""
    if settings is None:
        return None
    if not isinstance(settings, dict):
        raise invalid("new_asset_settings must be an object")
    policies = playback_policies(settings, "playback_policies", "playback_policy")
    answer = {
        k: v for k, v in settings.items() if k not in ("playback_policy", "playback_policies")
    }
    if policies is not None:
        answer["playback_policies"] = policies
    return answer


def _list(payload: dict[str, Any], key: str) -> list[Any]:
    value = payload[key]
    if not isinstance(value, list):
        raise invalid(f"{key} must be a list")
    return value


def _object(item: Any, key: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise invalid(f"each of {key} must be an object")
    refuse_unknown(item, allowed, key)
    texts = {k: text_param(item, k) for k in allowed - {"transcription_vocabulary_ids"}}
    return {k: v for k, v in sorted(texts.items()) if v is not None}


def _embedded(item: Any, key: str) -> dict[str, Any]:
    answer = _object(item, key, _EMBEDDED)
    answer.setdefault("language_code", "en")
    answer["language_channel"] = choice(answer, "language_channel", ("cc1",), "cc1")
    return answer


def _generated(item: Any, key: str) -> dict[str, Any]:
    answer = _object(item, key, _GENERATED)
    answer["language_code"] = choice(answer, "language_code", ("en", "en-US"), "en")
    ids = item.get("transcription_vocabulary_ids")
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise invalid("transcription_vocabulary_ids must be a list of strings")
        answer["transcription_vocabulary_ids"] = list(ids)
    return answer


def _simulcast(item: Any, key: str) -> dict[str, Any]:
    answer = _object(item, key, _SIMULCAST)
    if "url" not in answer:
        raise invalid("url is required for each simulcast target")
    return {"id": new_id(), "status": "idle", **answer}


_LISTS = {
    "embedded_subtitles": _embedded,
    "generated_subtitles": _generated,
    "simulcast_targets": _simulcast,
}
