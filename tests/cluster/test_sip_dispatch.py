"""Two nodes (Asterisk + `voicedock serve` each, in network namespaces of their own, on one PostgreSQL
store) behind Kamailio, placed by `scripts/cluster` as `VOICEDOCK_NODES=2 scripts/run` does: real SIP
callers dial the one address, the calls spread over both nodes (each record names its node), a node
whose Asterisk stops gets no new calls within seconds while the other answers them all, and the node
rejoins once its Asterisk is back. A command sent to the node that does not carry a call reaches the one
that does; a node whose server is killed mid-call has its call closed by the other, the call's webhooks
delivered, its new calls answered by the other, and rejoins once its server is back."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.store_backends import PostgresServer
from tests.telephony.audio import dominant_hz, read_wav, tone, write_wav
from tests.telephony.callers import BaresipCall, dial, listen
from tests.telephony.harness import NUMBER, add_assistant, add_number, calls
from tests.telephony.harness import call as call_of
from voicedock.secrets import SecretBox, generate_api_key
from voicedock.store import Database, records
from voicedock.store.nodes import list_nodes
from voicedock.store.postgres import PostgresDatabase
from voicedock_bench.ports import free_port

pytestmark = [pytest.mark.asterisk, pytest.mark.cluster]

REPO = Path(__file__).resolve().parents[2]
CLUSTER = REPO / "scripts" / "cluster"
NODES = 2
SIP_PORT = 5070  # not 5060: the single-node tests' Asterisk may hold 127.0.0.1:5060 in the same namespace
# Names and a subnet of their own: a cluster of `scripts/run` may be up on this machine too.
RPC_PORT = 5063  # Kamailio's JSON-RPC on the nodes' network
ENV = {**os.environ, "VOICEDOCK_CLUSTER_PREFIX": "vdt", "VOICEDOCK_CLUSTER_SUBNET": "10.78.0",
       "VOICEDOCK_CLUSTER_SIP_PORT": str(SIP_PORT), "VOICEDOCK_RTPENGINE_PORT": "2224",
       "VOICEDOCK_CLUSTER_RPC_PORT": str(RPC_PORT)}
URI = f"sip:{NUMBER}@127.0.0.1:{SIP_PORT}"
NODE_TIMEOUT = 3  # seconds a node's heartbeat may be missing before the other closes its calls
CAPACITY = 2  # calls at once per node
WEBHOOK_EVENTS = ["status-update", "end-of-call-report"]


def cluster(*args: str, timeout: float = 120) -> str:
    done = subprocess.run([str(CLUSTER), *args], env=ENV, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"scripts/cluster {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def stop_process(process: subprocess.Popen[bytes], seconds: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `seconds`."""
    process.terminate()
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Node:
    index: int
    address: str
    entry: str  # Kamailio's address on the nodes' network
    data_dir: Path
    store: Database
    store_url: str
    server: subprocess.Popen[bytes] | None = None

    @property
    def id(self) -> str:
        return f"node-{self.index}"

    def start_server(self) -> None:
        """`voicedock serve` of this node, in its namespace, with the echo session."""
        log = (self.data_dir.parent / f"{self.id}-server.log").open("ab")
        self.server = subprocess.Popen(
            [str(CLUSTER), "exec", str(self.index), sys.executable, "-m", "voicedock_cli.main", "serve",
             "--session", "echo", "--host", self.address, "--port", "8000", "--data-dir", str(self.data_dir)],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
            env={**ENV, "VOICEDOCK_NODE_ID": self.id, "VOICEDOCK_DATABASE_URL": self.store_url,
                 "VOICEDOCK_NODE_TIMEOUT_SECONDS": str(NODE_TIMEOUT), "VOICEDOCK_CALL_CAPACITY": str(CAPACITY),
                 "VOICEDOCK_SIP_ENTRY": f"{self.entry}:{SIP_PORT}", "VOICEDOCK_SIP_ENTRY_RPC": f"{self.entry}:{RPC_PORT}"})

    def ari_connected(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.address}:8000/api/v1/health", timeout=1) as resp:
                body = json.loads(resp.read())
        except OSError as err:
            body = json.loads(err.read()) if hasattr(err, "read") else {}
        return bool(body.get("checks", {}).get("asterisk", {}).get("ari") == "connected")

    def stop_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            stop_process(self.server, 20)

    def call_count(self) -> int:
        """Ended calls whose record names this node."""
        return len([c for c in calls(self.store) if c["status"] == "ended" and c["node"] == self.id])


def wait_until(check: object, seconds: float, what: str, every: float = 0.2) -> float:
    """Poll `check()` until true; returns the seconds it took."""
    start = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - start > seconds:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(every)
    return time.monotonic() - start


def dispatcher_uri(run_dir: Path, address: str) -> str:
    """The dispatcher's target for the node at `address` (sip:address:port)."""
    return next(line.split("URI:", 1)[1].strip() for line in cluster("status", str(run_dir)).splitlines()
                if line.strip().startswith(f"URI: sip:{address}:"))


def node_flags(run_dir: Path) -> dict[str, str]:
    """The dispatcher's flags by node address (AP: active, IP: inactive and probing)."""
    flags: dict[str, str] = {}
    uri = ""
    for line in cluster("status", str(run_dir)).splitlines():
        line = line.strip()
        if line.startswith("URI:"):
            uri = line.split("sip:")[1].split(":")[0]
        elif line.startswith("FLAGS:") and uri:
            flags[uri] = line.split(":", 1)[1].strip()
    return flags


def socket_url(server: PostgresServer, tcp_url: str) -> str:
    """The database at `tcp_url` through the server's socket: a file, which the nodes reach from their
    network namespaces (its TCP port is on the test namespace's 127.0.0.1)."""
    socket = next(Path(tempfile.gettempdir()).glob(f"voicedock-pg-*/.s.PGSQL.{server.port}"))
    return f"postgresql://{server.user}@/{tcp_url.rsplit('/', 1)[1]}?host={socket.parent}&port={server.port}"


@dataclass
class Hooks:
    """A webhook receiver on the bridge address the nodes reach (not this namespace's 127.0.0.1)."""

    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def serve(self, address: str) -> ThreadingHTTPServer:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer((address, 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://{address}:{server.server_address[1]}/hooks"
        return server

    def events(self, call_id: str) -> list[str]:
        return [m["message"]["type"] for m in list(self.received) if m["message"]["call"]["id"] == call_id]


@dataclass
class Cluster:
    nodes: list[Node]
    hooks: Hooks
    api_key: str


@pytest.fixture(scope="module")
def cluster_up(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[Cluster]:
    if os.geteuid() != 0:
        pytest.skip("a cluster needs root (network namespaces, Asterisk's chroot)")
    base = tmp_path_factory.mktemp("cluster")
    run_dir = base / "run"
    install = subprocess.run([str(REPO / "scripts" / "install-asterisk"), "--with-test-callers"],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr
    tcp_url = postgres_server.new_database()
    store = PostgresDatabase(tcp_url)
    store.migrate_sync()
    api_key = generate_api_key()
    store.write_sync(lambda d: records.create_api_key(d, "cluster tests", api_key))
    box = SecretBox(base / "secret.key")  # one key for every node, as scripts/cluster serve gives them
    cluster("up", str(NODES), str(run_dir))
    hooks, receiver = Hooks(), None
    entry = cluster("address", "0").strip()
    made = [Node(i, cluster("address", str(i)).strip(), entry, base / f"node-{i}", store,
                 socket_url(postgres_server, tcp_url)) for i in range(1, NODES + 1)]
    try:
        receiver = hooks.serve(entry)
        add_number(store, add_assistant(store, box=box, webhook_url=hooks.url, webhook_events=WEBHOOK_EVENTS))
        for node in made:
            node.data_dir.mkdir(mode=0o700)
            shutil.copy2(base / "secret.key", node.data_dir / "secret.key")
            node.start_server()
        for node in made:
            wait_until(node.ari_connected, 60, f"{node.id}'s server and its ARI connection")
        yield Cluster(made, hooks, api_key)
    finally:
        for node in made:
            node.stop_server()
        if receiver is not None:
            receiver.shutdown()
        cluster("down", str(NODES), str(run_dir))
        store.close()


@pytest.fixture
def nodes(cluster_up: Cluster) -> list[Node]:
    return cluster_up.nodes


@pytest.fixture
def run_dir(nodes: list[Node]) -> Path:
    return nodes[0].data_dir.parent / "run"


def caller_source(workdir: Path, seconds: int = 2) -> Path:
    workdir.mkdir(parents=True)
    write_wav(workdir / "caller.wav", tone(440.0, seconds + 2.0))
    return workdir / "caller.wav"


async def finished_call(workdir: Path, uri: str, seconds: int, wait: float | None = None) -> BaresipCall:
    """A caller that dials `uri`, plays `workdir`/caller.wav for `seconds` and hangs up, once it is
    done (or after `wait` seconds, `seconds` + 20 unless given)."""
    caller = await dial(workdir / "baresip", workdir / "caller.wav", uri, seconds=seconds)
    try:
        await asyncio.wait_for(caller.process.wait(), seconds + 20 if wait is None else wait)
    finally:
        await caller.stop()
    return caller


async def call_once(workdir: Path, seconds: int = 2, uri: str = URI) -> Path:
    """A caller that dials the cluster's one address (or `uri`), plays 440 Hz for `seconds` and hangs
    up; the WAV of what it heard."""
    caller = await finished_call(workdir, uri, seconds)
    assert caller.heard_wav is not None, f"the call was not answered:\n{caller.log[-2000:]}"
    return caller.heard_wav


def place_call(workdir: Path) -> Path:
    caller_source(workdir)
    return asyncio.run(call_once(workdir))


def calls_together(workdirs: list[Path], seconds: int) -> None:
    for workdir in workdirs:
        caller_source(workdir, seconds)
    asyncio.run(_together(workdirs, seconds))


async def _together(workdirs: list[Path], seconds: int) -> None:
    await asyncio.gather(*(call_once(w, seconds) for w in workdirs))


def counts(nodes: list[Node]) -> list[int]:
    return [node.call_count() for node in nodes]


def calls_in_a_row(nodes: list[Node], workdir: Path, how_many: int) -> list[int]:
    """Place `how_many` calls one after the other; the new ended calls per node."""
    before = counts(nodes)
    for k in range(how_many):
        place_call(workdir / f"call-{k}")
    wait_until(lambda: sum(counts(nodes)) - sum(before) == how_many, 15, "every call's record to end")
    return [after - was for after, was in zip(counts(nodes), before, strict=True)]


def test_six_calls_in_a_row_are_all_answered_and_spread_over_both_nodes(nodes: list[Node], tmp_path: Path) -> None:
    before = sum(counts(nodes))
    heard, rate = read_wav(place_call(tmp_path / "first"))
    assert abs(dominant_hz(heard[rate // 2:], rate) - 440.0) < 15, "no echo: media did not pass the relay"
    # its record may end after the caller hung up: counted before the six, not among them
    wait_until(lambda: sum(counts(nodes)) == before + 1, 15, "the first call's record to end")
    spread = calls_in_a_row(nodes, tmp_path, 6)
    assert spread == [3, 3], f"calls per node: {spread}"


def test_a_node_whose_asterisk_stops_gets_no_new_calls_and_rejoins_when_back(
    nodes: list[Node], run_dir: Path, tmp_path: Path
) -> None:
    survivor, lost = nodes
    cluster("asterisk", "stop", str(lost.index))
    detected = wait_until(lambda: "I" in node_flags(run_dir).get(lost.address, ""), 10, "the node marked inactive")
    print(f"node marked inactive {detected:.1f} s after its Asterisk stopped")
    spread = calls_in_a_row(nodes, tmp_path / "one-node", 3)
    assert spread == [3, 0], f"calls per node with {lost.id} down: {spread}"

    cluster("asterisk", "start", str(lost.index))
    back = wait_until(lambda: "A" in node_flags(run_dir).get(lost.address, "") and lost.ari_connected(), 20,
                      "the node active again")
    print(f"node active again {back:.1f} s after its Asterisk started")
    spread = calls_in_a_row(nodes, tmp_path / "rejoined", 2)
    assert spread == [1, 1], f"calls per node after {lost.id} rejoined: {spread}"
    assert survivor.server is not None and survivor.server.poll() is None


def test_a_call_sent_to_a_node_that_just_died_is_answered_by_the_other(
    nodes: list[Node], run_dir: Path, tmp_path: Path
) -> None:
    """A node whose Asterisk stopped before any probe noticed (probes paused here, so the dispatcher
    still takes it for active): of two calls placed at once one is sent there, and goes on to the
    other node, which answers both."""
    lost = nodes[1]
    wait_until(lambda: all("A" in f for f in node_flags(run_dir).values()), 20, "both nodes active")
    log = run_dir / "kamailio.log"
    failovers = log.read_text(errors="replace").count("trying the next")
    before = counts(nodes)
    cluster("rpc", str(run_dir), "dispatcher.ping_active", "0")
    cluster("asterisk", "stop", str(lost.index))
    try:
        assert "A" in node_flags(run_dir)[lost.address]
        started = time.monotonic()
        calls_together([tmp_path / "a", tmp_path / "b"], seconds=5)  # the failover alone takes 2 s
        took = time.monotonic() - started
        wait_until(lambda: sum(counts(nodes)) - sum(before) == 2, 15, "both calls' records to end")
        spread = [after - was for after, was in zip(counts(nodes), before, strict=True)]
        assert spread == [2, 0], f"calls per node: {spread}"
        assert log.read_text(errors="replace").count("trying the next") == failovers + 1, "no call failed over"
        print(f"two calls at once, one failed over, both ended in {took:.1f} s")
    finally:
        cluster("rpc", str(run_dir), "dispatcher.ping_active", "1")
        cluster("asterisk", "start", str(lost.index))
        wait_until(lost.ari_connected, 20, "the node's server reconnected")


def test_a_full_node_hands_a_call_to_a_node_with_a_free_line_and_the_last_one_says_busy(
    nodes: list[Node], run_dir: Path, tmp_path: Path
) -> None:
    """Node-1's two lines taken (node-2 held inactive meanwhile), then node-2's: calls that reach a full
    node while another has a free line are answered there, and with every line taken a call is
    refused with the busy message by one node, leaving one `rejected`/`capacity` record, not one per
    node it was tried on."""
    store = nodes[0].store
    first, second = nodes
    wait_until(lambda: all("A" in f for f in node_flags(run_dir).values()), 20, "both nodes active")
    log = run_dir / "kamailio.log"
    handed_back = log.read_text(errors="replace").count("is full for call")
    before = {c["id"] for c in calls(store)}

    def live_on(node: Node) -> int:
        return len([c for c in calls(store) if c["status"] == "in-progress" and c["node"] == node.id])

    async def scenario() -> Path:
        callers = []
        target = dispatcher_uri(run_dir, second.address)
        cluster("rpc", str(run_dir), "dispatcher.ping_active", "0")
        cluster("rpc", str(run_dir), "dispatcher.set_state", "i", "1", target)
        try:
            for k in range(CAPACITY):
                caller_source(tmp_path / f"first-{k}", 20)
                callers.append(await dial(tmp_path / f"first-{k}" / "baresip", tmp_path / f"first-{k}" / "caller.wav",
                                          URI, seconds=20))
            await asyncio.to_thread(wait_until, lambda: live_on(first) == CAPACITY, 15, "node-1's lines all taken")
        finally:
            cluster("rpc", str(run_dir), "dispatcher.set_state", "a", "1", target)
            cluster("rpc", str(run_dir), "dispatcher.ping_active", "1")
        try:
            for k in range(CAPACITY):  # round-robin sends one or both to the full node-1 first
                caller_source(tmp_path / f"second-{k}", 20)
                callers.append(await dial(tmp_path / f"second-{k}" / "baresip",
                                          tmp_path / f"second-{k}" / "caller.wav", URI, seconds=20))
            await asyncio.to_thread(wait_until, lambda: live_on(second) == CAPACITY, 15, "node-2's lines all taken")
            assert live_on(first) == CAPACITY
            caller_source(tmp_path / "one-too-many")
            return await call_once(tmp_path / "one-too-many")
        finally:
            for caller in callers:
                await caller.stop()

    heard, rate = read_wav(asyncio.run(scenario()))
    text = log.read_text(errors="replace")
    assert text.count("is full for call") - handed_back >= CAPACITY, "no node handed a call back"
    assert "every node is full for call" in text
    new = [c for c in calls(store) if c["id"] not in before]
    refused = [c for c in new if c["status"] == "rejected"]
    assert [c["ended_reason"] for c in refused] == ["capacity"], [(c["node"], c["status"]) for c in new]
    assert len(new) == 2 * CAPACITY + 1, "a node kept a record of a call it handed back"
    assert abs(dominant_hz(heard[rate // 2:], rate) - 440.0) > 15, "the call past every line was answered"


def api_post(node: Node, path: str, body: dict[str, Any] | None, key: str, method: str = "POST") -> tuple[int, Any]:
    request = urllib.request.Request(f"http://{node.address}:8000/api/v1{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as resp:
            data = resp.read()
            return resp.status, json.loads(data) if data else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def live_call(store: Database) -> dict[str, Any] | None:
    return next((c for c in calls(store) if c["status"] == "in-progress"), None)


def node_status(store: Database, node: Node) -> str:
    return next(n.status for n in store.read_sync(list_nodes) if n.id == node.id)


def test_control_reaches_the_owner_and_a_killed_server_s_call_is_closed_by_the_other_node(
    cluster_up: Cluster, run_dir: Path, tmp_path: Path
) -> None:
    """A live call on one node: `say` sent to the other node is spoken on the call. Then the owner's
    server is killed (SIGKILL, nothing restarts it): the other node closes the call `node-failure`, its
    end-of-call report is delivered, and the node is disabled at Kamailio, though its Asterisk still
    answers the probes; new calls all go to the survivor, none tried on the dead node; the server
    started again makes its node active again and it takes calls again."""
    nodes, hooks = cluster_up.nodes, cluster_up.hooks
    store = nodes[0].store
    wait_until(lambda: all("A" in f for f in node_flags(run_dir).values()), 20, "both nodes active")
    workdir = tmp_path / "long"
    caller_source(workdir, seconds=30)

    async def long_call() -> tuple[dict[str, Any], float]:
        caller = await dial(workdir / "baresip", workdir / "caller.wav", URI, seconds=30)
        try:
            await asyncio.to_thread(wait_until, lambda: live_call(store) is not None, 10, "the call answered")
            row = live_call(store)
            assert row is not None
            owner = next(n for n in nodes if n.id == row["node"])
            other = next(n for n in nodes if n is not owner)
            said = "said through the other node"
            status, body = await asyncio.to_thread(
                api_post, other, f"/calls/{row['id']}/control", {"type": "say", "content": said},
                cluster_up.api_key)
            assert status == 200, body
            await asyncio.to_thread(wait_until, lambda: any(
                m["role"] == "assistant" and m["content"] == said for m in call_of(store, row["id"])["messages"]),
                5, "the said message on the owner's record")
            assert owner.server is not None
            os.kill(owner.server.pid, signal.SIGKILL)
            killed = time.monotonic()
            owner.server.wait()
            closed = await asyncio.to_thread(wait_until, lambda: call_of(store, row["id"])["status"] == "ended",
                                             NODE_TIMEOUT + 10, "the killed node's call closed")
            reported = await asyncio.to_thread(wait_until, lambda: "end-of-call-report" in hooks.events(row["id"]),
                                               10, "the end-of-call report delivered")
            print(f"call closed {closed:.1f} s after the kill, report delivered {reported:.1f} s after that "
                  f"({time.monotonic() - killed:.1f} s in all)")
            return row, killed
        finally:
            await caller.stop()

    row, _ = asyncio.run(long_call())
    done = call_of(store, row["id"])
    owner = next(n for n in nodes if n.id == row["node"])
    survivor = next(n for n in nodes if n is not owner)
    assert done["ended_reason"] == "node-failure" and done["node"] == owner.id
    assert hooks.events(row["id"]).count("end-of-call-report") == 1
    assert node_status(store, owner) == "failed"

    # The owner's Asterisk still answers Kamailio's probes; the store's `failed` takes it out of the dispatcher.
    disabled = wait_until(lambda: node_flags(run_dir)[owner.address].startswith("D"), 10,
                          f"{owner.id} disabled at Kamailio")
    print(f"{owner.id} disabled at Kamailio {disabled:.1f} s after its call was closed")
    log = run_dir / "kamailio.log"
    failovers = log.read_text(errors="replace").count("trying the next")
    before = counts(nodes)
    started = time.monotonic()
    for k in range(2):
        place_call(tmp_path / f"after-kill-{k}")
    wait_until(lambda: sum(counts(nodes)) - sum(before) == 2, 15, "both calls' records to end")
    took = time.monotonic() - started
    new = {n.id: after - was for n, after, was in zip(nodes, counts(nodes), before, strict=True)}
    assert new == {survivor.id: 2, owner.id: 0}, f"calls per node with {owner.id}'s server dead: {new}"
    assert log.read_text(errors="replace").count("trying the next") == failovers, "a call was sent to the dead node"
    print(f"two calls with {owner.id}'s server dead, both answered by {survivor.id} in {took:.1f} s")

    owner.start_server()
    back = wait_until(lambda: owner.ari_connected() and node_status(store, owner) == "up"
                      and node_flags(run_dir)[owner.address].startswith("A"), 60,
                      f"{owner.id}'s server back, up and active at Kamailio")
    print(f"{owner.id} up again {back:.1f} s after its server started")
    spread = calls_in_a_row(nodes, tmp_path / "rejoined", 2)
    assert spread == [1, 1], f"calls per node after {owner.id}'s server came back: {spread}"


CARRIER_PORT = 5074
DID = "+15550142"
TRUNK_USER, TRUNK_PASSWORD = "voicedock-acct", "carrier-secret"


@dataclass
class Carrier:
    log: Path
    process: subprocess.Popen[bytes]

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, 10)


def start_carrier(workdir: Path, customer_port: int) -> Carrier:
    """The carrier stand-in (tests/cluster/carrier.cfg.in) on 127.0.0.1:CARRIER_PORT."""
    workdir.mkdir(parents=True)
    module_dir = next(Path("/usr/lib").glob("*/kamailio/modules/registrar.so")).parent
    text = (Path(__file__).parent / "carrier.cfg.in").read_text()
    for key, value in {"PORT": str(CARRIER_PORT), "MODULE_DIR": str(module_dir), "USER": TRUNK_USER,
                       "PASSWORD": TRUNK_PASSWORD, "DID": DID, "CUSTOMER": f"127.0.0.1:{customer_port}"}.items():
        text = text.replace(f"@{key}@", value)
    (workdir / "carrier.cfg").write_text(text)
    log = workdir / "carrier.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["kamailio", "-f", str(workdir / "carrier.cfg"), "-DD", "-E", "-Y", str(workdir)],
                                   stdout=out, stderr=subprocess.STDOUT)
    carrier = Carrier(log, process)
    wait_until(lambda: process.poll() is None and f":{CARRIER_PORT:04X} " in Path("/proc/net/udp").read_text(),
               10, "the carrier listening")
    return carrier


def held_registrations(run_dir: Path) -> list[str]:
    """The trunk ids Kamailio registers (uac.reg_dump)."""
    return [line.split(":", 1)[1].strip() for line in cluster("rpc", str(run_dir), "uac.reg_dump").splitlines()
            if line.strip().startswith("l_uuid:")]


def registration(node: Node, trunk_id: str, key: str) -> str | None:
    status, body = api_post(node, f"/sip-trunks/{trunk_id}", None, key, method="GET")
    assert status == 200, body
    return (body["sip_trunk"]["registration"] or {}).get("status")


def test_a_trunk_registers_from_kamailio_and_carries_calls_both_ways(
    cluster_up: Cluster, run_dir: Path, tmp_path: Path
) -> None:
    """A trunk created through one node's API registers once, from Kamailio's address (the carrier
    never sees a node's); a customer dialing the trunk's number at the carrier reaches a node's
    assistant; a call placed out through the trunk leaves through Kamailio, answers the carrier's
    challenge and reaches the customer; the other node's Asterisk takes the trunk up too; deleting
    the trunk unregisters it, so the carrier delivers no more calls to its number."""
    nodes, key = cluster_up.nodes, cluster_up.api_key
    customer_port = free_port("udp")
    carrier = start_carrier(tmp_path / "carrier", customer_port)
    trunk_id = number_id = ""
    try:
        status, body = api_post(nodes[0], "/sip-trunks", {
            "name": "Carrier", "host": "127.0.0.1", "port": CARRIER_PORT, "username": TRUNK_USER,
            "password": TRUNK_PASSWORD, "register": True}, key)
        assert status == 201, body
        trunk_id = body["sip_trunk"]["id"]
        status, body = api_post(nodes[0], "/numbers", {"phone_number": DID, "assistant_id": "asst_test",
                                                      "sip_trunk_id": trunk_id}, key)
        assert status == 201, body
        number_id = body["number"]["id"]
        took = wait_until(lambda: f"REGISTER {TRUNK_USER} from 127.0.0.1:{SIP_PORT}" in carrier.text(), 20,
                          "the trunk registered at the carrier")
        print(f"trunk registered at the carrier {took:.1f} s after it was created")
        assert held_registrations(run_dir) == [trunk_id]
        wait_until(lambda: registration(nodes[0], trunk_id, key) == "registered", 30, "the trunk reported registered",
                   every=1.0)
        for node in nodes:
            assert f"from {node.address}" not in carrier.text(), "a node reached the carrier itself"

        # A customer dials the number at the carrier: the carrier sends it to Kamailio's contact.
        before = counts(nodes)
        workdir = tmp_path / "customer-calls"
        caller_source(workdir)
        caller = asyncio.run(call_once(workdir, uri=f"sip:{DID}@127.0.0.1:{CARRIER_PORT}"))
        heard, rate = read_wav(caller)
        assert abs(dominant_hz(heard[rate // 2:], rate) - 440.0) < 15, "the call through the carrier was not answered"
        wait_until(lambda: sum(counts(nodes)) - sum(before) == 1, 15, "the call's record to end")
        assert f"call to {DID} delivered" in carrier.text()

        # Out through the trunk, from the node that did not create it once its Asterisk has it.
        wait_until(lambda: registration(nodes[1], trunk_id, key) == "registered", 30,
                   "the other node to take the trunk up", every=1.0)
        (tmp_path / "customer").mkdir()
        write_wav(tmp_path / "customer" / "customer.wav", tone(660.0, 8.0))
        heard_out = asyncio.run(call_out(nodes[1], key, trunk_id, tmp_path / "customer", customer_port))
        heard, rate = read_wav(heard_out)
        assert abs(dominant_hz(heard[rate:], rate) - 660.0) < 20, "the customer did not hear the call's echo"
        text = carrier.text()
        assert f"call from {TRUNK_USER} at 127.0.0.1:{SIP_PORT} to +15550999" in text, text[-2000:]

        assert api_post(nodes[0], f"/numbers/{number_id}", None, key, method="DELETE")[0] == 200
        assert api_post(nodes[0], f"/sip-trunks/{trunk_id}", None, key, method="DELETE")[0] == 200
        trunk_id = ""
        wait_until(lambda: "expires 0" in carrier.text() or "expires=0" in carrier.text(), 10,
                   "the carrier told the registration is gone")
        wait_until(lambda: held_registrations(run_dir) == [], 25, "Kamailio to drop the registration", every=1.0)
        caller_source(tmp_path / "after-delete")
        refused = asyncio.run(dial_refused(tmp_path / "after-delete", f"sip:{DID}@127.0.0.1:{CARRIER_PORT}"))
        assert refused, "the carrier still delivered the deleted trunk's calls"
    finally:
        if trunk_id:  # the other tests' calls must not meet this number or its registration
            if number_id:
                api_post(nodes[0], f"/numbers/{number_id}", None, key, method="DELETE")
            api_post(nodes[0], f"/sip-trunks/{trunk_id}", None, key, method="DELETE")
        carrier.stop()


async def dial_refused(workdir: Path, uri: str) -> bool:
    """True when a call to `uri` ends unanswered (the carrier has no contact for the number)."""
    return (await finished_call(workdir, uri, seconds=2, wait=20)).heard_wav is None


async def call_out(node: Node, key: str, trunk_id: str, workdir: Path, port: int) -> Path:
    """`POST /calls` through the trunk to a customer (baresip answering on `port`, playing
    `workdir`/customer.wav); what the customer heard."""
    customer = await listen(workdir / "baresip", workdir / "customer.wav", port, seconds=6, user="+15550999")
    try:
        status, body = await asyncio.to_thread(api_post, node, "/calls", {
            "assistant_id": "asst_test", "customer": {"number": "+15550999"}, "sip_trunk_id": trunk_id}, key)
        assert status == 201, body
        await asyncio.wait_for(customer.process.wait(), 30)
    finally:
        await customer.stop()
    assert customer.heard_wav is not None, f"the customer was not reached:\n{customer.log[-2000:]}"
    return customer.heard_wav
