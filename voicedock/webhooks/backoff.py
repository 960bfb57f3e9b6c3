"""When to try a webhook again, and when to stop.

Pure decisions, tested without sockets: the worker feeds in an HTTP status (or ``None`` for no
response at all) and gets back the next status of the event and, when retrying, the delay.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

# Ten retries after the first attempt, about 32 hours in all: even with every delay jittered 20 %
# short, the last attempt comes more than a day after the first, so a receiver down for a whole
# day still gets every event.
DEFAULT_SCHEDULE: tuple[float, ...] = (10, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 57600)
DEFAULT_JITTER = 0.2
MAX_RETRY_AFTER = 24 * 3600.0


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or in flight inside the worker)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # permanent error, or every retry used
    DISABLED = "disabled"  # the endpoint answered 410 Gone; nothing more is sent to it


class Outcome(StrEnum):
    SUCCESS = "success"
    RETRY = "retry"
    PERMANENT = "permanent"
    DISABLE = "disable"


def classify(status_code: int | None) -> Outcome:
    """2xx ok; 410 disables the endpoint; 408/429/5xx and no response retry; other codes are final."""
    if status_code is None:
        return Outcome.RETRY
    if 200 <= status_code < 300:
        return Outcome.SUCCESS
    if status_code == 410:
        return Outcome.DISABLE
    if status_code in (408, 429) or status_code >= 500:
        return Outcome.RETRY
    return Outcome.PERMANENT


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/invalid."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = DEFAULT_JITTER
    max_retry_after: float = MAX_RETRY_AFTER

    @property
    def max_attempts(self) -> int:
        return len(self.schedule) + 1

    def delay(self, attempts_made: int, rng: random.Random | None = None) -> float | None:
        """Delay before the next attempt after ``attempts_made`` failed ones; None once exhausted.

        Jitter spreads retries of many events that failed together, so a recovering receiver is
        not hit by all of them in the same second.
        """
        if attempts_made < 1 or attempts_made > len(self.schedule):
            return None
        base = self.schedule[attempts_made - 1]
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, base * (1.0 + spread))


@dataclass(frozen=True)
class Decision:
    status: DeliveryStatus
    delay: float | None = None  # seconds until the next attempt, when status is PENDING


def decide(
    policy: RetryPolicy,
    *,
    attempts_made: int,
    status_code: int | None,
    retry_after: str | None = None,
    now: datetime,
    rng: random.Random | None = None,
) -> Decision:
    """The event's fate after attempt number ``attempts_made`` (counted within this retry round)."""
    outcome = classify(status_code)
    if outcome is Outcome.SUCCESS:
        return Decision(DeliveryStatus.SUCCEEDED)
    if outcome is Outcome.DISABLE:
        return Decision(DeliveryStatus.DISABLED)
    if outcome is Outcome.PERMANENT:
        return Decision(DeliveryStatus.FAILED)
    scheduled = policy.delay(attempts_made, rng)
    if scheduled is None:
        return Decision(DeliveryStatus.FAILED)
    asked = parse_retry_after(retry_after, now)
    if asked is not None:
        return Decision(DeliveryStatus.PENDING, min(asked, policy.max_retry_after))
    return Decision(DeliveryStatus.PENDING, scheduled)
