"""The webhook delivery log and manual retries."""

from __future__ import annotations

from aiohttp import web

from voicedock.schemas.calls import DeliveryEnvelope, DeliveryList, DeliveryQuery
from voicedock.webhooks import DeliveryWorker, requeue
from voicedock.webhooks import list_deliveries as query_deliveries

from ..context import read, reply, write
from ..spec import Operation

WEBHOOK_WORKER = web.AppKey("webhook_worker", DeliveryWorker)


async def list_deliveries(request: web.Request, query: DeliveryQuery) -> web.Response:
    items, total = await read(request, lambda d: query_deliveries(
        d, call_id=query.call_id, event=query.event, status=query.status, limit=query.limit, offset=query.offset))
    return reply({"deliveries": items, "pagination": {"total": total, "limit": query.limit, "offset": query.offset}})


async def retry_delivery(request: web.Request) -> web.Response:
    ident = request.match_info["id"]
    delivery = await write(request, lambda d: requeue(d, ident))
    worker = request.app.get(WEBHOOK_WORKER)
    if worker is not None:
        worker.poke()
    return reply({"delivery": delivery})


OPERATIONS = [
    Operation("GET", "/webhook-deliveries", list_deliveries, "Webhook delivery log", "Webhooks",
              query=DeliveryQuery, response=DeliveryList),
    Operation("POST", "/webhook-deliveries/{id}/retry", retry_delivery, "Send a delivery again", "Webhooks",
              response=DeliveryEnvelope, errors=(404, 409)),
]
