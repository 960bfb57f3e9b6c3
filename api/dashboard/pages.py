"""The call pages: the list with its filters, one call in full, its recording and delivery retries.

They read through the same store functions as `GET /calls` and `GET /webhook-deliveries`, and the
recording and the retry go through the API's own handlers, so the dashboard cannot drift from the API.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, get_args
from urllib.parse import urlencode

from aiohttp import web

from voicedock.schemas.calls import CallListQuery, CallStatus
from voicedock.store import calls as store_calls
from voicedock.store.documents import ASSISTANTS
from voicedock.timeutil import iso
from voicedock.webhooks import list_deliveries

from ..context import read
from ..routes import calls as api_calls
from ..routes import deliveries as api_deliveries
from ..spec import validate
from . import views
from .render import page, see_other

PAGE_SIZE = 50
STATUSES = get_args(CallStatus)


def _day(text: str, days_after: int = 0) -> str | None:
    """Midnight UTC of a `YYYY-MM-DD` date input (plus `days_after`), as the store compares times."""
    try:
        day = date.fromisoformat(text) + timedelta(days=days_after)
    except ValueError:
        return None
    return iso(datetime.combine(day, time(0), tzinfo=UTC))


def _assistants(d: Any) -> list[dict[str, Any]]:
    docs, _ = ASSISTANTS.page_json(d, 1000, 0)
    return [json.loads(doc) for doc in docs]


async def call_list(request: web.Request) -> web.StreamResponse:
    q = request.query
    status, assistant_id = q.get("status") or None, q.get("assistant_id") or None
    since_day, until_day = q.get("from", ""), q.get("to", "")
    page_no = int(q["page"]) if q.get("page", "").isdigit() and int(q["page"]) > 0 else 1
    query = validate(CallListQuery, {"status": status, "assistant_id": assistant_id, "limit": PAGE_SIZE,
                                     "offset": (page_no - 1) * PAGE_SIZE})
    since, until = _day(since_day), _day(until_day, 1)
    calls, total = await read(request, lambda d: store_calls.list_calls(
        d, limit=query.limit, offset=query.offset, status=query.status, assistant_id=query.assistant_id,
        since=since, until=until))
    assistants = await read(request, _assistants)
    filters = {k: v for k, v in (("status", status), ("assistant_id", assistant_id), ("from", since_day),
                                 ("to", until_day)) if v}
    pages = max(1, -(-total // PAGE_SIZE))

    def link(n: int) -> str:
        return "/dashboard?" + urlencode({**filters, "page": n})

    return page(request, "calls.html", title="Calls", calls=calls, total=total, statuses=STATUSES,
                assistants=assistants, filters=filters, page_no=page_no, pages=pages,
                previous=link(page_no - 1) if page_no > 1 else None,
                next=link(page_no + 1) if page_no < pages else None,
                bad_dates=bool(since_day and since is None or until_day and until is None))


async def call_detail(request: web.Request) -> web.StreamResponse:
    ident = request.match_info["id"]
    call = await read(request, lambda d: store_calls.get_call(d, ident))
    deliveries, _ = await read(request, lambda d: list_deliveries(d, call_id=ident, limit=100))
    analysis = call.get("analysis") or {}
    return page(request, "call.html", title=f"Call {ident}", call=call,
                lines=views.timeline(call["messages"], call["tool_calls"], call["started_at"]),
                chart=views.latency_chart(call["latency"]), latency=views.latency_rows(call["latency"]),
                stages=views.STAGES, analysis=analysis, summary=call.get("summary") or analysis.get("summary"),
                structured=json.dumps(analysis.get("structured_data"), indent=2, ensure_ascii=False)
                if analysis.get("structured_data") is not None else None,
                deliveries=deliveries, has_recording=bool(call.get("recording_url")))


async def recording(request: web.Request) -> web.StreamResponse:
    """The very file `GET /calls/{id}/recording` serves, through that handler, behind the session."""
    return await api_calls.get_recording(request)


async def retry_delivery(request: web.Request) -> web.StreamResponse:
    """Queue a webhook delivery again, as `POST /webhook-deliveries/{id}/retry` does."""
    await api_deliveries.retry_delivery(request)
    call_id = request.query.get("call", "")
    back = f"/dashboard/calls/{call_id}" if call_id.replace("_", "").isalnum() else "/dashboard"
    return see_other(back + "#deliveries")
