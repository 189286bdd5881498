"""Mux emulation: validating a ``CreateLiveStreamRequest`` into a new live stream.

Only what broadcasts need of live streams is emulated. The request's known fields are
accepted (those not emulated are ignored), unknown ones are refused, and enums and the
documented ranges are checked: every failure is a 400 ``invalid_parameters``.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiospaces.emulator.mux.state import EmuLiveStream
from aiospaces.emulator.mux.wire import invalid, new_id, now_seconds, refuse_unknown, text_param

__all__ = [
    "LATENCY_MODES",
    "LIVE_STREAM_FIELDS",
    "LIVE_STREAM_STATUSES",
    "PLAYBACK_POLICIES",
    "new_live_stream",
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


def new_live_stream(payload: dict[str, Any]) -> EmuLiveStream:
    """Return a new idle live stream from a ``CreateLiveStreamRequest``, or raise 400."""
    refuse_unknown(payload, LIVE_STREAM_FIELDS, "live stream")
    policies = payload.get("playback_policy") or payload.get("playback_policies") or []
    if isinstance(policies, str):
        policies = [policies]
    if not isinstance(policies, list) or any(p not in PLAYBACK_POLICIES for p in policies):
        raise invalid(f"playback_policy must be a list of {', '.join(PLAYBACK_POLICIES)}")
    latency = payload.get("latency_mode") or (
        "low"
        if payload.get("low_latency")
        else "reduced"
        if payload.get("reduced_latency")
        else "standard"
    )
    if latency not in LATENCY_MODES:
        raise invalid(f"latency_mode must be one of {', '.join(LATENCY_MODES)}")
    window = payload.get("reconnect_window", 60.0)
    if not isinstance(window, int | float) or isinstance(window, bool) or not 0 <= window <= 1800:
        raise invalid("reconnect_window must be a number from 0 to 1800")
    duration = payload.get("max_continuous_duration", 43200)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 60 <= duration <= 43200:
        raise invalid("max_continuous_duration must be an integer from 60 to 43200")
    passthrough = text_param(payload, "passthrough")
    settings = payload.get("new_asset_settings")
    if settings is not None and not isinstance(settings, dict):
        raise invalid("new_asset_settings must be an object")
    return EmuLiveStream(
        id=new_id(),
        created_at=now_seconds(),
        stream_key=secrets.token_hex(16),
        playback_ids=[{"id": new_id(), "policy": p} for p in policies],
        passthrough=passthrough,
        latency_mode=latency,
        reconnect_window=float(window),
        max_continuous_duration=duration,
        new_asset_settings=settings,
        test=payload.get("test"),
        audio_only=payload.get("audio_only"),
    )
