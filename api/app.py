"""The aiohttp application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from voicedock.config import Settings
from voicedock.conversation.warming import PromptWarmer
from voicedock.draining import Drain
from voicedock.metrics import Metrics
from voicedock.secrets import SecretBox
from voicedock.store import Database, open_database
from voicedock.telephony import Telephony
from voicedock.webhooks import DeliveryWorker

from . import openapi
from .auth import KeyCache
from .context import BOX, CONTROL_LIMITER, DB, DRAIN, KEYS, LIMITER, MODELS, OPENAPI, SETTINGS, TELEPHONY, WARMER
from .dashboard import add_dashboard
from .docs import add_docs
from .metrics import add_metrics
from .middleware import api_middleware
from .ratelimit import RateLimiter
from .routes import assistants, byok, calls, customers, deliveries, system, telephony, templates
from .spec import Operation, bind

OPERATIONS: list[Operation] = [
    *system.OPERATIONS, *assistants.OPERATIONS, *templates.OPERATIONS, *telephony.OPERATIONS,
    *calls.OPERATIONS, *deliveries.OPERATIONS, *byok.OPERATIONS, *customers.OPERATIONS,
]


def add_routes(app: web.Application, ops: list[Operation]) -> None:
    for op in ops:
        endpoint = bind(op)
        endpoint.__operation__ = op  # type: ignore[attr-defined]
        app.router.add_route(op.method, "/api/v1" + op.path, endpoint)


def create_app(settings: Settings, db: Database | None = None, telephony_service: Telephony | None = None,
               webhook_worker: DeliveryWorker | None = None, models_status: dict | None = None,
               metrics: Metrics | None = None, drain: Drain | None = None,
               prompt_warmer: PromptWarmer | None = None) -> web.Application:
    """Build the app; a database passed in stays open, one created here is closed with the app."""
    app = web.Application(middlewares=[api_middleware], client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[BOX] = SecretBox(settings.secret_key_path)
    app[LIMITER] = RateLimiter(settings.rate_limit_per_minute)
    app[CONTROL_LIMITER] = RateLimiter(settings.control_limit_per_minute)
    app[OPENAPI] = openapi.build(OPERATIONS)
    if telephony_service is not None:
        app[TELEPHONY] = telephony_service
    if webhook_worker is not None:
        app[deliveries.WEBHOOK_WORKER] = webhook_worker
    app[MODELS] = models_status or {"status": "not_loaded"}
    app[DRAIN] = drain or Drain()
    if prompt_warmer is not None:  # saved assistants' prompts are evaluated in the background
        app[WARMER] = prompt_warmer
    add_routes(app, OPERATIONS)
    add_docs(app)
    add_dashboard(app)
    add_metrics(app, metrics or Metrics())

    async def database(app: web.Application) -> AsyncIterator[None]:
        owned = db is None
        database = db or open_database(settings.database_url, settings.database_path)
        if owned:
            await database.migrate()
        app[DB] = database
        app[KEYS] = KeyCache(database, failures=RateLimiter(settings.auth_failures_per_minute))
        yield
        if owned:
            database.close()

    app.cleanup_ctx.append(database)
    return app
