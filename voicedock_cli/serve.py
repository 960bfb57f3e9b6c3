"""Run the HTTP API and, unless disabled, the call side, until SIGINT/SIGTERM (which drain first)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from api.app import create_app
from api.server import ApiRunner
from voicedock.config import Settings
from voicedock.conversation.warming import PromptWarmer
from voicedock.draining import Drain
from voicedock.engines.waits import WAITS
from voicedock.heartbeat import NodeHeartbeat
from voicedock.mail import Mailer
from voicedock.metrics import Metrics
from voicedock.private_files import private_dir
from voicedock.retention import RetentionJob
from voicedock.secrets import SecretBox
from voicedock.store import Database, open_database
from voicedock.webhooks import DeliveryWorker, WebhookClient
from voicedock_ari.settings import asterisk_root
from voicedock_ari.sip_entry import sip_entry

from .datadir import server_lock
from .lifecycle import StopSignals, drain_calls
from .tls import server_context, warn_if_plaintext
from .unreachable_calls import asterisk_configured, close_unreachable

log = logging.getLogger("voicedock")


async def _run(settings: Settings, session: str = "tone", tls: ssl.SSLContext | None = None) -> None:
    private_dir(settings.data_dir)  # transcripts, recordings and keys: the service user's alone
    db = open_database(settings.database_url, settings.database_path)
    try:
        applied = await db.migrate()
    except BaseException:  # e.g. a database newer than this code: refuse to start, leave it untouched
        db.close()
        raise
    if applied:
        log.info("database migrated", extra={"applied": applied, "database": settings.database_name})
    box = SecretBox(settings.secret_key_path)
    worker = DeliveryWorker(db, box, mailer=Mailer(settings, db, box))
    await worker.start()
    entry = sip_entry(settings)
    heartbeat = NodeHeartbeat(db, settings.node_id, settings.call_capacity, settings.price_per_minute,
                              timeout=settings.node_timeout_seconds, poke=worker.poke,
                              url=settings.node_base_url, watch=entry.apply_nodes if entry else None)
    heartbeat.start()
    retention = RetentionJob(db, settings.data_dir, settings.recording_retention_days,
                             settings.transcript_retention_days,
                             node=settings.node_id if settings.database_url else None)
    retention.start()
    metrics = Metrics()
    WAITS.listen(metrics.observe_wait)
    controller, models, warmer = await _start_telephony(settings, db, box, worker, session, metrics)
    if controller is None and not asterisk_configured(asterisk_root()):
        await close_unreachable(db, settings, worker)
    if warmer is not None:
        warmer.warm_recent(db)
    drain = Drain()
    app = create_app(settings, db=db, telephony_service=controller, webhook_worker=worker, models_status=models,
                     metrics=metrics, drain=drain, prompt_warmer=warmer)
    runner = ApiRunner(app, settings)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=tls)
    await site.start()
    scheme = "https" if tls else "http"
    log.info("api listening", extra={"url": f"{scheme}://{settings.host}:{settings.port}/api/v1",
                                     "docs": f"{scheme}://{settings.host}:{settings.port}/docs",
                                     "telephony": settings.telephony})
    warn_if_plaintext(settings.host, tls)
    if not await db.read(lambda d: d.execute("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL").fetchone()[0]):
        print(f"No API key yet. Create the first one with:\n  voicedock keys create --name admin "
              f"--data-dir {settings.data_dir}", flush=True)
    signals = StopSignals()
    signals.install()
    try:
        await signals.drain.wait()
        await drain_calls(controller, drain, settings.drain_seconds, signals.now)
    finally:
        log.info("shutting down")
        await runner.cleanup()
        if warmer is not None:
            await warmer.aclose()
        if controller is not None:
            await controller.aclose()
        await retention.aclose()
        await heartbeat.aclose()
        await worker.aclose()
        db.close()


async def _start_telephony(
    settings: Settings, db: Database, box: SecretBox, worker: DeliveryWorker, session: str, metrics: Metrics
) -> tuple[Any, dict[str, Any] | None, PromptWarmer | None]:
    """(call controller, models health, prompt warmer) when telephony is on and Asterisk is installed;
    else (None, None, None).

    With the voice session the models load here, before the controller answers its first call.
    """
    if not settings.telephony:
        return None, None, None
    from voicedock_ari.controller import CallController
    from voicedock_ari.sessions import session_factory
    from voicedock_ari.settings import AsteriskSettings

    try:
        asterisk = AsteriskSettings.load()
    except OSError as err:  # not installed, or not readable by this user
        log.warning("telephony off: %s", err)
        return None, None, None
    webhooks = WebhookClient(db, box)  # the controller closes it; the voice session's tools use it too
    factory, analyser, models, warmer = None, None, None, None
    if session == "voice":
        from .voice import byok_keys, load_voice

        factory, analyser, models, warmer = await load_voice(webhooks, keys=byok_keys(db, box))
    answering = session if factory is not None or session != "voice" else "tone"
    controller = CallController(
        asterisk, settings, db, box, webhook_worker=worker, webhook_client=webhooks, own_webhook_client=True,
        session_factory=factory or session_factory(answering), metrics=metrics, analyser=analyser,
    )
    await controller.start()
    log.info("telephony started", extra={"ari": asterisk.ari_url, "sip_port": asterisk.sip_port,
                                         "session": answering})
    return controller, models, warmer


def run_loop(main: Coroutine[Any, Any, Any]) -> Any:
    """Run on uvloop when it is installed (the `serve` extra): its UDP and timer handling cost
    less CPU per call than asyncio's default loop, and every call's RTP goes through them."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def serve(settings: Settings, session: str = "tone") -> int:
    tls = server_context(settings.tls_cert, settings.tls_key)  # a bad certificate stops the start here
    with server_lock(settings.data_dir):  # one server per data directory; restore and drain look for it
        run_loop(_run(settings, session, tls))
    return 0
