"""Trunks in a cluster: each node's Asterisk sends trunk calls through Kamailio and does not register;
Kamailio's registrations are kept equal to the store over JSON-RPC (here a fake Kamailio answering
real UDP datagrams); a trunk change made through another node reaches this node's Asterisk."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from voicedock.config import Settings, SettingsError
from voicedock.heartbeat import NodeHeartbeat
from voicedock.secrets import SecretBox
from voicedock.store import Database, records
from voicedock.store.nodes import Node
from voicedock_ari.settings import AsteriskSettings
from voicedock_ari.sip_entry import (
    REG_ADD_FIELDS,
    KamailioRpc,
    Registration,
    RpcError,
    SipEntry,
    changes,
    sip_entry,
    states,
    wanted,
)
from voicedock_ari.trunk_sync import TrunkSync
from voicedock_ari.trunks import render_trunks

ROWS: list[dict[str, Any]] = [{"id": "trunk_a", "config": json.dumps({"name": "A", "host": "sip.example.com", "port": 5070,
                                                 "username": "alice", "register": True})},
        {"id": "trunk_b", "config": {"name": "B", "host": "10.0.0.9", "username": "bob"}},
        {"id": "trunk_c", "config": {"name": "C", "host": "10.0.0.8", "register": True}}]


def test_behind_the_sip_entry_asterisk_sends_trunk_calls_through_it_and_does_not_register() -> None:
    text = render_trunks(ROWS, {"trunk_a": "s3cret"}, sip_entry="10.77.0.1:5060")
    assert text.count("outbound_proxy = sip:10.77.0.1:5060\\;lr") == 3  # `\;`: not a comment
    assert "[trunk_a-reg]" not in text and "type = registration" not in text
    assert "[trunk_a-auth]" in text and "password = s3cret" in text  # it still answers the carrier's challenge
    alone = render_trunks(ROWS, {"trunk_a": "s3cret"})
    assert "[trunk_a-reg]" in alone and "outbound_proxy" not in alone


def test_the_registrations_wanted_are_the_registering_trunks_with_a_username() -> None:
    want = wanted(ROWS, {"trunk_a": "s3cret"})
    assert list(want) == ["trunk_a"]  # trunk_b does not register, trunk_c has no username
    fields = want["trunk_a"].fields()
    assert fields["auth_proxy"] == "sip:sip.example.com:5070"
    assert (fields["r_username"], fields["r_domain"], fields["auth_password"]) == ("alice", "sip.example.com", "s3cret")
    params = want["trunk_a"].reg_add_params()
    assert len(params) == 15 and params[0] == "trunk_a" and params[-1] == "."
    tcp = Registration("trunk_t", "u", None, "h", 5061, "tcp").fields()
    assert tcp["auth_proxy"] == "sip:h:5061;transport=tcp" and tcp["auth_password"] == "."


def dumped(registration: Registration, flags: int = 4) -> dict[str, Any]:
    """A record as uac.reg_dump shows it."""
    fields = {**registration.fields(), "flags": flags, "auth_ha1": "none", "contact_addr": "127.0.0.1:5060"}
    if registration.password is None:
        fields["auth_password"] = ""
    return fields


def test_changes_add_the_new_replace_the_changed_and_name_the_gone() -> None:
    a = Registration("trunk_a", "alice", "s3cret", "sip.example.com", 5060, "udp")
    b = Registration("trunk_b", "bob", None, "10.0.0.9", 5060, "udp")
    assert changes({"trunk_a": a, "trunk_b": b}, [dumped(a), dumped(b)]) == ([], [])
    new_password = Registration("trunk_a", "alice", "changed", "sip.example.com", 5060, "udp")
    assert changes({"trunk_a": new_password}, [dumped(a)]) == ([new_password], [])
    assert changes({"trunk_b": b}, [dumped(a)]) == ([b], ["trunk_a"])


def test_states_read_the_flags_kamailio_keeps() -> None:
    a = Registration("trunk_a", "alice", "s3cret", "h", 5060, "udp")
    held = [{**dumped(a), "flags": 4 | 16}, {**dumped(a), "l_uuid": "trunk_b", "flags": 2},
            {**dumped(a), "l_uuid": "trunk_c", "flags": 1 | 4}]
    assert states(held) == {"trunk_a": "registered", "trunk_b": "unregistered", "trunk_c": "stopped"}


class FakeKamailio(asyncio.DatagramProtocol):
    """The uac module's RPC commands over JSON-RPC datagrams, in memory."""

    def __init__(self) -> None:
        self.held: dict[str, dict[str, Any]] = {}
        self.targets = {"node-1": "AP", "node-2": "AP", "node-9": "AP"}  # duid -> dispatcher flags
        self.calls: list[str] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.silent = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        request = json.loads(data)
        method, params = request["method"], request["params"]
        self.calls.append(method)
        if self.silent:
            return
        result: Any = {}
        if method == "uac.reg_dump":
            result = list(self.held.values())
        elif method == "uac.reg_add":
            record = dict(zip(REG_ADD_FIELDS, params, strict=True))
            record["auth_password"] = "" if record["auth_password"] == "." else record["auth_password"]
            self.held[params[0]] = {**record, "flags": 4}
        elif method == "uac.reg_unregister":
            self.held[params[1]]["flags"] = 2
        elif method == "uac.reg_remove":
            self.held.pop(params[0])
        elif method == "dispatcher.list":
            result = {"NRSETS": 1, "RECORDS": [{"SET": {"ID": 1, "TARGETS": [
                {"DEST": {"URI": f"sip:10.77.0.1{i}:5060", "FLAGS": flags, "ATTRS": {"DUID": duid}}}
                for i, (duid, flags) in enumerate(self.targets.items())]}}]}
        elif method == "dispatcher.set_duid_state":
            assert params[1] == 1
            self.targets[params[2]] = params[0].upper() + ("X" if params[0] == "d" else "")
        else:
            reply = {"jsonrpc": "2.0", "error": {"code": 500, "message": "command not found"}, "id": request["id"]}
            assert self.transport is not None
            self.transport.sendto(json.dumps(reply).encode(), addr)
            return
        assert self.transport is not None
        self.transport.sendto(json.dumps({"jsonrpc": "2.0", "result": result, "id": request["id"]}).encode(), addr)


@pytest.fixture
async def kamailio() -> AsyncIterator[tuple[FakeKamailio, KamailioRpc]]:
    loop = asyncio.get_running_loop()
    transport, fake = await loop.create_datagram_endpoint(FakeKamailio, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    yield fake, KamailioRpc("127.0.0.1", port, timeout=0.5)
    transport.close()


async def test_the_entry_is_kept_equal_to_the_store_and_a_gone_trunk_unregisters_before_removal(
    kamailio: tuple[FakeKamailio, KamailioRpc]
) -> None:
    fake, rpc = kamailio
    entry = SipEntry(rpc, "10.77.0.1:5060", leave_seconds=0.2)
    want = wanted(ROWS, {"trunk_a": "s3cret"})
    assert await entry.apply(want) == {"trunk_a": "registered"}
    assert fake.held["trunk_a"]["auth_password"] == "s3cret"
    fake.calls.clear()
    await entry.apply(want)
    assert fake.calls == ["uac.reg_dump"], "an unchanged registration was touched"

    assert await entry.apply({}) == {"trunk_a": "unregistered"}  # REGISTER expires 0 sent, record kept
    assert "trunk_a" in fake.held and fake.calls[-2] == "uac.reg_unregister"
    await entry.apply({})
    assert "trunk_a" in fake.held, "removed before its unregistration could be challenged"
    await asyncio.sleep(0.25)
    assert await entry.apply({}) == {}
    assert fake.held == {} and fake.calls.count("uac.reg_unregister") == 1


async def test_rpc_errors_and_silence_are_rpc_errors(kamailio: tuple[FakeKamailio, KamailioRpc]) -> None:
    fake, rpc = kamailio
    with pytest.raises(RpcError, match="command not found"):
        await rpc.call("uac.reg_nonsense")
    fake.silent = True
    with pytest.raises(RpcError, match="no answer"):
        await rpc.call("uac.reg_dump")


def test_the_sip_entry_settings_come_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEDOCK_SIP_ENTRY", "10.77.0.1:5060")
    with pytest.raises(SettingsError, match="together"):
        Settings.from_env()
    monkeypatch.setenv("VOICEDOCK_SIP_ENTRY_RPC", "10.77.0.1:5062")
    settings = Settings.from_env()
    entry = sip_entry(settings)
    assert entry is not None and (entry.rpc.host, entry.rpc.port) == ("10.77.0.1", 5062)
    assert entry.address == "10.77.0.1:5060"
    monkeypatch.setenv("VOICEDOCK_SIP_ENTRY_RPC", "10.77.0.1")
    with pytest.raises(SettingsError, match="host:port"):
        Settings.from_env()
    monkeypatch.delenv("VOICEDOCK_SIP_ENTRY")
    monkeypatch.delenv("VOICEDOCK_SIP_ENTRY_RPC")
    assert sip_entry(Settings.from_env()) is None


class FakeAmi:
    def __init__(self) -> None:
        self.reloads = 0

    async def reload(self) -> None:
        self.reloads += 1

    async def registrations(self) -> dict[str, str]:
        return {}


async def test_a_trunk_file_written_by_another_node_is_still_loaded_here(tmp_path: Path, store: Database) -> None:
    """Nodes share the include file: the node whose API changed a trunk writes it, and every other
    node's Asterisk must load it too, though the file no longer changes when they sync."""
    box = SecretBox(tmp_path / "secret.key")
    store.write_sync(lambda d: records.create_trunk(d, box, {"name": "A", "host": "10.0.0.9", "port": 5060,
                                                             "transport": "udp", "codecs": ["ulaw"]}))
    root = tmp_path / "root"
    asterisk = AsteriskSettings(root=root)
    assert asterisk.trunks_file is not None
    asterisk.trunks_file.parent.mkdir(parents=True)
    writer, other = TrunkSync(asterisk, store, box), TrunkSync(asterisk, store, box)
    writer.ami, other.ami = FakeAmi(), FakeAmi()  # type: ignore[assignment]
    await writer.sync()
    await other.sync()
    assert (writer.ami.reloads, other.ami.reloads) == (1, 1)  # type: ignore[attr-defined]
    await other.sync()
    assert other.ami.reloads == 1, "reloaded with nothing new"  # type: ignore[attr-defined]


async def test_nodes_not_up_are_disabled_at_the_dispatcher_and_enabled_when_up_again(
    kamailio: tuple[FakeKamailio, KamailioRpc], store: Database
) -> None:
    """The probes ask Asterisk, which answers while the server beside it is dead: the store's node
    states, passed on by the heartbeat, take such a node out of the dispatcher and put it back."""
    fake, rpc = kamailio
    entry = SipEntry(rpc, "10.77.0.1:5060")

    def node(ident: str, status: str) -> Node:
        return Node(ident, status, 0, 1, "2026-01-01T00:00:00Z")

    changed = await entry.apply_nodes([node("node-1", "up"), node("node-2", "failed"), node("node-3", "stopped")])
    assert changed == [("d", "node-2")]  # node-3 has no target; node-9 is not in the store: left alone
    assert fake.targets == {"node-1": "AP", "node-2": "DX", "node-9": "AP"}
    assert await entry.apply_nodes([node("node-1", "stopped"), node("node-2", "failed")]) == [("d", "node-1")]
    assert await entry.apply_nodes([node("node-1", "up"), node("node-2", "up")]) == [("ap", "node-1"), ("ap", "node-2")]
    assert fake.targets == {"node-1": "AP", "node-2": "AP", "node-9": "AP"}

    seen: list[list[str]] = []

    async def watch(nodes: list[Node]) -> None:
        seen.append([n.status for n in nodes])
        raise RpcError("the SIP entry is down")

    beat = NodeHeartbeat(store, "node-1", 1, 0.0, timeout=15.0, poke=lambda: None, watch=watch)
    assert await beat.run_once() == []  # a watch that fails does not stop the heartbeat
    assert seen == [["up"]]
