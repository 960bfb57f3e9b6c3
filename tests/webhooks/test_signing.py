from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

import voicedock
from voicedock.webhooks.signing import build_headers, sign

from .helpers import fresh, verify_webhook_signature


def test_signature_matches_the_documented_formula() -> None:
    # HMAC-SHA256("whsec_test", "1700000000.{}") computed independently of the code under test.
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_test", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("whsec_test", 1700000000, "{}") == "sha256=" + expected


@given(secret=st.text(min_size=1), body=st.text(), ts=st.integers(min_value=0, max_value=2**33))
def test_seed_python_check_accepts_every_signature(secret: str, body: str, ts: int) -> None:
    assert verify_webhook_signature(body, str(ts), sign(secret, ts, body), secret)
    assert verify_webhook_signature(body, str(ts), sign(secret, ts, body.encode()), secret)


@given(body=st.text(min_size=1), extra=st.text(min_size=1))
def test_tampered_body_is_rejected(body: str, extra: str) -> None:
    sig = sign("whsec_a", 1700000000, body)
    assert not verify_webhook_signature(body + extra, "1700000000", sig, "whsec_a")


def test_wrong_secret_and_wrong_timestamp_are_rejected() -> None:
    sig = sign("whsec_a", 1700000000, '{"message":{}}')
    assert not verify_webhook_signature('{"message":{}}', "1700000000", sig, "whsec_b")
    assert not verify_webhook_signature('{"message":{}}', "1700000001", sig, "whsec_a")


def test_headers_carry_event_id_timestamp_and_signature() -> None:
    before = int(time.time())
    headers = build_headers(secret="s", event_type="status-update", event_id="whd_1", raw_body=b"{}")
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == f"VoiceDock/{voicedock.__version__}"
    assert headers["X-Webhook-Event"] == "status-update"
    assert headers["X-Webhook-Id"] == "whd_1"
    assert before <= int(headers["X-Webhook-Timestamp"]) <= int(time.time())
    assert verify_webhook_signature("{}", headers["X-Webhook-Timestamp"], headers["X-Webhook-Signature"], "s")


def test_stale_timestamp_fails_the_receivers_replay_check() -> None:
    old = str(int(time.time()) - 301)
    headers = build_headers(secret="s", event_type="transcript", event_id="whd_1", raw_body="{}", timestamp=int(old))
    assert verify_webhook_signature("{}", old, headers["X-Webhook-Signature"], "s")  # authentic …
    assert not fresh(old)  # … but too old to accept
    assert fresh(str(int(time.time())))
