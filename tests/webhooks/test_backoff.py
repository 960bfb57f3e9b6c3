from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicedock.webhooks.backoff import (
    DEFAULT_SCHEDULE,
    DeliveryStatus,
    Outcome,
    RetryPolicy,
    classify,
    decide,
    parse_retry_after,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (200, Outcome.SUCCESS),
        (204, Outcome.SUCCESS),
        (299, Outcome.SUCCESS),
        (None, Outcome.RETRY),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (599, Outcome.RETRY),
        (410, Outcome.DISABLE),
        (400, Outcome.PERMANENT),
        (401, Outcome.PERMANENT),
        (404, Outcome.PERMANENT),
        (422, Outcome.PERMANENT),
        (302, Outcome.PERMANENT),
    ],
)
def test_classify(code: int | None, outcome: Outcome) -> None:
    assert classify(code) is outcome


def test_default_schedule_keeps_trying_for_more_than_a_day() -> None:
    policy = RetryPolicy()
    low = sum(d * (1 - policy.jitter) for d in DEFAULT_SCHEDULE)
    assert low >= 24 * 3600
    assert policy.max_attempts >= 8
    assert list(DEFAULT_SCHEDULE) == sorted(DEFAULT_SCHEDULE)


@given(attempt=st.integers(min_value=1, max_value=len(DEFAULT_SCHEDULE)), seed=st.integers())
def test_jitter_stays_within_twenty_percent(attempt: int, seed: int) -> None:
    policy = RetryPolicy()
    delay = policy.delay(attempt, random.Random(seed))
    base = DEFAULT_SCHEDULE[attempt - 1]
    assert delay is not None
    assert base * 0.8 <= delay <= base * 1.2


def test_jitter_actually_spreads_retries() -> None:
    rng = random.Random(1)
    assert len({RetryPolicy().delay(1, rng) for _ in range(20)}) > 10


def test_schedule_exhaustion_fails_the_event() -> None:
    policy = RetryPolicy(schedule=(1, 2), jitter=0)
    assert decide(policy, attempts_made=1, status_code=500, now=NOW).delay == 1
    assert decide(policy, attempts_made=2, status_code=500, now=NOW).delay == 2
    assert decide(policy, attempts_made=3, status_code=500, now=NOW).status is DeliveryStatus.FAILED


def test_decisions_per_outcome() -> None:
    policy = RetryPolicy(schedule=(1,), jitter=0)
    assert decide(policy, attempts_made=1, status_code=200, now=NOW).status is DeliveryStatus.SUCCEEDED
    assert decide(policy, attempts_made=1, status_code=410, now=NOW).status is DeliveryStatus.DISABLED
    assert decide(policy, attempts_made=1, status_code=404, now=NOW).status is DeliveryStatus.FAILED
    retry = decide(policy, attempts_made=1, status_code=None, now=NOW)
    assert retry.status is DeliveryStatus.PENDING and retry.delay == 1


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after(format_datetime(NOW + timedelta(seconds=90), usegmt=True), NOW) == 90
    assert parse_retry_after(format_datetime(NOW - timedelta(seconds=90), usegmt=True), NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_retry_after_overrides_the_schedule_but_is_capped() -> None:
    policy = RetryPolicy(schedule=(10,), jitter=0, max_retry_after=3600)
    assert decide(policy, attempts_made=1, status_code=429, retry_after="2", now=NOW).delay == 2
    assert decide(policy, attempts_made=1, status_code=503, retry_after="999999", now=NOW).delay == 3600
    # Retry-After never extends the life of an event past its last scheduled attempt.
    assert decide(policy, attempts_made=2, status_code=429, retry_after="2", now=NOW).status is DeliveryStatus.FAILED
