"""The controller against a scripted fake ARI: reconcile after lost events, and event routing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from voicedock.assistant import CallAssistant
from voicedock.store import call_state
from voicedock_ari.ari.events import parse_event
from voicedock_ari.ari.models import Bridge, Channel
from voicedock_ari.controller import CallController
from voicedock_ari.live_call import LiveCall

from .harness import call, wait_for, webhook_events


class FakeAri:
    """Just the calls reconcile and teardown make; records what was destroyed."""

    def __init__(self, channels: list[str], bridges: list[Bridge]) -> None:
        self.channels = channels
        self.bridges = bridges
        self.destroyed: list[str] = []
        self.hung_up: list[str] = []
        self.reasons: list[str] = []

    async def list_channels(self) -> list[Channel]:
        return [Channel(id=c) for c in self.channels]

    async def list_bridges(self) -> list[Bridge]:
        return self.bridges

    async def destroy_bridge(self, bridge_id: str) -> bool:
        self.destroyed.append(bridge_id)
        return True

    async def hangup(self, channel_id: str, reason: str = "normal") -> bool:
        self.hung_up.append(channel_id)
        self.reasons.append(reason)
        return channel_id in self.channels

    async def aclose(self) -> None:
        pass


@pytest.fixture
def ctl(offline_controller: CallController) -> CallController:
    return offline_controller


async def live_inbound(ctl: CallController, channel_id: str, call_id: str) -> LiveCall:
    record = call_state.CallRecord(call_id=call_id, direction="inbound", status="ringing", assistant=CallAssistant.parse({"system_prompt": "x",
        "webhook_url": "http://127.0.0.1:9/h", "webhook_events": ["status-update", "end-of-call-report"]}))
    await ctl.db.write(lambda d: call_state.create(d, record))
    await ctl.db.write(lambda d: call_state.set_in_progress(d, record))
    live = LiveCall(ctl.deps(), record, channel_id)
    ctl.register(live)
    live.start(asyncio.sleep(3600))
    return live


async def test_reconcile_ends_vanished_calls_and_removes_orphans(ctl: CallController) -> None:
    fake = FakeAri(channels=["chan-alive", "vd-media-orphan"], bridges=[Bridge(id="b1", name="vd-old"),
                                                                        Bridge(id="b2", name="someone-else")])
    ctl.ari = fake  # type: ignore[assignment]
    await live_inbound(ctl, "chan-gone", "call_gone")
    await live_inbound(ctl, "chan-alive", "call_alive")
    await ctl.reconcile(missed_events=True)
    row = await wait_for(lambda: (c := call(ctl.db, "call_gone"))["status"] == "failed" and c, 5, "failed")
    assert row["ended_reason"] == "error" and row["duration_seconds"] >= 0
    assert webhook_events(ctl.db, "call_gone") == ["status-update", "status-update", "end-of-call-report"]
    assert ctl.is_live("call_alive") and not ctl.is_live("call_gone")
    assert fake.destroyed == ["b1"] and "vd-media-orphan" in fake.hung_up


async def test_events_go_to_their_own_call_and_a_hangup_ends_only_that_call(ctl: CallController) -> None:
    ctl.ari = FakeAri(channels=[], bridges=[])  # type: ignore[assignment]
    await live_inbound(ctl, "c1", "call_1")
    await live_inbound(ctl, "c2", "call_2")
    ctl._route(parse_event({"type": "ChannelHangupRequest", "channel": {"id": "c2"}, "cause": 16}))
    row = await wait_for(lambda: (c := call(ctl.db, "call_2"))["status"] == "ended" and c, 5, "ended")
    assert row["ended_reason"] == "customer-ended-call"
    assert ctl.is_live("call_1") and call(ctl.db, "call_1")["status"] == "in-progress"
    ctl._route(parse_event({"type": "ChannelHangupRequest", "channel": {"id": "c1"}, "cause": 4, "soft": True}))
    row = await wait_for(lambda: (c := call(ctl.db, "call_1"))["status"] == "failed" and c, 5, "failed")
    assert row["ended_reason"] == "error"


async def test_a_call_kamailio_may_send_elsewhere_is_handed_back_when_no_line_is_free(ctl: CallController) -> None:
    """In a cluster a node that cannot take a call refuses it unanswered (486: Kamailio tries another
    node) and keeps no record of it, unless it is the last node Kamailio can try."""
    fake = FakeAri(channels=["c1"], bridges=[])
    ctl.ari = fake  # type: ignore[assignment]
    ctl.draining = True

    def start(channel_id: str, *args: str) -> None:
        ctl._route(parse_event({"type": "StasisStart", "args": ["inbound", "+15550100", *args],
                                "channel": {"id": channel_id, "caller": {"number": "+15550111"}}}))

    start("c1", "1")
    await wait_for(lambda: fake.hung_up == ["c1"], 5, "the call refused")
    assert fake.reasons == ["busy"] and not ctl.live_calls()
    assert ctl.db.read_sync(lambda d: d.execute("SELECT count(*) FROM calls").fetchone()[0]) == 0
    start("c2", "")  # the last node: the caller hears why, and the record says so
    assert [c.channel_id for c in ctl.live_calls()] == ["c2"]


async def test_turn_latency_reaches_the_call_record_and_the_metrics(ctl: CallController) -> None:
    ctl.ari = FakeAri(channels=[], bridges=[])  # type: ignore[assignment]
    live = await live_inbound(ctl, "c3", "call_3")
    turn = {"endpointing_ms": 400.0, "stt_ms": 450.0, "llm_ttft_ms": 300.0, "tts_ttfb_ms": 90.0, "total_ms": 1240.0}
    await live.turn_latency(turn)
    assert call(ctl.db, "call_3")["latency"] == [turn]
    text = ctl.metrics.exposition()[0].decode()
    assert 'voicedock_turn_latency_seconds_count{stage="total"} 1.0' in text
    assert 'voicedock_turn_latency_seconds_bucket{le="1.5",stage="total"} 1.0' in text
    assert 'voicedock_turn_latency_seconds_bucket{le="1.0",stage="total"} 0.0' in text
    assert "voicedock_live_calls 1.0" in text


async def test_an_ended_call_is_analysed_and_its_report_carries_the_analysis(ctl: CallController) -> None:
    seen: list[list] = []

    async def analyser(assistant: Any, messages: list, tool_calls: list) -> dict:
        seen.append(messages)
        return {"summary": "The caller said hello.", "structured_data": None, "success_evaluation": None}

    ctl.analyser = analyser
    ctl.ari = FakeAri(channels=[], bridges=[])  # type: ignore[assignment]
    live = await live_inbound(ctl, "c4", "call_4")
    await live.message("user", "hello")
    ctl._route(parse_event({"type": "ChannelHangupRequest", "channel": {"id": "c4"}, "cause": 16}))
    row = await wait_for(lambda: (c := call(ctl.db, "call_4"))["summary"] and c, 5, "the analysis")
    assert row["analysis"]["summary"] == "The caller said hello." and seen[0][0]["content"] == "hello"
    assert webhook_events(ctl.db, "call_4")[-1] == "end-of-call-report"


async def test_a_failed_analysis_still_sends_the_report(ctl: CallController) -> None:
    async def analyser(assistant: Any, messages: list, tool_calls: list) -> dict:
        raise RuntimeError("model crashed")

    ctl.analyser = analyser
    ctl.ari = FakeAri(channels=[], bridges=[])  # type: ignore[assignment]
    live = await live_inbound(ctl, "c5", "call_5")
    await live.message("user", "hello")
    ctl._route(parse_event({"type": "ChannelHangupRequest", "channel": {"id": "c5"}, "cause": 16}))
    await wait_for(lambda: "end-of-call-report" in webhook_events(ctl.db, "call_5"), 5, "the report")
    assert call(ctl.db, "call_5")["analysis"] is None


class StartingSession:
    """A session that takes commands, for a call whose session starts a moment late."""

    def __init__(self) -> None:
        self.commands: list[Any] = []

    async def command(self, command: Any) -> str:
        self.commands.append(command)
        return "said"


async def test_a_command_to_a_call_shown_in_progress_waits_for_its_session(
        ctl: CallController, monkeypatch: pytest.MonkeyPatch) -> None:
    from voicedock.telephony import Say, TelephonyError
    from voicedock_ari import controller as controller_module

    ctl.ari = FakeAri(channels=[], bridges=[])  # type: ignore[assignment]
    live = await live_inbound(ctl, "chan-1", "call_starting")  # in progress, its session not yet running
    say = Say(type="say", content="Hello there.")

    async def session_starts() -> None:
        await asyncio.sleep(0.2)
        live.session = StartingSession()  # type: ignore[assignment]
        live.session_started.set()

    starting = asyncio.ensure_future(session_starts())
    assert await ctl.control("call_starting", say) == "said"  # not "not answered yet"
    await starting
    assert live.session.commands == [say]  # type: ignore[union-attr]
    # a session that never starts: the client is told so, after the short wait
    monkeypatch.setattr(controller_module, "SESSION_START_WAIT_SECONDS", 0.1)
    late = await live_inbound(ctl, "chan-2", "call_never")
    with pytest.raises(TelephonyError) as refused:
        await ctl.control("call_never", say)
    assert refused.value.code == "call_not_answered" and late.session is None
