"""Live call control against the real Asterisk: DTMF, end-call, transfer, outbound calls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.commands import command
from voicedock.schemas.calls import CallCreate
from voicedock.store import Database, records
from voicedock_ari.controller import CallController
from voicedock_bench.ports import free_port
from voicedock_bench.sipp import sipp_command, uac_scenario

from .audio import dominant_hz, read_wav, tone, write_wav
from .callers import dial, listen, refusing_callee
from .harness import (
    NUMBER,
    add_assistant,
    add_loopback_trunk,
    add_number,
    call,
    only_call,
    start_live_call,
    uri,
    wait_for,
    webhook_events,
)

pytestmark = pytest.mark.asterisk



async def test_dtmf_digits_reach_the_session_and_the_record(controller: CallController, store: Database,
                                                            tmp_path: Path) -> None:
    add_number(store, add_assistant(store))
    scenario = tmp_path / "dtmf.xml"
    scenario.write_text(uac_scenario(hold_ms=1500, dtmf="42#"))
    cmd = sipp_command(scenario, f"127.0.0.1:{controller.asterisk.sip_port}", NUMBER, calls=1,
                       local_port=free_port("udp"), timeout_s=20)
    sipp = await asyncio.create_subprocess_exec(*cmd, cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL)
    row = await wait_for(only_call(store), 10, "the call")
    live = await wait_for(lambda: next(iter(controller.live_calls()), None), 10, "live call")
    session = await wait_for(lambda: live.session, 10, "session")
    assert await asyncio.wait_for(sipp.wait(), 20) == 0, (tmp_path / "dtmf_errors.log")
    done = await wait_for(lambda: (c := call(store, row["id"]))["status"] == "ended" and c, 10, "ended")
    assert [m["content"] for m in done["messages"] if m["role"] == "dtmf"] == ["4", "2", "#"]
    assert session.digits == ["4", "2", "#"]
    assert done["ended_reason"] == "customer-ended-call"


async def test_end_call_command_says_goodbye_and_hangs_up(controller: CallController, store: Database,
                                                          tmp_path: Path) -> None:
    async with start_live_call(controller, store, tmp_path, tone(440.0, 12.0), seconds=15) as placed:
        row = placed.record()
        assert controller.is_live(row["id"])
        channel_id = controller.live_calls()[0].channel_id
        result = await controller.control(row["id"], command({"type": "end-call", "message": "good bye"}))
        assert result == "call ended"
        done = await placed.ended()
        assert await controller.ari.get_channel(channel_id) is None, "the caller's channel is still up"
    caller = placed.caller
    assert done["ended_reason"] == "assistant-ended-call"
    assert [m["content"] for m in done["messages"]] == ["good bye"]
    assert not controller.is_live(row["id"])
    assert webhook_events(store, row["id"]).count("end-of-call-report") == 1
    pcm, rate = read_wav(caller.heard_wav)  # type: ignore[arg-type]
    start = int(abs(pcm).argmax()) if len(pcm) else 0
    assert abs(dominant_hz(pcm[max(0, start - 400): start + 1200], rate) - 600) < 20, "the caller heard no goodbye"


async def test_transfer_to_a_sip_endpoint_reaches_it(controller: CallController, store: Database,
                                                     tmp_path: Path) -> None:
    add_number(store, add_assistant(store))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 14.0))
    port = free_port("udp")
    target_audio = tmp_path / "target.wav"
    write_wav(target_audio, tone(1300.0, 14.0))
    target = await listen(tmp_path / "target", target_audio, port, seconds=16)
    await asyncio.sleep(0.5)
    caller = await dial(tmp_path / "caller", source, uri(controller), seconds=12)
    try:
        row = await wait_for(only_call(store), 10, "the call")
        await wait_for(lambda: call(store, row["id"])["status"] == "in-progress", 10, "in-progress")
        dest = f"sip:callee@127.0.0.1:{port}"
        result = await controller.control(row["id"], command({"type": "transfer", "destination": dest}))
        assert dest in result
        done = await wait_for(lambda: (c := call(store, row["id"]))["status"] == "ended" and c, 10, "ended")
        assert done["ended_reason"] == "transferred"
        await wait_for(lambda: target.heard_wav is not None, 10, "the transfer target to answer")
        await asyncio.sleep(2.0)
    finally:
        await caller.stop()
        await target.stop()
    heard, rate = read_wav(target.heard_wav)  # type: ignore[arg-type]
    loud = heard[abs(heard) > 2000]
    assert len(loud) > rate // 2, "the transfer target heard nothing of the caller"
    assert abs(dominant_hz(heard[-rate:], rate) - 440.0) < 20, "the target did not hear the caller's tone"


async def test_outbound_call_to_a_sip_endpoint_is_answered_and_ended(controller: CallController, store: Database,
                                                                     tmp_path: Path) -> None:
    assistant_id = add_assistant(store, first_message="hello there")
    port = free_port("udp")
    audio = tmp_path / "callee.wav"
    write_wav(audio, tone(440.0, 10.0))
    callee = await listen(tmp_path / "callee", audio, port, seconds=12)
    await asyncio.sleep(0.5)
    try:
        call_id = await controller.start_outbound(CallCreate.model_validate(
            {"assistant_id": assistant_id, "customer": {"number": f"sip:callee@127.0.0.1:{port}"}, "metadata": {"k": 1}}))
        assert call(store, call_id)["status"] in ("queued", "ringing", "in-progress")
        await wait_for(lambda: call(store, call_id)["status"] == "in-progress", 10, "answered")
        await wait_for(lambda: len(call(store, call_id)["messages"]) == 1, 10, "the first message")
        leg = controller.live_calls()[0].leg
        assert leg is not None
        await asyncio.wait_for(leg.endpoint.wait_sent(), 5)
        await asyncio.sleep(0.3)
        await controller.control(call_id, command({"type": "end-call"}))
        done = await wait_for(lambda: (c := call(store, call_id))["status"] == "ended" and c, 10, "ended")
    finally:
        await callee.stop()
    assert done["type"] == "outbound_phone_call" and done["metadata"] == {"k": 1}
    assert done["ended_reason"] == "assistant-ended-call" and done["duration_seconds"] > 0
    heard, rate = read_wav(callee.heard_wav)  # type: ignore[arg-type]
    start = int(abs(heard).argmax())
    assert abs(dominant_hz(heard[max(0, start - 400): start + 1200], rate) - 600) < 20


async def test_outbound_call_nobody_answers_fails_with_a_reason(controller: CallController, store: Database) -> None:
    assistant_id = add_assistant(store)
    controller.ring_seconds = 3
    port = free_port("udp")  # nothing listens there
    call_id = await controller.start_outbound(CallCreate.model_validate(
            {"assistant_id": assistant_id, "customer": {"number": f"sip:nobody@127.0.0.1:{port}"}}))
    done = await wait_for(lambda: (c := call(store, call_id))["status"] == "failed" and c, 10, "failed")
    assert done["ended_reason"] in ("customer-did-not-answer", "failed-to-connect")
    assert not controller.is_live(call_id)


@pytest.mark.parametrize(("status", "reason", "ended_reason"), [
    (486, "Busy Here", "customer-busy"),
    (603, "Decline", "customer-rejected-call"),
])
async def test_outbound_call_that_rings_then_is_refused_fails_with_the_cause(
    controller: CallController, store: Database, status: int, reason: str, ended_reason: str
) -> None:
    assistant_id = add_assistant(store)
    port = free_port("udp")
    callee = await refusing_callee(port, status, reason, ring_seconds=2.0)
    try:
        call_id = await controller.start_outbound(CallCreate.model_validate(
            {"assistant_id": assistant_id, "customer": {"number": f"sip:callee@127.0.0.1:{port}"}}))
        await wait_for(lambda: call(store, call_id)["status"] == "ringing", 5, "ringing while the phone rings")
        done = await wait_for(lambda: (c := call(store, call_id))["status"] == "failed" and c, 10, "failed")
    finally:
        callee.close()
    assert done["ended_reason"] == ended_reason
    assert callee.methods[0] == "INVITE" and "ACK" in callee.methods
    assert not controller.is_live(call_id)


async def test_outbound_e164_call_goes_through_a_trunk_added_at_runtime(controller: CallController, store: Database,
                                                                       tmp_path: Path) -> None:
    port = free_port("udp")
    audio = tmp_path / "carrier.wav"
    write_wav(audio, tone(440.0, 10.0))
    carrier = await listen(tmp_path / "carrier", audio, port, seconds=12, user="+15550999")
    trunk = await add_loopback_trunk(controller, store, port, username="acct", password="not-logged")
    assert controller.health()["trunks"] == {trunk["id"]: {"status": "not-registering"}}
    assistant_id = add_assistant(store)
    try:
        call_id = await controller.start_outbound(CallCreate.model_validate(
            {"assistant_id": assistant_id, "customer": {"number": "+15550999"}, "sip_trunk_id": trunk["id"]}))
        await wait_for(lambda: call(store, call_id)["status"] == "in-progress", 10, "answered through the trunk")
        await controller.control(call_id, command({"type": "end-call"}))
        done = await wait_for(lambda: (c := call(store, call_id))["status"] == "ended" and c, 10, "ended")
    finally:
        await carrier.stop()
    assert done["ended_reason"] == "assistant-ended-call"
    assert "answering call" in carrier.log, "the carrier did not answer (it answers only +15550999)"


async def test_transfer_to_an_e164_number_goes_through_the_trunk(controller: CallController, store: Database,
                                                                 tmp_path: Path) -> None:
    port = free_port("udp")
    carrier_audio = tmp_path / "carrier.wav"
    write_wav(carrier_audio, tone(1300.0, 14.0))
    carrier = await listen(tmp_path / "carrier", carrier_audio, port, seconds=18, user="+15550999")
    trunk = await add_loopback_trunk(controller, store, port)
    number_id = add_number(store, add_assistant(store))
    store.write_sync(lambda d: records.update_number(d, number_id, {"sip_trunk_id": trunk["id"]}))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 14.0))
    caller = await dial(tmp_path / "caller", source, uri(controller), seconds=12)
    try:
        row = await wait_for(only_call(store), 10, "the call")
        await wait_for(lambda: call(store, row["id"])["status"] == "in-progress", 10, "in-progress")
        await controller.control(row["id"], command({"type": "transfer", "destination": "+15550999"}))
        done = await wait_for(lambda: (c := call(store, row["id"]))["status"] == "ended" and c, 10, "ended")
        await wait_for(lambda: carrier.heard_wav is not None, 10, "the carrier to answer the transfer")
        await asyncio.sleep(2.0)
    finally:
        await caller.stop()
        await carrier.stop()
    assert done["ended_reason"] == "transferred"
    assert "answering call" in carrier.log, "the carrier did not answer (it answers only +15550999)"
    heard, rate = read_wav(carrier.heard_wav)  # type: ignore[arg-type]
    assert abs(dominant_hz(heard[-rate:], rate) - 440.0) < 20, "the carrier did not hear the caller"
