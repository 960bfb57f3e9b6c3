"""One live call: its ARI events, its media, its session, and an ending that happens exactly once.

Each call has its own event queue and task, so a slow step (a webhook, a reload, a slow session
command) never delays another call. Every way a call can end (caller hang-up, session reason,
API command, max duration, lost channel, error) goes through `request_end`, whose teardown is
idempotent and never raises: "already gone" is the normal outcome of a race with the caller.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voicedock.conversation.base import CallInfo, Session
from voicedock.timeutil import now_iso

from . import call_store
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
from .call_media import MediaLeg, connect_media
from .call_store import CallRecord

if TYPE_CHECKING:
    from .controller import CallController

log = logging.getLogger("voicedock.calls")

RECORDING_SPOOL = Path("var/spool/asterisk/recording")
BUSY_CAUSES = {17: "customer-busy", 18: "customer-did-not-answer", 19: "customer-did-not-answer",
               21: "customer-rejected-call"}


class LiveCall:
    """Implements `CallEvents` and `CallActions` for its session."""

    def __init__(self, ctl: CallController, record: CallRecord, channel_id: str) -> None:
        self.ctl = ctl
        self.record = record
        self.channel_id = channel_id
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.leg: MediaLeg | None = None
        self.session: Session | None = None
        self.answered = False
        self.originated = False
        self.metadata: Mapping[str, Any] = {}
        self.on_caller_hangup = ("ended", "customer-ended-call")
        self.end_as: tuple[str, str] | None = None  # overrides how a session's hang-up ends the call
        self._pipeline: asyncio.Task[None] | None = None
        self._events_task: asyncio.Task[None] | None = None
        self._finish: asyncio.Task[None] | None = None
        self._transfer_to: str | None = None
        self._recording: str | None = None
        self._playback_done: dict[str, asyncio.Future[None]] = {}
        self._side_tasks: set[asyncio.Task[Any]] = set()

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

    # -- events ------------------------------------------------------------------------------

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
        if isinstance(event, ChannelDtmfReceived) and event.digit:
            await self.message("dtmf", event.digit)
            self._spawn(self._session_command({"type": "dtmf", "digit": event.digit}))
        elif isinstance(event, ChannelStateChange) and event.channel.state == "Ringing":
            if self.record.status == "queued":
                await self.ctl.write(lambda d: call_store.set_ringing(d, self.record))
        elif isinstance(event, StasisStart) and self.record.direction == "outbound" and not self.answered:
            self.answered = True
            self._spawn(self._run_answered_outbound())
        elif isinstance(event, PlaybackFinished):
            future = self._playback_done.pop(event.playback.id, None)
            if future is not None and not future.done():
                future.set_result(None)
        elif self.record.direction == "outbound" and not self.answered:
            if isinstance(event, ChannelDestroyed):  # never answered: busy, no answer, rejected, unreachable
                self.request_end("failed", BUSY_CAUSES.get(event.cause, "failed-to-connect"))
        elif isinstance(event, ChannelHangupRequest) and event.soft and event.cause not in (0, 16):
            self.request_end("failed", "error")  # Asterisk tore the channel down (e.g. shutting down)
        elif isinstance(event, ChannelHangupRequest | StasisEnd | ChannelDestroyed):
            self.request_end(*self.on_caller_hangup)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _run_answered_outbound(self) -> None:
        assert self._pipeline is not None
        await asyncio.wait({self._pipeline})  # the originate step; its outcome is its own
        if not self.ending:
            self._pipeline = asyncio.create_task(self._guard(self.converse()), name=f"call-{self.call_id}")

    async def _session_command(self, command: Mapping[str, Any]) -> None:
        if self.session is None or self.ending:
            return
        try:
            await self.session.command(command)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("session command failed", extra={"call_id": self.call_id})

    # -- the conversation ----------------------------------------------------------------------

    async def play_and_wait(self, media: str, seconds: float = 6.0) -> None:
        """Play an Asterisk sound on the channel and wait for it to finish (or time out)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        playback_id = f"vd-play-{self.channel_id}"
        self._playback_done[playback_id] = future
        try:
            await self.ctl.ari.play(self.channel_id, media, playback_id=playback_id)
            await asyncio.wait_for(future, seconds)
        except TimeoutError:
            pass
        finally:
            self._playback_done.pop(playback_id, None)

    async def converse(self) -> None:
        """Media up, recording on, in-progress, then the session until it ends (or max duration)."""
        self.leg = await connect_media(self.ctl.ari, self.channel_id, self.ctl.starts, fmt=self.ctl.media_format)
        if self.ending:
            return
        await self._start_recording()
        ids = await self.ctl.write(lambda d: call_store.set_in_progress(d, self.record))
        self.ctl.poke(ids)
        info = CallInfo(
            call_id=self.call_id, direction=self.record.direction, assistant=self.record.assistant,
            caller=self.record.caller_phone, callee=self.record.agent_phone, metadata=self.metadata,
        )
        self.session = self.ctl.session_factory(info, self.leg.endpoint, self, self)
        limit = float(self.record.assistant.get("max_duration_seconds") or 300)
        try:
            reason = await asyncio.wait_for(self.session.run(), limit)
        except TimeoutError:
            self.request_end("ended", "exceeded-max-duration")
            return
        if reason:
            self.request_end("ended", reason)

    async def say_and_end(self, text: str, end_as: tuple[str, str], seconds: float = 20.0) -> None:
        """Speak `text` with this call's kind of session (voice or placeholder), then end as `end_as`."""
        self.end_as = end_as
        self.leg = await connect_media(self.ctl.ari, self.channel_id, self.ctl.starts, fmt=self.ctl.media_format)
        if self.ending:
            return
        assistant = {**self.record.assistant, "first_message_mode": "assistant-waits-for-user"}
        info = CallInfo(call_id=self.call_id, direction=self.record.direction, assistant=assistant,
                        caller=self.record.caller_phone, callee=self.record.agent_phone, metadata=self.metadata)
        self.session = self.ctl.session_factory(info, self.leg.endpoint, self, self)
        run = asyncio.create_task(self.session.run(), name=f"say-{self.call_id}")
        try:
            await self.session.command({"type": "end-call", "message": text})
            await asyncio.wait_for(asyncio.shield(run), seconds)
        except TimeoutError:
            pass
        finally:
            await cancel_and_wait(run)
        self.request_end(*end_as)

    async def _start_recording(self) -> None:
        assistant = self.record.assistant
        if not assistant.get("recording_enabled", True) or assistant.get("gdpr_mode", False):
            return
        if self.ctl.asterisk.root is None or self.leg is None:
            return
        try:
            await self.ctl.ari.record(self.leg.bridge.id, self.call_id, format="wav", if_exists="overwrite",
                                      bridge=True)
            self._recording = self.call_id
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("recording could not start", extra={"call_id": self.call_id}, exc_info=True)

    # -- CallEvents ----------------------------------------------------------------------------

    async def message(self, role: str, content: str, **extra: Any) -> None:
        item = {"role": role, "content": content, "time": now_iso(), **extra}
        self.ctl.poke(await self.ctl.write(lambda d: call_store.append(d, self.record, "messages", item)))

    async def tool_call(self, record: Mapping[str, Any]) -> None:
        await self.ctl.write(lambda d: call_store.append(d, self.record, "tool_calls", record))

    async def turn_latency(self, turn: Mapping[str, float]) -> None:
        self.ctl.metrics.observe_turn(turn)
        await self.ctl.write(lambda d: call_store.append(d, self.record, "latency", turn))

    # -- CallActions ---------------------------------------------------------------------------

    async def hangup(self, reason: str) -> None:
        await self._wait_unless_pipeline(self.request_end(*(self.end_as or ("ended", reason))))

    async def transfer(self, destination: str) -> None:
        self._transfer_to = await self.ctl.dial_string(destination, self.record)
        await self._wait_unless_pipeline(self.request_end("ended", "transferred"))

    async def _wait_unless_pipeline(self, finish: asyncio.Task[None]) -> None:
        """The pipeline is cancelled by the ending, so it must not wait for it (it would wait on itself)."""
        if asyncio.current_task() is not self._pipeline:
            await asyncio.shield(finish)

    # -- the ending ----------------------------------------------------------------------------

    def request_end(self, status: str, reason: str) -> asyncio.Task[None]:
        """Start the one teardown of this call; later requests get the same task."""
        if self._finish is None:
            log.info("call ending", extra={"call_id": self.call_id, "status": status, "ended_reason": reason})
            self._finish = asyncio.create_task(self._end(status, reason), name=f"call-end-{self.call_id}")
        return self._finish

    async def _end(self, status: str, reason: str) -> None:
        try:
            await self._cancel(self._pipeline)
            for task in list(self._side_tasks):
                await self._cancel(task)
            await self._stop_recording()
            if self.leg is not None:
                await _quietly(self.leg.aclose())
            if self._transfer_to is not None:
                await _quietly(self._continue_to_transfer(self._transfer_to))
            else:
                await _quietly(self.ctl.ari.hangup(self.channel_id))
            if self._recording:
                url = await asyncio.to_thread(self._copy_recording)
                if url:
                    await self.ctl.write(lambda d: call_store.set_recording(d, self.record, url))
            analyse = self.ctl.analyser is not None
            ids = await self.ctl.write(lambda d: call_store.finish(
                d, self.record, status, reason, self.ctl.settings.price_per_minute, analyse=analyse))
            self.ctl.poke(ids)
            if self.record.report_pending:
                self.ctl.analyse_later(self.record)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("call teardown failed", extra={"call_id": self.call_id})
        finally:
            self.ctl.forget(self)
            await self._cancel(self._events_task)

    async def _cancel(self, task: asyncio.Task[Any] | None) -> None:
        if task is None or task is asyncio.current_task():
            return
        await cancel_and_wait(task)

    async def _continue_to_transfer(self, dial: str) -> None:
        await self.ctl.ari.set_variable(self.channel_id, "VOICEDOCK_TRANSFER_TO", dial)
        await self.ctl.ari.continue_in_dialplan(self.channel_id, context="voicedock-transfer",
                                                extension="transfer", priority=1)

    async def _stop_recording(self) -> None:
        if self._recording:
            await _quietly(self.ctl.ari.stop_recording(self._recording))

    def _copy_recording(self) -> str | None:
        """Move the bridge recording from Asterisk's spool to `<data_dir>/recordings/<call_id>.wav`."""
        assert self.ctl.asterisk.root is not None
        source = self.ctl.asterisk.root / RECORDING_SPOOL / f"{self._recording}.wav"
        if not source.is_file():
            return None
        target_dir = self.ctl.settings.data_dir / "recordings"
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), target_dir / f"{self.call_id}.wav")
        return f"/api/v1/calls/{self.call_id}/recording"


async def _quietly(step: Any) -> None:
    """Run one teardown step; a failure (Asterisk gone, 404) must not stop the others."""
    try:
        await step
    except asyncio.CancelledError:
        raise
    except Exception as err:
        log.debug("teardown step failed: %r", err)


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel a task and wait for it; its errors are its own, but our own cancellation propagates."""
    if task.done():
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except Exception as err:
        log.debug("cancelled task ended with %r", err)
