"""The retry policy on its own: which answers are retried and how long it waits."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from aiospaces.core.retry import RetryPolicy


def answer(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers={k.replace("_", "-"): v for k, v in headers.items()})


def test_retry_after_ms_of_zero_means_now_and_wins_over_retry_after() -> None:
    headers = httpx.Headers({"retry-after-ms": "0", "retry-after": "9"})
    assert RetryPolicy().retry_after(headers) == 0.0
    assert RetryPolicy().delay(0, headers) == 0.0


@pytest.mark.parametrize("value", ["-5", "soon", "nan", ""])
def test_an_unusable_retry_after_ms_defers_to_retry_after(value: str) -> None:
    headers = httpx.Headers({"retry-after-ms": value, "retry-after": "2"})
    assert RetryPolicy().retry_after(headers) == 2.0


def test_a_retry_after_date_in_the_past_means_now() -> None:
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    headers = httpx.Headers({"retry-after": past})
    assert RetryPolicy().retry_after(headers) == 0.0
    assert RetryPolicy().delay(3, headers) == 0.0  # not the backoff


def test_retry_after_is_capped_only_when_waiting() -> None:
    policy = RetryPolicy(max_retry_after=5.0)
    headers = httpx.Headers({"retry-after": "30"})
    assert policy.retry_after(headers) == 30.0  # what the server asked for, uncapped
    assert policy.delay(0, headers) == 5.0


def test_without_a_server_hint_the_backoff_applies() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=3.0, jitter=0.0)
    assert policy.retry_after(httpx.Headers()) is None
    assert [policy.delay(n, httpx.Headers()) for n in range(4)] == [1.0, 2.0, 3.0, 3.0]


def test_jitter_takes_off_at_most_its_fraction() -> None:
    policy = RetryPolicy(base_delay=1.0, jitter=0.5)
    delays = [policy.delay(0) for _ in range(200)]
    assert all(0.5 <= d <= 1.0 for d in delays)
    assert len(set(delays)) > 1


@pytest.mark.parametrize(
    ("status", "retried"),
    [(408, True), (429, True), (500, True), (503, True), (599, True), (400, False), (499, False)],
)
def test_which_statuses_are_retried(status: int, retried: bool) -> None:
    assert RetryPolicy().should_retry(answer(status)) is retried


@pytest.mark.parametrize(
    ("hint", "status", "retried"),
    [(" True ", 400, True), ("TRUE", 404, True), ("False", 503, False), (" false", 429, False),
     ("maybe", 503, True), ("maybe", 400, False)],
)  # fmt: skip
def test_x_should_retry_overrides_the_status(hint: str, status: int, retried: bool) -> None:
    assert RetryPolicy().should_retry(answer(status, x_should_retry=hint)) is retried


def test_extra_retry_statuses() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({409}))
    assert policy.should_retry(answer(409))
    assert not policy.should_retry(answer(429))
    assert policy.should_retry(answer(502))
