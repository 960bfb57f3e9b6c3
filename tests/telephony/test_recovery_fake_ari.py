"""Calls a crashed process left live, closed or picked up again by the next one (fake ARI, real store)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from voicedock.assistant import CallAssistant
from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.loader import fake_engines
from voicedock.store import Database, call_state
from voicedock.store import calls as store_calls
from voicedock.timeutil import parse_iso
from voicedock_ari.ari.events import parse_event
from voicedock_ari.ari.models import Bridge, Channel, ExternalMedia
from voicedock_ari.controller import CallController
from voicedock_ari.recovery import resumption

from .harness import call, usage_rows, wait_for, webhook_events


class FakeAri:
    """An Asterisk that still has `channels`; media is set up as Asterisk would, minus the audio."""

    def __init__(self, ctl: CallController, channels: list[str]) -> None:
        self.ctl = ctl
        self.channels = list(channels)
        self.hung_up: list[str] = []
        self.answered: list[str] = []
        self.bridged: list[tuple[str, str]] = []

    async def list_channels(self) -> list[Channel]:
        return [Channel(id=c) for c in self.channels]

    async def list_bridges(self) -> list[Bridge]:
        return []

    async def answer(self, channel_id: str) -> None:
        self.answered.append(channel_id)

    async def create_bridge(self, type: str, name: str) -> Bridge:
        return Bridge(id=f"bridge-{name}", name=name)

    async def external_media(self, host: str, format: str, channel_id: str) -> ExternalMedia:
        asyncio.get_running_loop().call_soon(
            self.ctl._route, parse_event({"type": "StasisStart", "channel": {"id": channel_id}, "args": []}))
        return ExternalMedia(channel=Channel(id=channel_id), local_address="127.0.0.1", local_port=9)

    async def add_channel(self, bridge_id: str, channel_id: str) -> None:
        self.bridged.append((bridge_id, channel_id))

    async def destroy_bridge(self, bridge_id: str) -> bool:
        return True

    async def stop_recording(self, name: str) -> None:
        pass

    async def hangup(self, channel_id: str, reason: str = "normal") -> bool:
        self.hung_up.append(channel_id)
        if channel_id in self.channels:
            self.channels.remove(channel_id)
            return True
        return False

    async def aclose(self) -> None:
        pass


@pytest.fixture
def ctl(offline_controller: CallController) -> CallController:
    return offline_controller


def left_live(db: Database, call_id: str, channel_id: str, *, answered: bool = True,
              direction: str = "inbound", **assistant: Any) -> str:
    """A call as a killed process leaves it: in the store, live, and owned by nobody. Its last activity."""
    record = call_state.CallRecord(call_id=call_id, direction=direction, status="ringing",
                                   assistant=CallAssistant.parse({
                                       "system_prompt": "x", "recording_enabled": False,
                                       "webhook_url": "http://127.0.0.1:9/h",
                                       "webhook_events": ["status-update", "end-of-call-report"],
                                       **assistant}))
    record.channel_id = channel_id
    db.write_sync(lambda d: call_state.create(d, record))
    if answered:
        db.write_sync(lambda d: call_state.set_in_progress(d, record))
        db.write_sync(lambda d: call_state.append(d, record, "messages", {"role": "user", "content": "hello"}))
    return str(db.read_sync(lambda d: store_calls.call_row(d, call_id))["updated_at"])


def active_calls(db: Database) -> int:
    return int(db.read_sync(lambda d: store_calls.account(d))["active_calls"])


async def test_a_call_whose_channel_is_gone_is_closed_once_with_its_report(ctl: CallController) -> None:
    last_activity = left_live(ctl.db, "call_lost", "chan-gone")
    ctl.ari = FakeAri(ctl, channels=["someone-elses-channel"])  # type: ignore[assignment]
    await ctl.reconcile(missed_events=False)
    await ctl.reconcile(missed_events=True)  # a second reconnect must not close it again
    row = call(ctl.db, "call_lost")
    assert row["status"] == "ended" and row["ended_reason"] == "service-restarted"
    assert row["ended_at"] == last_activity and row["duration_seconds"] >= 0
    assert webhook_events(ctl.db, "call_lost") == ["status-update", "status-update", "end-of-call-report"]
    assert len(usage_rows(ctl.db, "call_lost")) == 1
    assert active_calls(ctl.db) == 0
    assert not ctl.is_live("call_lost")


async def test_an_unanswered_outbound_call_is_hung_up_and_closed(ctl: CallController) -> None:
    left_live(ctl.db, "call_ringing", "vd-call-x", answered=False, direction="outbound")
    fake = FakeAri(ctl, channels=["vd-call-x"])
    ctl.ari = fake  # type: ignore[assignment]
    await ctl.reconcile(missed_events=False)
    assert fake.hung_up == ["vd-call-x"]
    assert call(ctl.db, "call_ringing")["ended_reason"] == "service-restarted"
    assert active_calls(ctl.db) == 0


async def test_a_caller_still_in_stasis_is_picked_up_again_and_the_conversation_goes_on(
    ctl: CallController,
) -> None:
    left_live(ctl.db, "call_waiting", "chan-alive")
    started_at = call(ctl.db, "call_waiting")["started_at"]
    fake = FakeAri(ctl, channels=["chan-alive"])
    ctl.ari = fake  # type: ignore[assignment]
    await ctl.reconcile(missed_events=False)
    assert ctl.is_live("call_waiting"), "the caller is picked up again by this process"
    row = await wait_for(lambda: (c := call(ctl.db, "call_waiting"))["messages"][-1]["role"] != "user" and c, 10,
                         "the resumed session to speak")
    said = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
    assert said == ["Sorry, I lost you for a moment."]
    told = await wait_for(lambda: [m["content"] for m in call(ctl.db, "call_waiting")["messages"]
                                   if m["role"] == "system"], 5, "the conversation so far given to the session")
    assert told[0].endswith("Caller: hello")
    assert ("bridge-vd-chan-alive", "chan-alive") in fake.bridged, "the caller's audio is bridged to us again"
    assert "chan-alive" not in fake.hung_up and ctl.is_live("call_waiting")
    row = call(ctl.db, "call_waiting")
    assert row["status"] == "in-progress" and row["started_at"] == started_at
    assert webhook_events(ctl.db, "call_waiting") == ["status-update"], "no second in-progress, no ending"
    ctl._route(parse_event({"type": "ChannelHangupRequest", "channel": {"id": "chan-alive"}, "cause": 16}))
    row = await wait_for(lambda: (c := call(ctl.db, "call_waiting"))["status"] == "ended" and c, 5, "ended")
    assert row["ended_reason"] == "customer-ended-call"
    assert webhook_events(ctl.db, "call_waiting") == ["status-update", "status-update", "end-of-call-report"]
    assert len(usage_rows(ctl.db, "call_waiting")) == 1 and active_calls(ctl.db) == 0


async def test_the_voice_session_of_a_resumed_call_greets_with_the_apology_and_knows_the_conversation(
    ctl: CallController,
) -> None:
    ctl.session_factory = voice_session_factory(fake_engines())
    left_live(ctl.db, "call_voice", "chan-voice")
    ctl.ari = FakeAri(ctl, channels=["chan-voice"])  # type: ignore[assignment]
    await ctl.reconcile(missed_events=False)
    told = await wait_for(lambda: [m["content"] for m in call(ctl.db, "call_voice")["messages"]
                                   if m["role"] == "system"], 5, "the conversation so far given to the session")
    assert told[0].endswith("Caller: hello")
    said = await wait_for(lambda: [m["content"] for m in call(ctl.db, "call_voice")["messages"]
                                   if m["role"] == "assistant"], 5, "the apology")
    assert said == ["Sorry, I lost you for a moment."]
    assert ctl.is_live("call_voice")


async def test_a_caller_still_in_stasis_with_no_time_left_hears_an_apology_and_is_hung_up(
    ctl: CallController,
) -> None:
    left_live(ctl.db, "call_late", "chan-late", max_duration_seconds=10)
    fake = FakeAri(ctl, channels=["chan-late"])
    ctl.ari = fake  # type: ignore[assignment]
    await ctl.reconcile(missed_events=False)
    row = await wait_for(lambda: (c := call(ctl.db, "call_late"))["status"] == "ended" and c, 10, "ended")
    assert row["ended_reason"] == "service-restarted"
    said = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
    assert said == ["Sorry, I lost you for a moment. Please call again."]
    assert "chan-late" in fake.hung_up
    assert webhook_events(ctl.db, "call_late").count("end-of-call-report") == 1
    assert len(usage_rows(ctl.db, "call_late")) == 1 and active_calls(ctl.db) == 0


def test_the_resumed_session_is_told_the_last_turns_and_the_time_the_call_has_left() -> None:
    record = call_state.CallRecord(call_id="c", direction="inbound", started_at="2026-01-01T10:00:00.000Z",
                                   assistant=CallAssistant.parse({"max_duration_seconds": 300}))
    messages = [{"role": "user", "content": "my order is 4711"}, {"role": "dtmf", "content": "4"},
                {"role": "assistant", "content": "Let me check."}]
    go_on = resumption(record, messages, parse_iso("2026-01-01T10:01:00.000Z"))
    assert go_on is not None and go_on.seconds_left == 240.0
    assert go_on.assistant.greeting == "Sorry, I lost you for a moment."
    assert go_on.context.endswith("Caller: my order is 4711\nYou: Let me check.")
    assert resumption(record, messages, parse_iso("2026-01-01T10:04:55.000Z")) is None, "5 s left: no resuming"
