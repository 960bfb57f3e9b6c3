"""The server side of a real-call grounding run: `voicedock serve`, its REST API, the tool receiver.

Started once per run (the models load once), the way `voicedock bench turns` starts it: a
temporary data directory, `--session voice` with the profile's models, Asterisk's ARI. Unlike
the turn benchmark, everything a customer would configure goes through the public REST API
with an API key: each domain's assistant (`POST /assistants`, its tools pointed at the local
tool receiver, `webhook_events: ["tool-calls"]`) and a number (`POST /numbers`); the call's
record is read back with `GET /calls/{id}`. So a run also tests that the product, configured as
documented, behaves as the text runner saw.

Transfers to a phone number need a SIP trunk, so the run adds one (`POST /sip-trunks`) to a
loopback port where nothing answers: the session's transfer goes as far as VoiceDock takes it
(the record ends `transferred`), and only the far phone, which the test bed does not have, is
missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from voicedock.config import Settings
from voicedock.secrets import generate_api_key, generate_webhook_secret
from voicedock.store import Database, records
from voicedock_bench.ports import free_port
from voicedock_bench.turns import ari_app_connected, wait_healthy

from .dataset import Domain
from .sip_clock import FakeClock
from .sip_tools import ToolReceiver

FIRST_NUMBER = 15550201  # +15550201.. : one number per domain
RATE_LIMIT = 100_000  # the API limiter's window runs on the wall clock, which this run moves back and forth
FINAL = ("ended", "failed", "rejected")
POLL_SECONDS = 1.0  # between reads of a record that is not ready yet
MAX_CALL_SECONDS = 900  # the call's max_duration guard; a slow CPU turn must not hit the default 300 s


@dataclass
class Line:
    """A domain configured on the server: its assistant and the number that reaches it."""

    assistant_id: str
    number: str
    secret: str


@dataclass
class Rig:
    """One running server with its API key, clock and tool receiver."""

    workdir: Path
    clock: FakeClock
    profile: str
    models_dir: Path
    load_timeout: float = 300.0
    server: asyncio.subprocess.Process | None = None
    http: aiohttp.ClientSession | None = None
    tools: ToolReceiver | None = None
    base: str = ""
    sip_port: int = 5060
    health: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, Line] = field(default_factory=dict)
    known_calls: set[str] = field(default_factory=set)
    _key: str = ""
    _trunk: str = ""
    _tools_url: str = ""
    _log: Any = None

    async def start(self) -> None:
        from voicedock_ari.settings import AsteriskSettings

        asterisk = AsteriskSettings.load()
        if await ari_app_connected(asterisk):
            raise RuntimeError("another VoiceDock is connected to Asterisk; stop it first (it would answer the calls)")
        self.sip_port = asterisk.sip_port
        data_dir = self.workdir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        self._key = await asyncio.to_thread(_api_key, Settings(data_dir=data_dir))
        self.tools = ToolReceiver(self.clock.server_now)
        self._tools_url = await self.tools.start(free_port("tcp"))
        port = free_port("tcp")
        env = {**os.environ, "VOICEDOCK_MODEL_PROFILE": self.profile, "VOICEDOCK_MODELS_DIR": str(self.models_dir),
               "VOICEDOCK_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT), **self.clock.env()}
        self._log = (self.workdir / "serve.log").open("wb")
        self.server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "voicedock_cli.main", "serve", "--data-dir", str(data_dir), "--port", str(port),
            "--session", "voice", "--log-level", "WARNING", env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.health = await wait_healthy(f"{self.base}/health", self.server, self.load_timeout)
        self.http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self._key}"},
                                          timeout=aiohttp.ClientTimeout(total=30))
        trunk = await self.api("POST", "/sip-trunks", {"name": "grounding transfers", "host": "127.0.0.1",
                                                       "port": free_port("udp")})
        self._trunk = str(trunk["sip_trunk"]["id"])

    async def close(self) -> None:
        if self.http is not None:
            if self._trunk:  # its PJSIP section leaves Asterisk's include with it
                with contextlib.suppress(RuntimeError, aiohttp.ClientError, TimeoutError):
                    await self.api("DELETE", f"/sip-trunks/{self._trunk}")
            await self.http.close()
        if self.tools is not None:
            await self.tools.close()
        if self.server is not None and self.server.returncode is None:
            self.server.terminate()
            try:
                await asyncio.wait_for(self.server.wait(), 30)
            except TimeoutError:
                self.server.kill()
                await self.server.wait()
        if self._log is not None:
            self._log.close()

    def log_tail(self, chars: int = 3000) -> str:
        path = self.workdir / "serve.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    # -- the REST API ------------------------------------------------------------------------------

    async def api(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """One API request as a polite client makes it: a 429 is waited out (Retry-After) and retried."""
        assert self.http is not None, "start() first"
        for attempt in range(6):
            async with self.http.request(method, self.base + path, json=body) as response:
                data: dict[str, Any] = await response.json()
                if response.status == 429 and attempt < 5:
                    await asyncio.sleep(float(response.headers.get("Retry-After") or 2))
                    continue
                if response.status >= 400:
                    raise RuntimeError(f"{method} {path}: {response.status} {data}")
                return data
        raise AssertionError("unreachable")

    async def line(self, name: str, domain: Domain) -> Line:
        """The domain's assistant and number, created through the API on first use."""
        if name in self.lines:
            return self.lines[name]
        assert self.tools is not None
        doc = copy.deepcopy(dict(domain.assistant))
        secret = generate_webhook_secret()
        for tool in (doc.get("llm_config") or {}).get("tools") or []:
            if tool.get("type") == "function":
                tool["url"] = f"{self._tools_url}/{name}"
        doc.update(webhook_secret=secret, webhook_events=["tool-calls"],
                   max_duration_seconds=max(int(doc.get("max_duration_seconds") or 0), MAX_CALL_SECONDS))
        assistant = (await self.api("POST", "/assistants", doc))["assistant"]
        number = f"+{FIRST_NUMBER + len(self.lines)}"
        await self.api("POST", "/numbers", {"phone_number": number, "name": f"grounding {name}",
                                            "assistant_id": assistant["id"]})
        self.tools.secrets[name] = secret
        self.lines[name] = Line(assistant["id"], number, secret)
        return self.lines[name]

    def sip_uri(self, number: str) -> str:
        return f"sip:{number}@127.0.0.1:{self.sip_port}"

    async def server_clock(self) -> float:
        """The server's wall clock (its /health `timestamp`), as epoch seconds."""
        from datetime import datetime

        data = await self.api("GET", "/health")
        return datetime.fromisoformat(str(data["timestamp"]).replace("Z", "+00:00")).timestamp()

    async def wait_clock(self, within: float = 8.0, tolerance: float = 3.0) -> float:
        """Until the server reads the clock the runner aimed at; returns the last difference (s)."""
        deadline = time.monotonic() + within
        diff = float("inf")
        while time.monotonic() < deadline:
            diff = await self.server_clock() - self.clock.server_now()
            if abs(diff) <= tolerance:
                return diff
            await asyncio.sleep(0.25)
        raise RuntimeError(f"the server's clock is {diff:+.0f} s off the dialogue's; is libfaketime working?")

    async def new_call(self, within: float = 15.0) -> dict[str, Any] | None:
        """The call this runner just placed: the newest record it has not seen (created_at jumps with
        the fake clock, so the id, not the order, tells)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            calls = (await self.api("GET", "/calls?limit=50"))["calls"]
            fresh = [c for c in calls if c["id"] not in self.known_calls]
            if fresh:
                self.known_calls.add(fresh[0]["id"])
                return dict(fresh[0])
            await asyncio.sleep(POLL_SECONDS)
        return None

    async def call(self, call_id: str) -> dict[str, Any]:
        return dict((await self.api("GET", f"/calls/{call_id}"))["call"])

    async def finished(self, call_id: str, within: float) -> dict[str, Any]:
        """The record once the call has ended and its post-call analysis is stored (or `within` ran out)."""
        deadline = time.monotonic() + within
        record = await self.call(call_id)
        while time.monotonic() < deadline:
            if record["status"] in FINAL and (record["status"] != "ended" or not record.get("messages")
                                              or record.get("analysis") or record.get("summary")):
                break  # only an ended call with messages is analysed (voicedock/store/call_state.finish)
            await asyncio.sleep(POLL_SECONDS)
            with contextlib.suppress(aiohttp.ClientError):
                record = await self.call(call_id)
        return record


def _api_key(settings: Settings) -> str:
    """An API key written straight into the fresh data dir, as `voicedock keys create` does."""
    db = Database(settings.database_path)
    try:
        db.migrate_sync()
        key = generate_api_key()
        db.write_sync(lambda d: records.create_api_key(d, "grounding-sip", key))
        return key
    finally:
        db.close()
