"""Health and usage: the same checks `GET /health` answers (through its handler), the account's
totals, and minutes and cost per day for the last 30 days from the usage rows `GET /usage` reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from aiohttp import web

from voicedock.store import calls as store_calls
from voicedock.timeutil import iso, utcnow

from ..context import SETTINGS, read
from ..routes import system as api_system
from . import views
from .render import page

USAGE_DAYS = 30


async def health_page(request: web.Request) -> web.StreamResponse:
    health = json.loads((await api_system.health(request)).text or "{}")
    first = utcnow().date() - timedelta(days=USAGE_DAYS - 1)
    since = iso(datetime.combine(first, time(0), tzinfo=UTC))
    usage = await read(request, lambda d: store_calls.usage(d, since, None, with_cost=True))
    account = await read(request, lambda d: store_calls.account(d, request.app[SETTINGS].company_name))
    days = views.daily_usage(usage["usage"], first, USAGE_DAYS)
    names, axis = [d["day"] for d in days], [d["day"][5:] for d in days]
    chart = views.bar_chart(days, views.USAGE_STAGES, "min", names, axis)
    cost_chart = views.bar_chart(days, views.COST_STAGES, "", names, axis, digits=4)
    return page(request, "health.html", title="Health and usage", health=health, account=account,
                usage=usage["summary"], days=days, chart=chart, cost_chart=cost_chart, usage_days=USAGE_DAYS)
