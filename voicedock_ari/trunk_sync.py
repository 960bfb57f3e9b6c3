"""Keeps Asterisk's trunk include in step with the store and watches trunk registrations.

`sync()` runs after every change the API makes to numbers or trunks; a background task refreshes
registration states for `health()`. Asterisk being down is logged, never raised: the API call
that changed a trunk has already committed, and the next sync or restart picks it up.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from voicedock.secrets import SecretBox
from voicedock.store import Database

from .settings import AsteriskSettings
from .trunks import Ami, render_trunks, write_private

log = logging.getLogger("voicedock.telephony")


class TrunkSync:
    def __init__(self, asterisk: AsteriskSettings, db: Database, box: SecretBox, *, poll_seconds: float = 30.0) -> None:
        self.asterisk = asterisk
        self.db = db
        self.box = box
        self.ami = Ami(asterisk)
        self.poll_seconds = poll_seconds
        self._registering: set[str] = set()
        self._trunk_ids: list[str] = []
        self._states: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.sync()
        self._poller = asyncio.create_task(self._poll(), name="trunk-registrations")

    async def aclose(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            try:
                await self._poller
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise

    def _render(self, d: Any) -> tuple[str, list[str], set[str]]:
        rows = list(d.query("SELECT id, config, password_enc FROM sip_trunks ORDER BY created_at"))
        passwords = {r["id"]: self.box.decrypt(r["password_enc"]) if r["password_enc"] else None for r in rows}
        registering = {r["id"] for r in rows if json.loads(r["config"]).get("register")}
        return render_trunks(rows, passwords), [r["id"] for r in rows], registering

    async def sync(self) -> None:
        """Rewrite the include file (mode 640) and reload Asterisk when it changed."""
        path = self.asterisk.trunks_file
        if path is None:
            return
        async with self._lock:
            text, self._trunk_ids, self._registering = await self.db.read(self._render)
            changed = await asyncio.to_thread(write_private, path, text)
            if changed:
                try:
                    await self.ami.reload()
                    log.info("asterisk trunks reloaded", extra={"trunks": len(self._trunk_ids)})
                except asyncio.CancelledError:
                    raise
                except Exception as err:
                    log.warning("asterisk reload failed (%s); the file is written and applies on restart",
                                type(err).__name__)
        await self.refresh()

    async def refresh(self) -> None:
        if not self._registering:
            self._states = {}
            return
        try:
            self._states = await self.ami.registrations()
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.debug("registration status unavailable: %r", err)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            await self.refresh()

    def health(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for trunk_id in self._trunk_ids:
            if trunk_id in self._registering:
                out[trunk_id] = {"status": self._states.get(trunk_id, "unknown")}
            else:
                out[trunk_id] = {"status": "not-registering"}
        return out
