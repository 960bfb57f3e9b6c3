"""`/metrics` in the Prometheus text format, for a scraper on the same host (no API key, like /health)."""

from __future__ import annotations

from aiohttp import web

from voicedock.metrics import Metrics

METRICS = web.AppKey("metrics", Metrics)


async def metrics_page(request: web.Request) -> web.Response:
    body, content_type = request.app[METRICS].exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


def add_metrics(app: web.Application, metrics: Metrics) -> None:
    app[METRICS] = metrics
    app.router.add_get("/metrics", metrics_page)
