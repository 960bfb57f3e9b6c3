"""The call controller: the `Telephony` implementation that owns every call on this node.

One dispatcher reads the ARI event stream and only routes: waiters for our own channels first
(`StasisStarts.feed`), then each event to its call's queue, so no call can stall another. After
the websocket comes back, calls are reconciled with `GET /channels` and `GET /bridges`, because
events sent while it was down are lost for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from functools import partial
from typing import Any

from voicedock.admission import CAPACITY_REASON, Admission, WaitingLine
from voicedock.config import Settings
from voicedock.conversation.analysis import Analyser
from voicedock.conversation.base import SessionFactory
from voicedock.ids import new_id
from voicedock.metrics import Metrics
from voicedock.schemas.calls import CallCreate
from voicedock.secrets import SecretBox
from voicedock.store import Database, call_state, lost_calls
from voicedock.store import calls as store_calls
from voicedock.store.call_state import CallRecord
from voicedock.tasks import TaskSet, cancel_and_wait
from voicedock.telephony import ControlCommand, TelephonyError
from voicedock.webhooks import DeliveryWorker, WebhookClient

from .ari.client import AriClient
from .ari.errors import AriError, AriNotFound
from .ari.events import (
    Connected,
    Event,
    PlaybackFinished,
    PlaybackStarted,
    StasisStart,
)
from .ari.events_stream import EventStream
from .call_deps import CallDeps
from .call_media import StasisStarts
from .dialing import dial_string, outbound_plan, trunk_for
from .live_call import LiveCall
from .recovery import APOLOGY, Recovery, close_lost, decide, plan_resumption
from .routing import may_hand_back
from .sessions import session_factory as placeholder_sessions
from .settings import AsteriskSettings
from .sip_entry import sip_entry
from .trunk_sync import TrunkSync

ANALYSIS_SECONDS = 120.0
SESSION_START_WAIT_SECONDS = 2.0  # a command to a call shown in progress whose session is starting waits this long

log = logging.getLogger("voicedock.calls")

MEDIA_PREFIX = "vd-media-"
BRIDGE_PREFIX = "vd-"
DRAINING_REASON = "server-draining"
LINE_POLL_SECONDS = 0.25  # how often a waiting caller's turn is checked; a line frees at a call's end


class CallController:
    """Start with `await start()`, stop with `await aclose()`; hand it to the API as its telephony service."""

    def __init__(
        self,
        asterisk: AsteriskSettings,
        settings: Settings,
        db: Database,
        box: SecretBox,
        *,
        webhook_worker: DeliveryWorker | None = None,
        webhook_client: WebhookClient | None = None,
        own_webhook_client: bool = False,
        session_factory: SessionFactory | None = None,
        media_format: str = "ulaw",
        metrics: Metrics | None = None,
        analyser: Analyser | None = None,
    ) -> None:
        self.asterisk = asterisk
        self.settings = settings
        self.db = db
        self.box = box
        self.worker = webhook_worker
        self.metrics = metrics or Metrics()
        self.analyser = analyser
        self.metrics.live_calls.set_function(lambda: len(self.live_calls()))
        self.admission = Admission(settings.call_capacity)
        self.metrics.call_capacity.set(self.admission.capacity)
        self.metrics.call_load.set_function(self.load)
        self.waiting = WaitingLine(settings.call_queue)
        self.metrics.calls_waiting.set_function(lambda: len(self.waiting))
        self.webhooks = webhook_client or WebhookClient(db, box)
        self._own_webhooks = webhook_client is None or own_webhook_client
        self.session_factory = session_factory or placeholder_sessions("tone")
        self.media_format = media_format
        self.ring_seconds = 30
        self.ari = AriClient(asterisk)
        self.starts = StasisStarts()
        self.events: EventStream | None = None
        self.trunks = TrunkSync(asterisk, db, box, entry=sip_entry(settings))
        self._by_channel: dict[str, LiveCall] = {}
        self._by_call: dict[str, LiveCall] = {}
        self._tasks = TaskSet()
        self._dispatcher: asyncio.Task[None] | None = None
        self._sounds: dict[str, bool] = {}
        self._closed = False
        self.draining = False  # set by drain(): new calls are refused, live ones go on

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, connect_timeout: float = 5.0) -> None:
        """Connect the event stream (waits briefly; keeps retrying in the background) and sync trunks."""
        self.events = self.ari.events()
        self.events.start()
        self._dispatcher = asyncio.create_task(self._dispatch(), name="ari-dispatch")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.events.wait_connected(), connect_timeout)
        await self.trunks.start()
        if self.analyser is not None:
            for record in await self.db.read(call_state.pending_reports):
                self.analyse_later(record)

    def analyse_later(self, record: CallRecord) -> None:
        """Analyse an ended call off the turn path, then send its end-of-call-report with the result."""
        self._tasks.spawn(self._analyse(record))

    async def _analyse(self, record: CallRecord) -> None:
        assert self.analyser is not None
        row = await self.db.read(lambda d: store_calls.get_call(d, record.call_id))
        try:
            if record.assistant is None:
                raise ValueError("the call has no assistant to analyse for")
            result = await asyncio.wait_for(
                self.analyser(record.assistant, row["messages"], row["tool_calls"]), ANALYSIS_SECONDS)
        except asyncio.CancelledError:
            raise  # shutting down: the report stays pending and is finished at the next start
        except Exception:
            log.exception("post-call analysis failed; sending the report without it",
                          extra={"call_id": record.call_id})
            result = None
        self.poke(await self.db.write(lambda d: call_state.complete_report(d, record, result)))

    async def aclose(self) -> None:
        """End live calls (error), stop reading events, close clients; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        ends = [call.request_end("failed", "error") for call in list(self._by_call.values())]
        if ends:
            await asyncio.gather(*ends, return_exceptions=True)
        await self.trunks.aclose()
        if self.events is not None:
            await self.events.aclose()
        if self._dispatcher is not None:
            await cancel_and_wait(self._dispatcher)
        self._tasks.cancel()
        if self._own_webhooks:
            await self.webhooks.aclose()
        await self.ari.aclose()

    # -- what calls get -------------------------------------------------------------------------

    def deps(self) -> CallDeps:
        """The collaborators a new call gets (the session factory as configured now)."""
        return CallDeps(
            ari=self.ari, db=self.db, webhooks=self.webhooks, starts=self.starts,
            session_factory=self.session_factory, settings=self.settings, metrics=self.metrics,
            asterisk_root=self.asterisk.root, media_format=self.media_format, analyse=self.analyser is not None,
            poke=self.poke, report_pending=self.analyse_later, forget=self.forget, has_sound=self.has_sound,
            dial_string=self.dial_string,
        )

    def poke(self, event_ids: list[str] | None) -> None:
        if event_ids and self.worker is not None:
            self.worker.poke()

    def register(self, call: LiveCall) -> None:
        self._by_channel[call.channel_id] = call
        self._by_call[call.call_id] = call

    def forget(self, call_id: str) -> None:
        call = self._by_call.pop(call_id, None)
        if call is not None:
            self._by_channel.pop(call.channel_id, None)

    async def dial_string(self, destination: str, phone_number_id: str | None) -> str:
        """Where a transfer goes: E.164 through the call's trunk, a SIP URI directly."""
        return await self.db.read(lambda d: dial_string(destination, trunk_for(d, phone_number_id, None)))

    async def has_sound(self, name: str) -> bool:
        """Whether Asterisk has this prompt installed (asked once per name)."""
        if name not in self._sounds:
            try:
                await self.ari.request("GET", f"/sounds/{name}")
                self._sounds[name] = True
            except AriNotFound:
                self._sounds[name] = False
            except AriError:
                return False
        return self._sounds[name]

    def live_calls(self) -> list[LiveCall]:
        return list(self._by_call.values())

    def load(self) -> int:
        """Calls holding a line: live, not ending, not being refused (a refusal holds none for long)."""
        return sum(1 for call in self._by_call.values() if call.holds_line and not call.ending)

    # -- events --------------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        assert self.events is not None
        async for event in self.events:
            try:
                self._route(event)
            except Exception:
                log.exception("event routing failed", extra={"event": event.type})

    def _route(self, event: Event) -> None:
        if self.starts.feed(event):
            return
        if isinstance(event, Connected):
            self._tasks.spawn(self.reconcile(missed_events=event.attempt > 0))
            return
        channel_id = event.channel_id
        if isinstance(event, PlaybackStarted | PlaybackFinished):
            target = event.playback.target_uri
            channel_id = target.split(":", 1)[1] if target.startswith("channel:") else None
        call = self._by_channel.get(channel_id) if channel_id else None
        log.debug("ari event %s channel=%s call=%s %s", event.type, channel_id, call.call_id if call else None,
                  {k: v for k, v in event.raw.items() if k in ("cause", "soft", "cause_txt", "tech_cause")})
        if call is not None:
            call.queue.put_nowait(event)
        elif isinstance(event, StasisStart) and event.args[:1] == ("inbound",):
            self._start_inbound(event)

    def _start_inbound(self, start: StasisStart) -> None:
        refuse = self._refusal()
        if refuse is not None and may_hand_back(start):
            # Another node may have a free line: refused unanswered (486), the call leaves no record here.
            self._tasks.spawn(self._hand_back(start.channel.id, refuse))
            return
        record = CallRecord(call_id=new_id("call"), direction="inbound", status="ringing",
                            caller_phone=start.channel.caller.number or None, node=self.settings.node_id)
        queued = refuse == CAPACITY_REASON and self.waiting.join(record.call_id)
        call = LiveCall(self.deps(), record, start.channel.id)
        call.holds_line = refuse is None
        self.register(call)
        call.start(call.run_inbound(start, refuse=None if queued else refuse,
                                    wait_for_line=self.wait_for_line if queued else None))

    async def _hand_back(self, channel_id: str, reason: str) -> None:
        log.info("call handed back to the SIP entry", extra={"reason": reason, "channel": channel_id})
        try:
            await self.ari.hangup(channel_id, reason="busy")
        except AriError as err:
            log.warning("a call to hand back could not be refused: %s", err)

    async def wait_for_line(self, call: LiveCall) -> bool:
        """Hold a caller past the capacity until a line is free and every caller before them has one;
        False once `queue_seconds` pass or the node drains (the caller then hears the busy message)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.queue_seconds
        try:
            while loop.time() < deadline and not self.draining:
                if self.waiting.first(call.call_id) and self.admission.admits(self.load()):
                    call.holds_line = True
                    return True
                await asyncio.sleep(LINE_POLL_SECONDS)
            return False
        finally:
            self.waiting.leave(call.call_id)

    def _refusal(self) -> str | None:
        """Why a new inbound call cannot start here, if it cannot: the node drains or is full."""
        if self.draining:
            return DRAINING_REASON
        if not self.admission.admits(self.load()) or len(self.waiting):  # no one jumps the waiting line
            return CAPACITY_REASON
        return None

    async def reconcile(self, *, missed_events: bool) -> None:
        """End calls whose channel vanished; destroy our bridges and media channels no call owns; then
        close or pick up again the calls a previous process left live (after the clean-up, so their
        old bridges, and the recordings on them, are already stopped)."""
        try:
            channels = {c.id for c in await self.ari.list_channels()}
            bridges = await self.ari.list_bridges()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("reconcile: ARI not answering", exc_info=True)
            return
        if missed_events:
            for call in self.live_calls():
                started = call.answered or call.originated or call.record.direction == "inbound"
                if started and call.channel_id not in channels:
                    log.warning("channel vanished while events were lost", extra={"call_id": call.call_id})
                    call.request_end("failed", "error")
        owned_bridges = {c.leg.bridge.id for c in self.live_calls() if c.leg is not None}
        owned_media = {c.leg.external.channel.id for c in self.live_calls() if c.leg is not None}
        for bridge in bridges:
            if bridge.name.startswith(BRIDGE_PREFIX) and bridge.id not in owned_bridges:
                with contextlib.suppress(Exception):
                    await self.ari.destroy_bridge(bridge.id)
        for channel_id in channels:
            if channel_id.startswith(MEDIA_PREFIX) and channel_id not in owned_media:
                if not self.starts_pending(channel_id):
                    with contextlib.suppress(Exception):
                        await self.ari.hangup(channel_id)
        await self._recover(channels)

    async def _recover(self, channels: set[str]) -> None:
        for lost in await self.db.read(partial(lost_calls.live_calls, node=self.settings.node_id)):
            if lost.record.call_id in self._by_call:
                continue  # a call of this process
            action = decide(lost.record, channels)
            log.warning("call left live by a previous process: %s", action.value,
                        extra={"call_id": lost.record.call_id})
            if action is Recovery.PICK_UP and lost.record.channel_id is not None:
                go_on = await plan_resumption(self.db, lost.record)
                if lost.record.call_id in self._by_call:
                    continue  # picked up meanwhile by a reconcile that ran alongside
                call = LiveCall(self.deps(), lost.record, lost.record.channel_id)
                self.register(call)
                call.start(call.resume_after_restart(go_on, APOLOGY, ("ended", lost_calls.SERVICE_RESTARTED)))
            else:
                await close_lost(self.deps(), lost, hang_up=action is Recovery.HANG_UP)

    def starts_pending(self, channel_id: str) -> bool:
        return channel_id in self.starts._waiting

    # -- Telephony -----------------------------------------------------------------------------

    def drain(self) -> None:
        """Take no new calls (inbound ones hear the busy message); calls already live go on."""
        self.draining = True

    async def start_outbound(self, request: CallCreate) -> str:
        if self.draining:
            raise TelephonyError("server_draining", "This server is draining for a restart; try another node",
                                 status=503)
        if not self.admission.admits(self.load()):
            self.metrics.calls_refused.labels(reason=CAPACITY_REASON).inc()
            raise TelephonyError("capacity_exceeded", f"This node is carrying its {self.admission.capacity} "
                                 "calls at once; try again when one has ended, or another node", status=429)
        plan = await self.db.read(lambda d: outbound_plan(d, request))
        record = CallRecord(
            call_id=new_id("call"), direction="outbound", assistant=plan.assistant,
            assistant_id=plan.assistant_id, phone_number_id=plan.phone_number_id, agent_phone=plan.agent_phone,
            caller_phone=plan.customer, channel_id=f"vd-call-{uuid.uuid4()}", node=self.settings.node_id,
        )
        await self.db.write(lambda d: call_state.create(d, record, plan.metadata))
        call = LiveCall(self.deps(), record, record.channel_id or "", metadata=dict(plan.metadata))
        self.register(call)
        call.start(self._originate(call, plan.endpoint, plan.agent_phone))
        return record.call_id

    async def _originate(self, call: LiveCall, endpoint: str, caller_id: str | None) -> None:
        try:
            await self.ari.originate(endpoint, app_args="outbound", caller_id=caller_id, channel_id=call.channel_id,
                                     ring_seconds=self.ring_seconds)
            call.originated = True
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.warning("originate failed: %s", err, extra={"call_id": call.call_id})
            call.request_end("failed", "failed-to-connect")

    async def control(self, call_id: str, command: ControlCommand) -> str:
        """Hand the command to the call's session, which owns the conversation and its ending."""
        call = self._by_call.get(call_id)
        if call is None or call.ending:
            raise TelephonyError("call_not_live", f"Call {call_id} is not live on this server", status=409)
        if call.session is None and command.type != "end-call" and call.record.status == "in-progress":
            # the record says in progress a moment before the session runs: a client that saw it wait
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(call.session_started.wait(), SESSION_START_WAIT_SECONDS)
        if call.session is None:
            if command.type == "end-call":
                await call.hangup("assistant-ended-call")
                return "call ended"
            raise TelephonyError("call_not_answered", f"Call {call_id} is not answered yet", status=409)
        return await call.session.command(command)

    def is_live(self, call_id: str) -> bool:
        call = self._by_call.get(call_id)
        return call is not None and not call.ending

    async def config_changed(self) -> None:
        await self.trunks.sync()

    @property
    def sip_port(self) -> int:
        return self.asterisk.sip_port

    def health(self) -> dict[str, Any]:
        connected = self.events is not None and self.events.connected
        trunks = self.trunks.health()
        trunks_ok = all(t.get("status") not in ("rejected", "failed") for t in trunks.values())
        status = "ok" if connected and trunks_ok else ("degraded" if connected else "error")
        return {"status": status, "ari": "connected" if connected else "disconnected",
                "active_calls": len(self._by_call),
                "capacity": {**self.admission.health(self.load()), "waiting": len(self.waiting),
                             "queue": self.waiting.size},
                "trunks": trunks}
