"""One live call from its first event to its one ending: routing, media, its session, the record.

Each call has its own event queue and task, so a slow step (a webhook, a reload, a slow session
command) never delays another call. Every way a call can end (caller hang-up, the session's own
ending, max duration, lost channel, error) goes through `request_end`, whose teardown is
idempotent and never raises: "already gone" is the normal outcome of a race with the caller.
The session owns the conversation's ending (goodbyes, transfers): it asks through `CallActions`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from voicedock.admission import CAPACITY_REASON
from voicedock.assistant import WAITS_FOR_USER, CallAssistant
from voicedock.conversation.base import AudioPort, CallInfo, Dtmf, Session, SessionCommand
from voicedock.schemas.calls import EndCall, InjectContext
from voicedock.store import call_state
from voicedock.store.call_state import CallRecord
from voicedock.tasks import TaskSet, cancel_and_wait
from voicedock.timeutil import now_iso
from voicedock.voicemail.policy import VOICEMAIL, message_for_machine, screens
from voicedock.voicemail.screen import screen_answer
from voicedock.webhooks.payloads import ASSISTANT_REQUEST, assistant_request

from .ari.events import (
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    ChannelStateChange,
    Event,
    PlaybackFinished,
    StasisEnd,
    StasisStart,
)
from .call_deps import CallDeps
from .call_media import MediaLeg, connect_media
from .hold_music import hold_music
from .recording import RecordingSpool
from .recovery import Resumption
from .routing import Route, apply_assistant_reply, dialed_number, route_inbound

log = logging.getLogger("voicedock.calls")

NO_SERVICE_SOUND = "ss-noservice"
BUSY_SOUND = "all-circuits-busy-now"  # "All circuits are busy now."
REFUSAL_SOUNDS = {"server-draining": BUSY_SOUND, CAPACITY_REASON: BUSY_SOUND}  # otherwise NO_SERVICE_SOUND
BUSY_CAUSES = {17: "customer-busy", 18: "customer-did-not-answer", 19: "customer-did-not-answer",
               21: "customer-rejected-call"}


class LiveCall:
    """Implements `CallEvents` and `CallActions` for its session."""

    def __init__(self, deps: CallDeps, record: CallRecord, channel_id: str,
                 metadata: dict[str, Any] | None = None) -> None:
        self.deps = deps
        self.record = record
        self.channel_id = record.channel_id = channel_id
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.leg: MediaLeg | None = None
        self.session: Session | None = None
        self.session_started = asyncio.Event()  # set once `session` runs: commands may reach it
        self.answered = False
        self.originated = False
        self.holds_line = True  # counts against the node's capacity; False once it is being refused
        self.on_caller_hangup = ("ended", "customer-ended-call")
        self.end_as: tuple[str, str] | None = None  # overrides how a session's hang-up ends the call
        self._pipeline: asyncio.Task[None] | None = None
        self._events_task: asyncio.Task[None] | None = None
        self._finish: asyncio.Task[None] | None = None
        self._transfer_to: str | None = None
        self._recording = RecordingSpool(deps.asterisk_root, deps.settings.data_dir, record.call_id)
        self._playback_done: dict[str, asyncio.Future[None]] = {}
        self._side = TaskSet()
        self._answered_inbound = False

    @property
    def call_id(self) -> str:
        return self.record.call_id

    @property
    def ending(self) -> bool:
        return self._finish is not None

    def start(self, pipeline: Any) -> None:
        """Run the call's event handler and its pipeline coroutine (inbound or outbound) as tasks."""
        self._events_task = asyncio.create_task(self._handle_events(), name=f"call-events-{self.call_id}")
        self._pipeline = asyncio.create_task(self._guard(pipeline), name=f"call-{self.call_id}")

    async def _guard(self, pipeline: Any) -> None:
        try:
            await pipeline
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("call pipeline failed", extra={"call_id": self.call_id})
            self.request_end("failed", "error")

    # -- inbound: route, ask assistant-request, answer or reject ---------------------------------

    async def run_inbound(self, start: StasisStart, refuse: str | None = None,
                          wait_for_line: Callable[[LiveCall], Awaitable[bool]] | None = None) -> None:
        """`refuse` (the node drains, or is full) rejects the call, with its record, whatever its route.
        `wait_for_line`: the node is full but the caller may wait, answered, with music on hold."""
        dialed = dialed_number(start)
        self.record.agent_phone = dialed
        route = await self.deps.read(lambda d: route_inbound(d, dialed))
        if refuse is not None and route.reject is None:
            route = route.replace(reject=refuse)
            self.deps.metrics.calls_refused.labels(reason=refuse).inc()
        self._apply_route(route)
        await self.deps.write(lambda d: call_state.create(d, self.record))
        log.info("inbound call", extra={"call_id": self.call_id, "to": dialed, "assistant_id": route.assistant_id})
        if route.reject is None and route.assistant and ASSISTANT_REQUEST in route.assistant.webhook_events:
            reply = await self.deps.webhooks.request_assistant(
                assistant_config=route.assistant.document, assistant_id=route.assistant_id, call_id=self.call_id,
                payload=assistant_request(self.record.context()),
            )
            route = await self.deps.read(lambda d: apply_assistant_reply(d, route, reply))
            self._apply_route(route)
            await self.deps.write(lambda d: call_state.set_assistant(d, self.record))
        if route.reject is None and wait_for_line is not None and not await self._wait_for_line(wait_for_line):
            self.deps.metrics.calls_refused.labels(reason=CAPACITY_REASON).inc()
            route = route.replace(reject=CAPACITY_REASON)
        if route.reject is not None:
            await self._reject(route.reject, route.message)
            return
        await self._answer_inbound()
        await self.converse()

    async def _answer_inbound(self) -> None:
        """Answer the caller's channel once: one who waited for a line was answered then."""
        if not self._answered_inbound:
            await self.deps.ari.answer(self.channel_id)
            self._answered_inbound = True

    async def _wait_for_line(self, wait_for_line: Callable[[LiveCall], Awaitable[bool]]) -> bool:
        """Answer and play music on hold until the node gives this call a line (True) or gives up."""
        log.info("all lines busy: the caller waits", extra={"call_id": self.call_id})
        await self._answer_inbound()
        music = await hold_music(self.deps.ari, self.channel_id, self.call_id, on=True)
        try:
            return await wait_for_line(self)
        finally:
            if music:
                await hold_music(self.deps.ari, self.channel_id, self.call_id, on=False)

    def _apply_route(self, route: Route) -> None:
        self.record.assistant = route.assistant
        self.record.assistant_id = route.assistant_id
        self.record.phone_number_id = route.number["id"] if route.number else None

    async def _reject(self, reason: str, message: str | None = None) -> None:
        """Say `message` (an assistant-request error) or "no service", hang up, keep a `rejected` record."""
        self.on_caller_hangup = ("rejected", reason)
        self.holds_line = False
        try:
            if message:
                await self._answer_inbound()
                await self.say_and_end(message, ("rejected", reason))
                return
            sound = REFUSAL_SOUNDS.get(reason, NO_SERVICE_SOUND)
            if reason != "assistant-request-returned-error" and await self.deps.has_sound(sound):
                await self._answer_inbound()
                await self.play_and_wait(f"sound:{sound}")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("could not tell the caller why the call is refused", extra={"call_id": self.call_id},
                        exc_info=True)
        self.request_end("rejected", reason)

    # -- events ----------------------------------------------------------------------------------

    async def _handle_events(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self._on_event(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("call event handler failed", extra={"call_id": self.call_id, "event": event.type})

    async def _on_event(self, event: Event) -> None:
        outbound = self.record.direction == "outbound"
        if isinstance(event, ChannelDtmfReceived) and event.digit:
            await self.message("dtmf", event.digit)
            self._side.spawn(self._session_command(Dtmf(event.digit)))
        elif isinstance(event, ChannelStateChange) and event.channel.state == "Ringing":
            if self.record.status == "queued":
                await self.deps.write(lambda d: call_state.set_ringing(d, self.record))
        elif isinstance(event, StasisStart) and outbound and not self.answered:
            self.answered = True
            self._side.spawn(self._run_answered_outbound())
        elif isinstance(event, PlaybackFinished):
            future = self._playback_done.pop(event.playback.id, None)
            if future is not None and not future.done():
                future.set_result(None)
        elif outbound and not self.answered:
            if isinstance(event, ChannelDestroyed):  # never answered: busy, no answer, rejected, unreachable
                self.request_end("failed", BUSY_CAUSES.get(event.cause, "failed-to-connect"))
        elif isinstance(event, ChannelHangupRequest) and event.soft and event.cause not in (0, 16):
            self.request_end("failed", "error")  # Asterisk tore the channel down (e.g. shutting down)
        elif isinstance(event, ChannelHangupRequest | StasisEnd | ChannelDestroyed):
            self.request_end(*self.on_caller_hangup)

    async def _run_answered_outbound(self) -> None:
        assert self._pipeline is not None
        await asyncio.wait({self._pipeline})  # the originate step; its outcome is its own
        if not self.ending:
            self._pipeline = asyncio.create_task(self._guard(self.converse()), name=f"call-{self.call_id}")

    async def _session_command(self, command: SessionCommand) -> None:
        if self.session is None or self.ending:
            return
        try:
            await self.session.command(command)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("session command failed", extra={"call_id": self.call_id})

    # -- the conversation ------------------------------------------------------------------------

    async def play_and_wait(self, media: str, seconds: float = 6.0) -> None:
        """Play an Asterisk sound on the channel and wait for it to finish (or time out)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        playback_id = f"vd-play-{self.channel_id}"
        self._playback_done[playback_id] = future
        try:
            await self.deps.ari.play(self.channel_id, media, playback_id=playback_id)
            await asyncio.wait_for(future, seconds)
        except TimeoutError:
            pass
        finally:
            self._playback_done.pop(playback_id, None)

    def _info(self, assistant: CallAssistant) -> CallInfo:
        return CallInfo(
            call_id=self.call_id, direction=self.record.direction, assistant=assistant,
            assistant_id=self.record.assistant_id, agent_phone=self.record.agent_phone,
            customer_phone=self.record.caller_phone, metadata=self.metadata,
        )

    async def _connect(self) -> bool:
        """Bridge the channel to a new media endpoint; False when the call ended meanwhile."""
        self.leg = await connect_media(self.deps.ari, self.channel_id, self.deps.starts, fmt=self.deps.media_format)
        return not self.ending

    async def converse(self, resume: Resumption | None = None) -> None:
        """Media up, recording on, in-progress, then the session until it ends (or max duration).
        A resumed call keeps its status and start; its new session is told the conversation so far,
        and its recording goes on in a new part."""
        assistant = self.record.assistant
        assert assistant is not None, "a call is answered only with an assistant"
        if not await self._connect():
            return
        assert self.leg is not None
        limit = float(assistant.max_duration_seconds)
        if assistant.records:  # a resumed call's recording goes on in a new part
            await self._recording.start(self.deps.ari, self.leg.bridge.id)
        if resume is not None:
            assistant, limit = resume.assistant, resume.seconds_left
        else:
            self.deps.poke(await self.deps.write(lambda d: call_state.set_in_progress(d, self.record)))
        audio: AudioPort = self.leg.endpoint
        if resume is None and screens(self.record.direction, assistant):
            heard = await self._screen(assistant, limit)
            if heard is None:
                return  # a machine got its message, or the callee hung up meanwhile
            audio = heard
        self.session = self.deps.session_factory(self._info(assistant), audio, self, self)
        run = asyncio.ensure_future(self.session.run())  # running before the context is sent, or it is refused
        self.session_started.set()
        if resume is not None:
            self._side.spawn(self._session_command(InjectContext(type="inject-context", content=resume.context)))
        try:
            reason = await asyncio.wait_for(run, limit)
        except TimeoutError:
            self.request_end("ended", "exceeded-max-duration")
            return
        if reason:
            self.request_end("ended", reason)

    async def _screen(self, assistant: CallAssistant, limit: float) -> AudioPort | None:
        """A person: the audio their session reads. A machine: the message after its greeting, and the
        call ends `voicemail`. None once the call is over."""
        assert self.leg is not None
        answered = await screen_answer(self.leg.endpoint, replay=assistant.first_message_mode == WAITS_FOR_USER)
        if answered is None:
            return None
        log.info("answered by a %s", answered.verdict.value, extra={
            "call_id": self.call_id, "decided_after_s": round(answered.seconds, 2),
            "greeting_ended_by": answered.ending and answered.ending.value})
        if answered.audio is not None:
            return answered.audio
        text = message_for_machine(assistant)
        if text is None:
            self.request_end("ended", VOICEMAIL)
        else:
            await self.say_and_end(text, ("ended", VOICEMAIL), seconds=limit)
        return None

    async def resume_after_restart(self, go_on: Resumption | None, apology: str, end_as: tuple[str, str]) -> None:
        """A caller a crashed process left in Stasis: bridged again, and the conversation goes on
        (`go_on`), or, where it cannot, the caller hears `apology` and the call ends `end_as`."""
        self.answered = True
        if self.record.status != "in-progress":
            await self.deps.ari.answer(self.channel_id)  # still ringing when the process died
            if self.record.assistant is not None:
                await self.converse()  # nothing was said yet: the call starts as a new one
                return
        elif self.record.assistant is not None and self.record.assistant.records:
            self._recording.adopt()  # what the lost process recorded is the call's first part
        if go_on is None:
            await self.say_and_end(apology, end_as)
        else:
            await self.converse(go_on)

    async def say_and_end(self, text: str, end_as: tuple[str, str], seconds: float = 20.0) -> None:
        """Speak `text` with this call's kind of session (voice or placeholder), then end as `end_as`."""
        self.end_as = end_as
        base = self.record.assistant or CallAssistant.parse({})
        if self.leg is None and not await self._connect():
            return
        assert self.leg is not None
        info = self._info(base.replace(first_message_mode=WAITS_FOR_USER))
        session = self.session = self.deps.session_factory(info, self.leg.endpoint, self, self)
        run = asyncio.create_task(session.run(), name=f"say-{self.call_id}")
        try:
            await session.command(EndCall(type="end-call", message=text))
            await asyncio.wait_for(asyncio.shield(run), seconds)
        except TimeoutError:
            pass
        finally:
            await cancel_and_wait(run)
        self.request_end(*end_as)

    # -- CallEvents ------------------------------------------------------------------------------

    async def message(self, role: str, content: str, **extra: Any) -> None:
        item = {"role": role, "content": content, "time": now_iso(), **extra}
        self.deps.poke(await self.deps.write(lambda d: call_state.append(d, self.record, "messages", item)))

    async def tool_call(self, record: Any) -> None:
        await self.deps.write(lambda d: call_state.append(d, self.record, "tool_calls", record))

    async def turn_latency(self, turn: Any) -> None:
        self.deps.metrics.observe_turn(turn)
        await self.deps.write(lambda d: call_state.append(d, self.record, "latency", turn))

    # -- CallActions -----------------------------------------------------------------------------

    async def hangup(self, reason: str) -> None:
        await self._wait_unless_pipeline(self.request_end(*(self.end_as or ("ended", reason))))

    async def transfer(self, destination: str) -> None:
        self._transfer_to = await self.deps.dial_string(destination, self.record.phone_number_id)
        await self._wait_unless_pipeline(self.request_end("ended", "transferred"))

    async def _wait_unless_pipeline(self, finish: asyncio.Task[None]) -> None:
        """The pipeline is cancelled by the ending, so it must not wait for it (it would wait on itself)."""
        if asyncio.current_task() is not self._pipeline:
            await asyncio.shield(finish)

    # -- the ending ------------------------------------------------------------------------------

    def request_end(self, status: str, reason: str) -> asyncio.Task[None]:
        """Start the one teardown of this call; later requests get the same task."""
        if self._finish is None:
            log.info("call ending", extra={"call_id": self.call_id, "status": status, "ended_reason": reason})
            self._finish = asyncio.create_task(self._end(status, reason), name=f"call-end-{self.call_id}")
        return self._finish

    async def _end(self, status: str, reason: str) -> None:
        try:
            if self._pipeline is not None and self._pipeline is not asyncio.current_task():
                await cancel_and_wait(self._pipeline)
            await self._side.aclose()
            await _quietly(self._recording.stop(self.deps.ari))
            if self.leg is not None:
                await _quietly(self.leg.aclose())
            if self._transfer_to is not None:
                await _quietly(self._continue_to_transfer(self._transfer_to))
            else:
                await _quietly(self.deps.ari.hangup(self.channel_id))
            url = await asyncio.to_thread(self._recording.collect)
            if url:
                await self.deps.write(lambda d: call_state.set_recording(d, self.record, url))
            ids = await self.deps.write(lambda d: call_state.finish(
                d, self.record, status, reason, self.deps.settings.price_per_minute, analyse=self.deps.analyse))
            self.deps.poke(ids)
            if self.record.report_pending:
                self.deps.report_pending(self.record)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("call teardown failed", extra={"call_id": self.call_id})
        finally:
            self.deps.forget(self.call_id)
            if self._events_task is not None and self._events_task is not asyncio.current_task():
                await cancel_and_wait(self._events_task)

    async def _continue_to_transfer(self, dial: str) -> None:
        await self.deps.ari.set_variable(self.channel_id, "VOICEDOCK_TRANSFER_TO", dial)
        await self.deps.ari.continue_in_dialplan(self.channel_id, context="voicedock-transfer",
                                                 extension="transfer", priority=1)


async def _quietly(step: Any) -> None:
    """Run one teardown step; a failure (Asterisk gone, 404) must not stop the others."""
    try:
        await step
    except asyncio.CancelledError:
        raise
    except Exception as err:
        log.debug("teardown step failed: %r", err)
