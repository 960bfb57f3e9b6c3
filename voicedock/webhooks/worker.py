"""Delivers outbox events: at least once, retried with backoff, one endpoint never blocking another.

Each in-flight event is its own task, bounded in total and per endpoint URL, so a receiver that
hangs for the full request timeout only ever occupies its own slots. Finished attempts are
written in batches on the single writer thread; an event leaves the in-flight set only once its
attempt is committed, so it can be neither lost nor sent twice by one process. After a crash,
every row still ``pending`` is simply due again.

With a PostgreSQL store shared by several nodes, each node claims the due rows it will send (see
``claim_due``), so two nodes never send the same event; a node that dies leaves its claims to lapse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import partial
from types import TracebackType
from typing import Protocol

import aiohttp

from ..secrets import SecretBox
from ..store import Database
from ..timeutil import now_iso, utcnow
from .backoff import Decision, DeliveryStatus, RetryPolicy, decide
from .outbox import AttemptRecord, DueEvent, claim_due, fetch_due, record_attempts, release_claims
from .transport import AttemptResult, MailOutcome, post_signed

log = logging.getLogger("voicedock.webhooks")

SessionFactory = Callable[[], aiohttp.ClientSession]
MAILTO = "mailto:"
# How long an event claimed from a shared (PostgreSQL) outbox stays this node's: well past one
# attempt (the request timeout) and the batched write of its result; after a crash it is due again.
CLAIM_LEASE_SECONDS = 60.0


class MailTransport(Protocol):
    """Sends an outbox row whose URL is ``mailto:``; the row is retried like a webhook when it fails."""

    async def send(self, session: aiohttp.ClientSession, event: DueEvent) -> MailOutcome: ...


def default_session(max_connections: int = 256) -> aiohttp.ClientSession:
    """Keep-alive pool; no cookies or environment proxies leak between customers' endpoints."""
    connector = aiohttp.TCPConnector(limit=max_connections, limit_per_host=0, ttl_dns_cache=60)
    return aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False, auto_decompress=True
    )


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        secret_box: SecretBox,
        *,
        session_factory: SessionFactory | None = None,
        policy: RetryPolicy | None = None,
        poll_interval: float = 0.5,
        max_concurrency: int = 256,
        per_endpoint_limit: int = 8,
        request_timeout: float = 10.0,
        shutdown_grace: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        mailer: MailTransport | None = None,
    ) -> None:
        self._db = db
        self._box = secret_box
        self._session_factory = session_factory or partial(default_session, max_concurrency)
        self._policy = policy or RetryPolicy()
        self._poll = poll_interval
        self._max = max_concurrency
        self._per_endpoint = per_endpoint_limit
        self._timeout = request_timeout
        self._grace = shutdown_grace
        self._clock = clock
        self._rng = rng or random.Random()
        self._mailer = mailer
        self._session: aiohttp.ClientSession | None = None
        self._in_flight: dict[str, str] = {}  # event id -> url, until its attempt is committed
        self._per_url: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._done: list[AttemptRecord] = []
        self._wake = asyncio.Event()
        self._flush_wake = asyncio.Event()
        self._secrets: dict[str, str] = {}
        self._runner: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._closing = False

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        if self._runner is not None:
            return
        self._closing = False
        self._session = self._session_factory()
        self._flusher = asyncio.create_task(self._flush_loop(), name="webhook-flush")
        self._runner = asyncio.create_task(self._run(), name="webhook-worker")

    async def aclose(self) -> None:
        """Stop fetching, give in-flight attempts a short grace, then record what finished."""
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        await _cancel_and_wait(runner)
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self._grace)
        for task in list(self._tasks):
            await _cancel_and_wait(task)
        try:
            if self._flusher is not None:
                # Let the flusher write what finished; shielded so a cancelled close cannot cut a write short.
                self._closing = True
                self._flush_wake.set()
                await asyncio.shield(self._flusher)
                self._flusher = None
        finally:
            if self._session is not None:
                await self._session.close()
                self._session = None

    async def __aenter__(self) -> DeliveryWorker:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def poke(self) -> None:
        """Call after committing an enqueue: delivery starts now instead of at the next poll."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    # -- fetching --------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                while await self._fill():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook outbox poll failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()

    async def _fill(self) -> bool:
        """Start due events in free slots; True when another fetch could find more right away."""
        free = self._max - len(self._in_flight)
        if free <= 0:
            return False
        saturated = [url for url, n in self._per_url.items() if n >= self._per_endpoint]
        if self._db.dialect == "postgresql":  # other nodes deliver from the same outbox: claim, don't just read
            due = await self._db.write(partial(
                claim_due, now=self._clock(), limit=free, lease=CLAIM_LEASE_SECONDS,
                exclude_ids=list(self._in_flight), exclude_urls=saturated))
        else:
            due = await self._db.read(partial(
                fetch_due, now=self._clock(), limit=free, exclude_ids=list(self._in_flight), exclude_urls=saturated))
        started, skipped = 0, []
        for event in due:
            if event.id in self._in_flight:
                continue
            if self._per_url[event.url] >= self._per_endpoint:
                skipped.append(event.id)
                continue
            self._in_flight[event.id] = event.url
            self._per_url[event.url] += 1
            task = asyncio.create_task(self._deliver(event), name=f"webhook-{event.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        if skipped and self._db.dialect == "postgresql":
            await self._db.write(partial(release_claims, event_ids=skipped, now=self._clock()))
        return started > 0 and len(due) == free

    # -- one attempt -----------------------------------------------------------------------
    def _secret(self, event: DueEvent) -> str | None:
        if not event.secret_enc:
            return None
        plain = self._secrets.get(event.secret_enc)
        if plain is None:
            plain = self._box.decrypt(event.secret_enc)
            if len(self._secrets) > 4096:
                self._secrets.clear()
            self._secrets[event.secret_enc] = plain
        return plain

    async def _deliver(self, event: DueEvent) -> None:
        try:
            record = await self._attempt(event)
        except asyncio.CancelledError:
            self._release(event)
            raise
        except Exception as err:
            log.exception("webhook delivery crashed", extra={"event_id": event.id, "call_id": event.call_id})
            result = AttemptResult(now_iso(), "", None, 0.0, error=f"internal error: {type(err).__name__}")
            record = AttemptRecord(event, result, self._decide(event, None))
        self._done.append(record)
        self._flush_wake.set()

    async def _attempt(self, event: DueEvent) -> AttemptRecord:
        if event.url.startswith(MAILTO):
            return await self._mail(event)
        try:
            secret = self._secret(event)
        except ValueError:
            secret = None
        if secret is None:
            result = AttemptResult(now_iso(), "", None, 0.0, error="no usable webhook secret for this assistant")
            return AttemptRecord(event, result, Decision(DeliveryStatus.FAILED))
        assert self._session is not None
        result = await post_signed(
            self._session,
            url=event.url,
            secret=secret,
            event_type=event.event_type,
            event_id=event.id,
            body=event.payload,
            deadline=self._timeout,
        )
        return AttemptRecord(event, result, self._decide(event, result.status_code, result.retry_after))

    async def _mail(self, event: DueEvent) -> AttemptRecord:
        if self._mailer is None:
            result = AttemptResult(now_iso(), "", None, 0.0, error="this server has no mail transport")
            return AttemptRecord(event, result, Decision(DeliveryStatus.FAILED))
        assert self._session is not None
        outcome = await self._mailer.send(self._session, event)
        if outcome.result.ok:
            return AttemptRecord(event, outcome.result, Decision(DeliveryStatus.SUCCEEDED))
        if outcome.permanent:
            return AttemptRecord(event, outcome.result, Decision(DeliveryStatus.FAILED))
        return AttemptRecord(event, outcome.result, self._decide(event, None))

    def _decide(self, event: DueEvent, status_code: int | None, retry_after: str | None = None) -> Decision:
        return decide(
            self._policy,
            attempts_made=event.round_attempt,
            status_code=status_code,
            retry_after=retry_after,
            now=self._clock(),
            rng=self._rng,
        )

    def _release(self, event: DueEvent) -> None:
        if self._in_flight.pop(event.id, None) is not None:
            self._per_url[event.url] -= 1
            if self._per_url[event.url] <= 0:
                del self._per_url[event.url]

    # -- recording -------------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        """Writes finished attempts until closing and nothing is left (or the database keeps failing then)."""
        while not (self._closing and not self._done):
            await self._flush_wake.wait()
            self._flush_wake.clear()
            try:
                await self._flush_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                if self._closing:
                    log.exception("recording webhook attempts at shutdown failed; they will be sent again")
                    return
                log.exception("recording webhook attempts failed; will retry")
                await asyncio.sleep(self._poll)
                self._flush_wake.set()

    async def _flush_once(self) -> None:
        batch, self._done = self._done, []
        if not batch:
            return
        try:
            await self._db.write(partial(record_attempts, records=batch, now=self._clock()))
        except Exception:
            self._done[:0] = batch  # nothing was committed: the transaction rolled back
            raise
        for record in batch:
            self._release(record.event)
        self._wake.set()


async def _cancel_and_wait(task: asyncio.Task[None]) -> None:
    """Cancel a task we own and wait for it, without swallowing our own cancellation."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    if (current := asyncio.current_task()) is not None and current.cancelling():
        raise asyncio.CancelledError
