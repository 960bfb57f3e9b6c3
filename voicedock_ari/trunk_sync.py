"""Keeps Asterisk's trunk include in step with the store and watches trunk registrations.

`sync()` runs after every change the API makes to numbers or trunks, and again every `poll_seconds`:
a change made through another node of a cluster (whose Asterisks share the include file) reaches this
node's Asterisk then, because a node reloads whenever the text differs from what it last loaded, not
only when the file changed. Asterisk (or the cluster's SIP entry) being down is logged, never raised:
the API call that changed a trunk has already committed, and the next sync picks it up.

In a cluster (`sip_entry`) trunks register from Kamailio, kept in step here (voicedock_ari/sip_entry.py),
and their states come from it; on one node Asterisk registers them and AMI tells their states.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.tasks import every

from .settings import AsteriskSettings
from .sip_entry import SipEntry, states, wanted
from .trunks import Ami, render_trunks, write_private

log = logging.getLogger("voicedock.telephony")


class TrunkSync:
    def __init__(self, asterisk: AsteriskSettings, db: Database, box: SecretBox, *,
                 poll_seconds: float | None = None, entry: SipEntry | None = None) -> None:
        """`poll_seconds`: 10 behind a SIP entry, whose registration timer is 10 s, else 30."""
        self.asterisk = asterisk
        self.db = db
        self.box = box
        self.ami = Ami(asterisk)
        self.poll_seconds = poll_seconds if poll_seconds is not None else (10.0 if entry else 30.0)
        self.entry = entry
        self._loaded: str | None = None  # the text this node's Asterisk last reloaded
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

    def _rows(self, d: Any) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
        rows = list(d.query("SELECT id, config, password_enc FROM sip_trunks ORDER BY created_at"))
        passwords = {r["id"]: self.box.decrypt(r["password_enc"]) if r["password_enc"] else None for r in rows}
        return rows, passwords

    async def sync(self) -> None:
        """Rewrite the include file (mode 640), reload Asterisk when its text is new to it, and bring
        the SIP entry's registrations in step (in a cluster)."""
        path = self.asterisk.trunks_file
        if path is None:
            return
        async with self._lock:
            rows, passwords = await self.db.read(self._rows)
            self._trunk_ids = [r["id"] for r in rows]
            self._registering = {r["id"] for r in rows if json.loads(r["config"]).get("register")}
            text = render_trunks(rows, passwords, self.entry.address if self.entry else None)
            await asyncio.to_thread(write_private, path, text)
            if text != self._loaded:
                try:
                    await self.ami.reload()
                    self._loaded = text
                    log.info("asterisk trunks reloaded", extra={"trunks": len(self._trunk_ids)})
                except asyncio.CancelledError:
                    raise
                except Exception as err:
                    log.warning("asterisk reload failed (%s); the file is written and applies on restart",
                                type(err).__name__)
            if self.entry is not None:
                try:
                    self._states = await self.entry.apply(wanted(rows, passwords))
                except asyncio.CancelledError:
                    raise
                except Exception as err:
                    log.warning("trunk registrations not applied at the SIP entry (%s: %s)", type(err).__name__,
                                str(err)[:200])
                return
        await self.refresh()

    async def refresh(self) -> None:
        if not self._registering:
            self._states = {}
            return
        try:
            self._states = (states(await self.entry.held()) if self.entry is not None
                            else await self.ami.registrations())
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.debug("registration status unavailable: %r", err)

    async def _poll(self) -> None:
        await asyncio.sleep(self.poll_seconds)  # start() has just synced
        await every(self.poll_seconds, self.sync, "trunk sync")

    def health(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for trunk_id in self._trunk_ids:
            if trunk_id in self._registering:
                out[trunk_id] = {"status": self._states.get(trunk_id, "unknown")}
            else:
                out[trunk_id] = {"status": "not-registering"}
        return out
