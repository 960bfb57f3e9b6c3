"""How long one API request holds the event loop that also paces call audio (20 ms frames).

    .venv/bin/python -m voicedock_bench.request_stall [--repeat 7]

A VoiceDock API (real app, real SQLite store, telephony off) runs in this process beside a ticker
that sleeps 5 ms at a time and records how late each wake-up is: the worst lateness while a request
is in flight is the stall a call's media would have seen. The client sends from a worker thread
over a raw socket (it releases the GIL while it waits), so the figure is the server's own work.
Bodies: a small assistant, a legitimate large one (a 20,000-character prompt, 50 tools with JSON
schemas, metadata), two hostile ~1 MiB ones (90,000 metadata keys; 260,000 floats), the largest of
each kind the value bound admits (9,900 keys; 19,900 floats), and one tool with a 2,000-property schema.

It prints one JSON document (`machine` carries the load average: on a shared host the figures are
noisy, so each is the median of `--repeat` requests, with the worst beside it). Nothing is enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from api.app import create_app
from api.server import ApiRunner
from voicedock.config import Settings
from voicedock.secrets import generate_api_key
from voicedock.store import Database, records

from .machine import describe

TICK = 0.005


def small_body() -> dict[str, Any]:
    return {"name": "Small", "system_prompt": "You are a helpful assistant."}


def large_body(tools: int = 50) -> dict[str, Any]:
    """The biggest assistant a customer plausibly sends: a long prompt, many tools with schemas, metadata."""
    sentence = "When the caller asks about an order, confirm the number, the date: and the items, then reply. "
    prompt = (sentence * (20_000 // len(sentence) + 1))[:20_000]
    properties = {
        f"field_{p}": {"type": "string", "description": f"Field {p}: what the caller said about it, verbatim.",
                       **({"enum": ["a", "b", "c", "d"]} if p % 2 else {"minLength": 1, "maxLength": 200})}
        for p in range(8)
    }
    schema = {"type": "object", "properties": properties, "required": list(properties)[:4],
              "additionalProperties": False}
    return {
        "name": "Large", "system_prompt": prompt, "first_message": "Hello, how can I help?",
        "llm_config": {"tools": [{"type": "function", "name": f"tool_{t}", "description": f"Tool {t}, with a "
                                  "description a model can read: when to call it and what it returns.",
                                  "parameters": schema, "url": f"https://tools.example.com/t{t}"}
                                 for t in range(tools)]},
        "metadata": {f"crm_field_{m}": f"value {m}" for m in range(100)},
    }


def many_keys_body(keys: int = 90_000) -> bytes:
    members = ",".join(f'"k{i}":1' for i in range(keys))
    return ('{"system_prompt":"x","metadata":{' + members + "}}").encode()


def many_floats_body(floats: int = 260_000) -> bytes:
    return ('{"system_prompt":"x","metadata":{"f":[' + ",".join(["1.5"] * floats) + "]}}").encode()


def wide_schema_body(properties: int = 2_000) -> bytes:
    """One tool whose JSON Schema has 2,000 properties: 97 KB, within every size limit."""
    schema = {"type": "object", "properties": {f"p{i}": {"type": "string", "description": "d"}
                                               for i in range(properties)}}
    tool = {"type": "function", "name": "wide", "parameters": schema}
    return json.dumps({"system_prompt": "x", "llm_config": {"tools": [tool]}}).encode()


def bodies() -> dict[str, bytes]:
    return {"small": json.dumps(small_body()).encode(), "legit_large": json.dumps(large_body()).encode(),
            "keys_90k": many_keys_body(), "floats_260k": many_floats_body(),
            "keys_9900": many_keys_body(9_900), "floats_19900": many_floats_body(19_900),
            "schema_2000_properties": wide_schema_body()}


def post(port: int, key: str, body: bytes) -> int:
    """One POST /api/v1/assistants over a blocking socket; the reply's status."""
    head = (f"POST /api/v1/assistants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1])


async def worst_stall(during: Callable[[], int]) -> tuple[int, float]:
    """Run `during` in a thread; (its result, the worst lateness of a 5 ms tick meanwhile, in seconds)."""
    task = asyncio.ensure_future(asyncio.to_thread(during))
    worst = 0.0
    while not task.done():
        before = time.perf_counter()
        await asyncio.sleep(TICK)
        worst = max(worst, time.perf_counter() - before - TICK)
    return task.result(), worst


async def measure(repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", telephony=False, rate_limit_per_minute=1_000_000)
        db = Database(settings.database_path)
        db.migrate_sync()
        key = generate_api_key()
        db.write_sync(lambda d: records.create_api_key(d, "bench", key))
        runner = ApiRunner(create_app(settings, db=db), settings)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = int(runner.addresses[0][1])
        results: dict[str, Any] = {}
        try:
            for name, body in bodies().items():
                stalls, statuses = [], set()
                for _ in range(repeat):
                    status, stall = await worst_stall(lambda b=body: post(port, key, b))  # type: ignore[misc]
                    stalls.append(stall * 1000)
                    statuses.add(status)
                results[name] = {"bytes": len(body), "statuses": sorted(statuses),
                                 "stall_ms_median": round(statistics.median(stalls), 1),
                                 "stall_ms_max": round(max(stalls), 1)}
        finally:
            await runner.cleanup()
            db.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    machine_before = describe()
    results = asyncio.run(measure(args.repeat))
    print(json.dumps({"machine": machine_before, "load_after": describe()["load_average"],
                      "tick_ms": TICK * 1000, "repeat": args.repeat, "requests": results}, indent=2))


if __name__ == "__main__":
    main()
