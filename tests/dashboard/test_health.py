"""The health and usage page: the /health checks, the account totals and minutes per day."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

from aiohttp.test_utils import TestClient

from api.dashboard import views
from tests.api.fakes import FakeTelephony
from voicedock.store import Database
from voicedock.store import calls as store_calls

from . import seed
from .conftest import login_link


async def test_health_and_usage_show_what_the_api_reports(
        make_client: Callable[..., Awaitable[TestClient]], db: Database) -> None:
    telephony = FakeTelephony(db)
    telephony.health = lambda: {"status": "ok", "trunks": {"trunk_main": {"status": "registered"}},  # type: ignore[method-assign]
                                "capacity": {"capacity": 2, "active_calls": 1, "available": 1, "status": "ok"}}
    client = await make_client(telephony_service=telephony)
    await client.get(login_link(db))
    seed.seed_live_call(db)
    [call_id] = seed.seed_calls(db, 1)
    db.write_sync(lambda d: store_calls.record_usage(d, call_id, None, 90.0, 0.3))
    db.write_sync(lambda d: store_calls.record_usage(d, call_id, None, 30.0, 0.1))
    resp = await client.get("/dashboard/health")
    text = await resp.text()
    assert resp.status == 200
    assert re.search(r'id="health-status">ok<', text)
    assert "trunk_main" in text and "registered" in text and ">capacity<" in text
    assert re.search(r'id="active-calls">1<', text)
    assert re.search(r'id="usage-minutes">2.0<', text) and re.search(r'id="usage-cost">0.4000<', text)
    bars = re.findall(r'<rect class="seg-minutes"[^>]*><title>([^<]+)</title>', text)
    assert bars == [f"{datetime.now(UTC).date().isoformat()}: Minutes 2 min"]
    costs = re.findall(r'<rect class="seg-cost"[^>]*><title>([^<]+)</title>', text)
    assert costs == [f"{datetime.now(UTC).date().isoformat()}: Cost 0.4000"]


def test_usage_is_grouped_by_utc_day_with_quiet_days_as_zero() -> None:
    rows = [{"created_at": "2026-11-02T23:59:00.000Z", "duration_sec": 120},
            {"created_at": "2026-11-03T00:01:00.000Z", "duration_sec": 60},
            {"created_at": "2026-10-01T00:00:00.000Z", "duration_sec": 600}]
    days = views.daily_usage(rows, date(2026, 11, 1), 3)
    assert [(d["day"], d["minutes"], d["calls"]) for d in days] == [
        ("2026-11-01", 0.0, 0), ("2026-11-02", 2.0, 1), ("2026-11-03", 1.0, 1)]
