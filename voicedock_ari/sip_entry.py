"""A cluster's SIP entry (Kamailio) kept in step with the store: trunk registrations, node states.

Trunk registrations: a carrier keeps one registered contact per account. Were every node's Asterisk to register, the last
one would win and take every call the carrier sends; the others would get none. In a cluster the
registrations live in Kamailio's `uac` module, whose contact is the address callers already dial, and a
carrier's call to it is dispatched to a node like any other. Any node may change a trunk, so every
node keeps Kamailio in step with the store: it reads the registrations Kamailio holds
(`uac.reg_dump`), adds the missing or changed ones (`uac.reg_add` replaces one with the same id) and
unregisters and removes the ones whose trunk is gone. Nodes agree on what Kamailio should hold (the
store), so doing it on every node is idempotent, and it also refills a Kamailio that restarted.

Node states: Kamailio's OPTIONS probes ask a node's Asterisk, which answers while the VoiceDock
server beside it is dead, so the probes alone keep sending such a node calls (each refused with 503
and failed over). Once the store says a node `failed` (its heartbeat stopped) or `stopped`, every
node's heartbeat pass disables it in the dispatcher (`d`: no calls, no probes); when its row is `up`
again, the next pass makes it active and probed (`ap`). Dispatcher targets are matched by their `duid`
attribute, which is the node id (`VOICEDOCK_NODE_ID`).

The wanted records and the changes are pure functions; `KamailioRpc` is the I/O: JSON-RPC datagrams
to the socket Kamailio opens on the nodes' network (`VOICEDOCK_SIP_ENTRY_RPC`). The records carry the
trunks' passwords, which is why that socket is on the private network only (docs/scale-out.md).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voicedock.config import Settings
from voicedock.store.nodes import FAILED, STOPPED, UP, Node

log = logging.getLogger("voicedock.telephony")

# The order of uac.reg_add's parameters.
REG_ADD_FIELDS = ("l_uuid", "l_username", "l_domain", "r_username", "r_domain", "realm", "auth_username",
                  "auth_password", "auth_ha1", "auth_proxy", "expires", "flags", "reg_delay", "socket",
                  "contact_addr")
# What reg_dump shows back as we set it: a record differing in one of these is replaced.
COMPARED = ("l_username", "l_domain", "r_username", "r_domain", "auth_username", "auth_password",
            "auth_proxy", "expires")
EXPIRES = 300
DISPATCHER_SET = 1  # the nodes' set in kamailio_conf's dispatcher list
# reg_dump's flags: 1 disabled, 2 in progress, 4 registered, 8 in progress with credentials.
_DISABLED, _REGISTERED = 1, 4


@dataclass(frozen=True)
class Registration:
    """One trunk's registration as Kamailio's uac module holds it."""

    trunk_id: str
    username: str
    password: str | None
    host: str
    port: int
    transport: str

    def fields(self) -> dict[str, Any]:
        proxy = f"sip:{self.host}:{self.port}" + ("" if self.transport == "udp" else f";transport={self.transport}")
        return {
            "l_uuid": self.trunk_id, "l_username": self.username, "l_domain": self.host,
            "r_username": self.username, "r_domain": self.host, "realm": "", "auth_username": self.username,
            # "." is reg_add's "no value"; reg_dump shows an unset password as an empty string.
            "auth_password": self.password or ".", "auth_ha1": ".", "auth_proxy": proxy, "expires": EXPIRES,
            "flags": 0, "reg_delay": 0, "socket": "", "contact_addr": ".",
        }

    def reg_add_params(self) -> list[Any]:
        values = self.fields()
        return [values[name] for name in REG_ADD_FIELDS]


def wanted(trunks: Iterable[Mapping[str, Any]], passwords: Mapping[str, str | None]) -> dict[str, Registration]:
    """The registrations the store asks for: trunks with `register` and a username; rows are
    {id, config (JSON text or dict)}."""
    out: dict[str, Registration] = {}
    for row in trunks:
        cfg = row["config"] if isinstance(row["config"], Mapping) else json.loads(row["config"])
        if not (cfg.get("register") and cfg.get("username")):
            continue
        ident = str(row["id"])
        out[ident] = Registration(ident, str(cfg["username"]), passwords.get(ident), str(cfg["host"]),
                                  int(cfg.get("port") or 5060), str(cfg.get("transport") or "udp"))
    return out


def changes(want: Mapping[str, Registration], held: Sequence[Mapping[str, Any]]) -> tuple[list[Registration], list[str]]:
    """(registrations to add or replace, ids whose trunk is gone) that turn what Kamailio holds into `want`."""
    by_id = {str(r.get("l_uuid")): r for r in held}
    add = []
    for ident, registration in want.items():
        current = by_id.get(ident)
        expected = registration.fields()
        if registration.password is None:
            expected["auth_password"] = ""
        if current is None or any(str(current.get(k)) != str(expected[k]) for k in COMPARED):
            add.append(registration)
    return add, sorted(set(by_id) - set(want))


def states(held: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Trunk id -> registration state, in the words the single-node (Asterisk) states use."""
    out = {}
    for record in held:
        flags = int(record.get("flags") or 0)
        if flags & _DISABLED:
            state = "stopped"
        elif flags & _REGISTERED:
            state = "registered"
        else:
            state = "unregistered"
        out[str(record.get("l_uuid"))] = state
    return out


def dispatcher_changes(nodes: Iterable[Node], listed: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(state, duid) pairs for `dispatcher.set_duid_state` from the store's nodes and what
    `dispatcher.list` answered; targets the store does not know are left alone."""
    status = {node.id: node.status for node in nodes}
    out = []
    for record in listed.get("RECORDS") or []:
        for target in (record.get("SET") or {}).get("TARGETS") or []:
            dest = target.get("DEST") or {}
            duid = str((dest.get("ATTRS") or {}).get("DUID") or "")
            disabled = str(dest.get("FLAGS") or "").startswith("D")
            if status.get(duid) in (FAILED, STOPPED) and not disabled:
                out.append(("d", duid))
            elif status.get(duid) == UP and disabled:
                out.append(("ap", duid))
    return out


class RpcError(RuntimeError):
    """Kamailio answered a JSON-RPC error, or did not answer."""


class _Reply(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.reply: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not self.reply.done():
            self.reply.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.reply.done():
            self.reply.set_exception(exc)


class KamailioRpc:
    """JSON-RPC 2.0 over UDP datagrams to Kamailio's jsonrpcs module: one socket per call."""

    _ids = itertools.count(1)

    def __init__(self, host: str, port: int, timeout: float = 2.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    def __repr__(self) -> str:
        return f"KamailioRpc({self.host}:{self.port})"

    async def call(self, method: str, *params: Any) -> Any:
        ident = next(self._ids)
        request = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": ident})
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(_Reply, remote_addr=(self.host, self.port))
        try:
            transport.sendto(request.encode())
            try:
                data = await asyncio.wait_for(protocol.reply, self.timeout)
            except TimeoutError:
                raise RpcError(f"{method}: no answer from the SIP entry in {self.timeout:g} s") from None
        finally:
            transport.close()
        reply = json.loads(data)
        if reply.get("error"):
            raise RpcError(f"{method}: {str(reply['error'].get('message', reply['error']))[:200]}")
        return reply.get("result")


class SipEntry:
    """Keeps the SIP entry's registrations equal to `wanted` and reports their states.

    A gone trunk is unregistered first (a REGISTER with expires 0, so the carrier stops sending its
    contact calls) and removed at a pass `leave_seconds` later: removed at once, the record would be
    gone before it could answer the carrier's digest challenge of that REGISTER.
    """

    def __init__(self, rpc: KamailioRpc, address: str, leave_seconds: float = 5.0) -> None:
        """`address`: Kamailio's SIP `host:port` as the nodes reach it, which trunk calls leave through."""
        self.rpc = rpc
        self.address = address
        self.leave_seconds = leave_seconds
        self._leaving: dict[str, float] = {}  # trunk id -> when this node unregistered it

    async def held(self) -> list[dict[str, Any]]:
        return list(await self.rpc.call("uac.reg_dump") or [])

    async def apply(self, want: Mapping[str, Registration]) -> dict[str, str]:
        """Add, replace and remove registrations; the states of those held afterwards."""
        held = await self.held()
        add, gone = changes(want, held)
        for registration in add:
            await self.rpc.call("uac.reg_add", *registration.reg_add_params())
        now = time.monotonic()
        self._leaving = {ident: since for ident, since in self._leaving.items() if ident in gone}
        for ident in gone:
            since = self._leaving.get(ident)
            if since is None:
                await self.rpc.call("uac.reg_unregister", "l_uuid", ident)
                self._leaving[ident] = now
            elif now - since >= self.leave_seconds:
                await self.rpc.call("uac.reg_remove", ident)
                del self._leaving[ident]
        return states(await self.held() if add or gone else held)

    async def apply_nodes(self, nodes: Sequence[Node]) -> list[tuple[str, str]]:
        """Disable the dispatcher targets of nodes that are not up, enable those up again; the changes."""
        done = dispatcher_changes(nodes, await self.rpc.call("dispatcher.list") or {})
        for state, duid in done:
            await self.rpc.call("dispatcher.set_duid_state", state, DISPATCHER_SET, duid)
            log.warning("node %s %s at the SIP entry", duid, "disabled" if state == "d" else "enabled again")
        return done


def sip_entry(settings: Settings) -> SipEntry | None:
    """The cluster's SIP entry from `VOICEDOCK_SIP_ENTRY` and `VOICEDOCK_SIP_ENTRY_RPC` (set together,
    see Settings); None on one node."""
    if not settings.sip_entry or not settings.sip_entry_rpc:
        return None
    host, _, port = settings.sip_entry_rpc.rpartition(":")
    return SipEntry(KamailioRpc(host, int(port)), settings.sip_entry)
