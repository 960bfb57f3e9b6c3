"""A VoiceDock process reduced to the webhook outbox, for crash tests.

``produce N``: commits N transcript events in small transactions (poking the worker after each)
while delivering; ``drain``: only delivers. Runs until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.webhooks import DeliveryWorker, RetryPolicy, enqueue
from voicedock.webhooks import payloads as p

CTX = p.MessageContext(call=p.CallRef("call_crash", "inbound_phone_call", "in-progress"), assistant={})


async def main(db_path: str, key_path: str, mode: str, count: int) -> None:
    db = Database(db_path)
    db.migrate_sync()
    box = SecretBox(Path(key_path))
    assistant = await db.read(lambda d: next(d.query("SELECT id, config FROM assistants")))
    config = json.loads(assistant["config"])
    policy = RetryPolicy(schedule=(0.05,) * 5, jitter=0.0)
    async with DeliveryWorker(db, box, policy=policy, poll_interval=0.05, per_endpoint_limit=8) as worker:
        print("ready", flush=True)
        if mode == "produce":
            for batch in range(0, count, 5):

                def fn(d: object, batch: int = batch) -> None:
                    for i in range(batch, min(batch + 5, count)):
                        enqueue(
                            d,
                            event_type="transcript",
                            assistant_config=config,
                            assistant_id=assistant["id"],
                            call_id="call_crash",
                            payload=p.transcript(CTX, "user", f"n={i}"),
                        )

                await db.write(fn)
                worker.poke()
                await asyncio.sleep(0.005)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0))
