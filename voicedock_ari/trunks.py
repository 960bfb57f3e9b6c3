"""SIP trunks from the store rendered into Asterisk's PJSIP include, applied with an AMI reload.

Rendering is a pure function of the trunk rows and their decrypted passwords, so it is tested
without Asterisk. The file holds passwords: written mode 640, atomically, and only reloaded
when its content changed. Its directory is setgid to Asterisk's group (see scripts/install-asterisk),
so Asterisk, which does not run as root, can read it and no one else can. Registration states come from AMI `PJSIPShowRegistrationsOutbound`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .settings import AsteriskSettings

log = logging.getLogger("voicedock.telephony")

TRANSPORT = "transport-udp"
# AMI ModuleLoad reloads (class `system`), not CLI commands: the account needs no `command` class,
# which would hand it the whole CLI (originate, stop, ...). pbx_config's reload is `dialplan reload`.
RELOAD_MODULES = ("res_pjsip.so", "pbx_config.so")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
_STATES = {"registered": "registered", "unregistered": "unregistered", "rejected": "rejected",
           "failed": "failed", "stopped": "stopped"}


def trunk_endpoint(trunk_id: str) -> str:
    """The PJSIP endpoint name of a trunk: its id (ids are safe section names)."""
    return trunk_id


def render_trunks(trunks: Iterable[Mapping[str, Any]], passwords: Mapping[str, str | None],
                  sip_entry: str | None = None) -> str:
    """The include file for all trunks; `trunks` are {id, config (JSON text or dict)} rows.

    With `sip_entry` (a cluster's Kamailio, `host:port`) calls to a trunk leave through it and the
    trunk registers from there (voicedock_ari/sip_entry.py), not from this node's Asterisk.
    """
    out = ["; Written by VoiceDock from the sip_trunks table; edits here are overwritten.", ""]
    for row in trunks:
        cfg = row["config"] if isinstance(row["config"], Mapping) else json.loads(row["config"])
        out += _trunk_sections(str(row["id"]), cfg, passwords.get(str(row["id"])), sip_entry)
    return "\n".join(out) + "\n"


def _trunk_sections(ident: str, cfg: Mapping[str, Any], password: str | None, sip_entry: str | None) -> list[str]:
    host, port = str(cfg["host"]), int(cfg.get("port") or 5060)
    transport = str(cfg.get("transport") or "udp")
    suffix = "" if transport == "udp" else f";transport={transport}"
    server = f"sip:{host}:{port}{suffix}"
    username = cfg.get("username") or None
    codecs = [str(c) for c in (cfg.get("codecs") or ["ulaw"])]
    has_auth = bool(username and password)
    lines = [
        f"[{ident}]",
        "type = endpoint",
        f"transport = {TRANSPORT}",
        "context = voicedock-inbound",
        "disallow = all",
        f"allow = {','.join(codecs)}",
        f"aors = {ident}",
        "direct_media = no",
        "rtp_symmetric = yes",
        "force_rport = yes",
        "rewrite_contact = yes",
        "dtmf_mode = auto",
    ]
    if username:
        lines.append(f"from_user = {username}")
    if has_auth:
        lines.append(f"outbound_auth = {ident}-auth")
    if sip_entry:
        lines.append(f"outbound_proxy = sip:{sip_entry}\\;lr")  # `;` opens a comment in Asterisk's files
    lines += ["", f"[{ident}]", "type = aor", f"contact = {server}", "qualify_frequency = 0", ""]
    if has_auth:
        lines += [f"[{ident}-auth]", "type = auth", "auth_type = userpass", f"username = {username}",
                  f"password = {password}", ""]
    if host not in LOOPBACK_HOSTS:
        lines += [f"[{ident}-identify]", "type = identify", f"endpoint = {ident}", f"match = {host}", ""]
    if cfg.get("register") and username and not sip_entry:
        lines += [f"[{ident}-reg]", "type = registration", f"transport = {TRANSPORT}", f"server_uri = {server}",
                  f"client_uri = sip:{username}@{host}:{port}", "retry_interval = 60", "expiration = 300"]
        if has_auth:
            lines.append(f"outbound_auth = {ident}-auth")
        lines.append("")
    return lines


def write_private(path: Path, text: str) -> bool:
    """Atomically replace `path` with mode 640 (group: the directory's); False when the content was the same."""
    with contextlib.suppress(FileNotFoundError):
        if path.read_text() == text:
            os.chmod(path, 0o640)
            return False
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(tmp, 0o640)
    os.replace(tmp, path)
    return True


def registration_states(events: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Trunk id -> state from `OutboundRegistrationDetail` events (section names end in `-reg`)."""
    states: dict[str, str] = {}
    for event in events:
        if event.get("Event") != "OutboundRegistrationDetail":
            continue
        name = str(event.get("ObjectName", ""))
        if name.endswith("-reg"):
            status = str(event.get("Status", "")).lower()
            states[name[: -len("-reg")]] = _STATES.get(status, status or "unknown")
    return states


class Ami:
    """A short AMI session per use: reloads are rare, and a fresh login survives Asterisk restarts."""

    def __init__(self, settings: AsteriskSettings, timeout: float = 5.0) -> None:
        self.settings = settings
        self.timeout = timeout

    async def _run(self, fn: Any) -> Any:
        from panoramisk import Manager

        manager = Manager(
            host=self.settings.ami_host, port=self.settings.ami_port, username=self.settings.ami_user,
            secret=self.settings.ami_password, ping_delay=0, loop=asyncio.get_running_loop(),
        )
        try:
            await asyncio.wait_for(manager.connect(), self.timeout)
            return await asyncio.wait_for(fn(manager), self.timeout)
        finally:
            manager.close()

    async def reload(self) -> None:
        """Reload PJSIP (22 has no `pjsip reload`) and the dialplan, as `module reload` would."""

        async def go(manager: Any) -> None:
            for module in RELOAD_MODULES:
                reply = await manager.send_action({"Action": "ModuleLoad", "Module": module, "LoadType": "reload"})
                if reply.get("Response") != "Success":
                    raise RuntimeError(f"AMI reload of {module} failed: {str(reply.get('Message'))[:200]}")

        await self._run(go)

    async def registrations(self) -> dict[str, str]:
        async def go(manager: Any) -> list[Any]:
            return list(await manager.send_action({"Action": "PJSIPShowRegistrationsOutbound"}, as_list=True))

        return registration_states(dict(e) for e in await self._run(go))
