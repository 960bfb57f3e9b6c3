"""Inbound calls through the controller and the real Asterisk: routing, audio, records, webhooks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.commands import command
from voicedock.conversation.base import AudioPort, CallActions, CallEvents, CallInfo
from voicedock.store import Database
from voicedock_ari.controller import CallController

from .audio import dominant_hz, read_wav, rms, tone, write_wav
from .callers import dial
from .harness import NUMBER, add_assistant, add_number, call, only_call, uri, usage_rows, wait_for, webhook_events

pytestmark = pytest.mark.asterisk

CALLER_HZ = 440.0
APP_HZ = 1000.0


class ListeningSession:
    """Keeps what the caller says and answers with a 1 kHz tone."""

    heard: list[np.ndarray] = []

    def __init__(self, info: CallInfo, audio: AudioPort, events: CallEvents, actions: CallActions) -> None:
        self.audio = audio
        self.events = events
        ListeningSession.heard = []

    async def run(self) -> str | None:
        self.audio.send_pcm(tone(APP_HZ, 1.5))
        self.audio.flush()
        await self.events.message("assistant", "one kilohertz")
        while (frame := await self.audio.read()) is not None:
            ListeningSession.heard.append(frame)
        return None

    async def command(self, command: Any) -> str:
        return "ignored"



async def test_inbound_call_is_answered_hears_and_is_heard_and_leaves_a_complete_record(
    controller: CallController, store: Database, tmp_path: Path
) -> None:
    controller.session_factory = ListeningSession
    add_number(store, add_assistant(store, recording_enabled=True))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(CALLER_HZ, 6.0))
    caller = await dial(tmp_path / "baresip", source, uri(controller), seconds=4)
    try:
        row = await wait_for(only_call(store), 10, "the call record")
        await wait_for(lambda: call(store, row["id"])["status"] == "in-progress", 10, "in-progress")
        await asyncio.wait_for(caller.process.wait(), 15)
        done = await wait_for(lambda: (c := call(store, row["id"]))["status"] == "ended" and c, 10, "ended")
    finally:
        await caller.stop()

    assert done["ended_reason"] == "customer-ended-call"
    assert done["type"] == "inbound_phone_call" and done["agent_phone"] == NUMBER
    assert 2.0 < done["duration_seconds"] < 6.0
    assert done["cost"] == pytest.approx(done["duration_seconds"] / 60 * 0.6, abs=1e-5)
    assert done["started_at"] and done["ended_at"]
    assert [m["content"] for m in done["messages"]] == ["one kilohertz"]
    assert len(usage_rows(store, row["id"])) == 1
    events = webhook_events(store, row["id"])
    assert events.count("status-update") == 2 and events.count("end-of-call-report") == 1
    assert "transcript" in events

    heard_by_app = np.concatenate(ListeningSession.heard[10:])
    assert abs(dominant_hz(heard_by_app) - CALLER_HZ) < 15 and rms(heard_by_app) > 1000
    pcm, rate = read_wav(caller.heard_wav)  # type: ignore[arg-type]
    window = pcm[np.argmax(np.abs(pcm) > 2000):][:rate]
    assert abs(dominant_hz(window, rate) - APP_HZ) < 15, "the caller did not hear the session"

    assert done["recording_url"] == f"/api/v1/calls/{row['id']}/recording"
    recording = controller.settings.data_dir / "recordings" / f"{row['id']}.wav"
    both, rec_rate = read_wav(recording)
    assert len(both) > rec_rate * 2 and rms(both) > 500, "the recording is empty"
    assert not controller.live_calls()


async def test_unknown_number_is_rejected_with_a_record(controller: CallController, store: Database,
                                                       tmp_path: Path) -> None:
    source = tmp_path / "caller.wav"
    write_wav(source, tone(CALLER_HZ, 10.0))
    caller = await dial(tmp_path / "baresip", source, uri(controller, "+15559999"), seconds=12)
    try:
        row = await wait_for(lambda: (r := only_call(store)()) and r["status"] == "rejected" and r, 12, "rejected")
    finally:
        await caller.stop()
    assert row["ended_reason"] == "unknown-number" and row["agent_phone"] == "+15559999"
    assert row["ended_at"] is not None and webhook_events(store, row["id"]) == []
    assert await asyncio.wait_for(caller.process.wait(), 5) is not None, "the caller was not hung up on"


@pytest.fixture
async def assistant_server() -> Any:
    """A receiver for assistant-request; the test sets the reply it gives."""
    from aiohttp import web

    state: dict[str, Any] = {"reply": {}, "seen": []}

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        state["seen"].append(body["message"]["type"])
        return web.json_response(state["reply"])

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state["url"] = f"http://127.0.0.1:{port}/hook"
    yield state
    await runner.cleanup()


@pytest.mark.parametrize("reply", ["override", "error"])
async def test_assistant_request_reply_decides_who_answers(controller: CallController, store: Database,
                                                           tmp_path: Path, assistant_server: Any, reply: str) -> None:
    if reply == "override":
        assistant_server["reply"] = {"assistant_override": {"first_message": "overridden hello"}}
    else:
        assistant_server["reply"] = {"error": "We are closed"}
    add_number(store, add_assistant(store, box=controller.box, webhook_url=assistant_server["url"],
                                    first_message="configured hello",
                                    webhook_events=["assistant-request"]))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(CALLER_HZ, 8.0))
    caller = await dial(tmp_path / "baresip", source, uri(controller), seconds=10)
    try:
        row = await wait_for(only_call(store), 10, "the call record")
        if reply == "override":
            await wait_for(lambda: call(store, row["id"])["messages"], 10, "the first message")
            assert [m["content"] for m in call(store, row["id"])["messages"]] == ["overridden hello"]
            await controller.control(row["id"], command({"type": "end-call"}))
        done = await wait_for(lambda: (c := call(store, row["id"]))["status"] in ("ended", "rejected") and c, 10,
                              "the end")
    finally:
        await caller.stop()
    assert assistant_server["seen"] == ["assistant-request"]
    if reply == "error":
        assert (done["status"], done["ended_reason"]) == ("rejected", "assistant-request-returned-error")
        assert [m["content"] for m in done["messages"] if m["role"] == "assistant"] == ["We are closed"]
        heard, _ = read_wav(caller.heard_wav)  # type: ignore[arg-type]
        assert rms(heard) > 300, "the caller did not hear the error spoken"
    else:
        assert (done["status"], done["ended_reason"]) == ("ended", "assistant-ended-call")


async def test_max_duration_ends_the_call(controller: CallController, store: Database, tmp_path: Path) -> None:
    add_number(store, add_assistant(store, max_duration_seconds=10))  # the API's minimum
    source = tmp_path / "caller.wav"
    write_wav(source, tone(CALLER_HZ, 16.0))
    caller = await dial(tmp_path / "baresip", source, uri(controller), seconds=18)
    try:
        row = await wait_for(only_call(store), 10, "the call record")
        done = await wait_for(lambda: (c := call(store, row["id"]))["status"] == "ended" and c, 16, "ended")
    finally:
        await caller.stop()
    assert done["ended_reason"] == "exceeded-max-duration"
    assert 9.9 < done["duration_seconds"] < 11.0
