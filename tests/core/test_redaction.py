"""What log and error redaction masks in a URL, and what it leaves exactly as it was."""

from __future__ import annotations

from aiospaces.core.transport import redact_url, register_secrets

register_secrets(path_parents=["vaults"])


def test_a_secret_path_segment_is_masked_without_a_query() -> None:
    assert redact_url("https://h/v1/vaults/k-1") == "https://h/v1/vaults/***"
    assert redact_url("https://h/v1/vaults/k-1/items") == "https://h/v1/vaults/***/items"


def test_numbers_and_empty_segments_after_a_parent_stay() -> None:
    assert redact_url("https://h/v1/vaults/42") == "https://h/v1/vaults/42"
    assert redact_url("https://h/v1/vaults/") == "https://h/v1/vaults/"
    assert redact_url("https://h/vaults") == "https://h/vaults"


def test_a_query_that_looks_like_a_path_is_not_taken_for_one() -> None:
    redacted = redact_url("https://h/vaults/k-1?next=/vaults/k-2?x")
    assert redacted == "https://h/vaults/***?next=%2Fvaults%2Fk-2%3Fx"


def test_blank_query_values_are_kept() -> None:
    assert redact_url("https://h/p?a=&auth=s&b=") == "https://h/p?a=&auth=***&b="


def test_parameter_names_are_compared_without_case() -> None:
    assert redact_url("https://h/p?AUTH=s&Token=t&q=*") == "https://h/p?AUTH=***&Token=***&q=*"


def test_the_mux_clients_stream_key_filter_is_masked() -> None:
    import aiospaces.mux  # noqa: F401 - registering MuxClient registers its secrets

    redacted = redact_url("https://api.mux.com/video/v1/live-streams?stream_key=sk-1&limit=2")
    assert redacted == "https://api.mux.com/video/v1/live-streams?stream_key=***&limit=2"
