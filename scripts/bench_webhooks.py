#!/usr/bin/env python3
"""Webhook delivery benchmark on loopback: first-attempt latency and sustained throughput.

Latency is commit -> receipt: from the moment the enqueueing transaction has committed (and the
worker was poked) to the moment a separate receiver process has the request. Throughput is a
large backlog enqueued in batches while the worker drains it to one receiver. Goals: p95 <= 50 ms,
>= 500 events/s. Prints one JSON object.

    python scripts/bench_webhooks.py [--latency-events 300] [--throughput-events 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing as mp
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from voicedock.ids import new_id
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.timeutil import now_iso
from voicedock.webhooks import DeliveryWorker, enqueue
from voicedock.webhooks import payloads as p
from voicedock_bench.machine import describe as describe_machine

SECRET = "whsec_bench"
WORKER_SETTINGS: dict[str, Any] = {"per_endpoint_limit": 8, "max_concurrency": 256, "poll_interval": 0.5}
CTX = p.MessageContext(
    call=p.CallRef("call_bench", "inbound_phone_call", "in-progress"),
    assistant={"name": "Bench"},
    phone_number=p.PhoneNumberRef("+31201234567", "Main"),
    customer=p.CustomerRef("+31612345678"),
)


# -- receiver (separate process, so it does not share the worker's event loop or GIL) -------------
def _receiver_main(port_queue: Any) -> None:
    received: dict[str, float] = {}
    bad = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal bad
        body = await request.text()
        at = time.time()
        expected = hmac.new(
            SECRET.encode(), f"{request.headers['X-Webhook-Timestamp']}.{body}".encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(request.headers["X-Webhook-Signature"].removeprefix("sha256="), expected):
            bad += 1
        received.setdefault(request.headers["X-Webhook-Id"], at)
        return web.json_response({})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"received": received, "bad_signatures": bad})

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/hook", hook)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_queue.put(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(serve())


async def _stats(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as s, s.get(url) as r:
        return await r.json()


# -- machine ----------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    return {**describe_machine(), "aiohttp": aiohttp.__version__, "sqlite": sqlite3.sqlite_version}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 2)


# -- benchmark ----------------------------------------------------------------------------------------
async def run(latency_events: int, throughput_events: int, batch: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ports = ctx.Queue()
    receiver = ctx.Process(target=_receiver_main, args=(ports,), daemon=True)
    receiver.start()
    port = ports.get(timeout=30)
    base = f"http://127.0.0.1:{port}"
    config = {"name": "Bench", "webhook_url": f"{base}/hook", "webhook_events": ["transcript"]}

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db")
        db.migrate_sync()
        box = SecretBox(Path(tmp) / "secret.key")
        assistant_id = new_id("assistant")
        row = {
            "id": assistant_id,
            "name": "Bench",
            "is_active": 1,
            "config": json.dumps(config),
            "webhook_secret_enc": box.encrypt(SECRET),
            "created_at": now_iso(),
            "updated_at": now_iso(),
        }
        db.write_sync(lambda d: d["assistants"].insert(row))

        def add(n: int, tag: str) -> Any:
            def fn(d: Any) -> list[str]:
                ids: list[str] = []
                for i in range(n):
                    ids += enqueue(
                        d,
                        event_type="transcript",
                        assistant_config=config,
                        assistant_id=assistant_id,
                        call_id="call_bench",
                        payload=p.transcript(CTX, "user", f"{tag} {i}"),
                    )
                return ids

            return fn

        async with DeliveryWorker(db, box, **WORKER_SETTINGS) as worker:
            # Warm-up: connection pool, secret cache, SQLite page cache.
            await db.write(add(20, "warm"))
            worker.poke()
            await asyncio.sleep(1.0)

            committed: dict[str, float] = {}
            for i in range(latency_events):
                [event_id] = await db.write(add(1, f"lat{i}"))
                committed[event_id] = time.time()
                worker.poke()
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)
            got = (await _stats(f"{base}/stats"))["received"]
            latencies = [(got[e] - t) * 1000.0 for e, t in committed.items() if e in got]

            started = time.time()
            ids: list[str] = []
            for start in range(0, throughput_events, batch):
                ids += await db.write(add(min(batch, throughput_events - start), "tp"))
                worker.poke()
            enqueued = time.time()
            wanted = set(ids)
            while True:
                stats = await _stats(f"{base}/stats")
                if wanted <= set(stats["received"]):
                    break
                if time.time() - started > 120:
                    break
                await asyncio.sleep(0.05)
            last = max(stats["received"][e] for e in wanted if e in stats["received"])
            delivered = len(wanted & set(stats["received"]))
            pending = await db.read(
                lambda d: d.execute("SELECT COUNT(*) FROM webhook_events WHERE status != 'succeeded'").fetchone()[0]
            )
        db.close()
    receiver.kill()

    span = last - started
    return {
        "machine": machine(),
        "latency_commit_to_receipt_ms": {
            "events": latency_events,
            "received": len(latencies),
            "p50": _pct(latencies, 0.50),
            "p95": _pct(latencies, 0.95),
            "p99": _pct(latencies, 0.99),
            "max": round(max(latencies), 2),
            "mean": round(statistics.fmean(latencies), 2),
            "goal_p95_ms": 50,
        },
        "throughput": {
            "events": throughput_events,
            "delivered": delivered,
            "enqueue_batch": batch,
            "enqueue_seconds": round(enqueued - started, 3),
            "seconds_first_commit_to_last_receipt": round(span, 3),
            "events_per_second": round(delivered / span, 1),
            "goal_events_per_second": 500,
            "not_yet_recorded_as_succeeded_at_end": pending,
        },
        "bad_signatures": stats["bad_signatures"],
        "worker_settings": WORKER_SETTINGS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--throughput-events", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=250)
    args = parser.parse_args()
    result = asyncio.run(run(args.latency_events, args.throughput_events, args.batch))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
