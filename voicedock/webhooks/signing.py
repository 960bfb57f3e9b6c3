"""Request signing for outgoing webhooks.

The signature is exactly what the product docs tell customers to verify:
``sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>``. Receivers check it with the
published Node/Python snippets, so nothing here may drift from that formula.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from .. import __version__

USER_AGENT = f"VoiceDock/{__version__}"
SIGNATURE_PREFIX = "sha256="


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def sign(secret: str, timestamp: int | str, raw_body: str | bytes) -> str:
    """HMAC over ``f"{timestamp}.{raw_body}"`` so a replayed body with a new timestamp fails."""
    message = _as_bytes(str(timestamp)) + b"." + _as_bytes(raw_body)
    digest = hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def build_headers(
    *,
    secret: str,
    event_type: str,
    event_id: str,
    raw_body: str | bytes,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Headers for one attempt: the timestamp is fresh per attempt, the id is stable per event."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Event": event_type,
        "X-Webhook-Id": event_id,
        "X-Webhook-Timestamp": str(ts),
        "X-Webhook-Signature": sign(secret, ts, raw_body),
    }
