"""The benchmark's SIP phone against a scripted SIP server over loopback UDP (no Asterisk)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from tests.telephony.callers import ScriptedPhone
from voicedock_bench import turn_metrics as tm
from voicedock_bench.sip_caller import CallFailed, SipCall, parse_sip, sdp_audio_address, tag_of, uri_of


def tone(seconds: float, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(8000 * seconds)) / 8000
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def test_sip_helpers_parse_what_asterisk_sends() -> None:
    message = parse_sip(b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKx\r\n"
                        b"To: <sip:+15550100@127.0.0.1>;tag=abc\r\nCSeq: 1 INVITE\r\n\r\nv=0")
    assert message.status == 200 and message.method == "INVITE" and message.body == "v=0"
    assert message.header("Via").startswith("SIP/2.0/UDP")  # compact header names are expanded
    assert tag_of(message.header("To")) == "abc"
    assert uri_of("<sip:a@127.0.0.1:5060;transport=udp>;tag=x") == "sip:a@127.0.0.1:5060;transport=udp"
    assert sdp_audio_address("v=0\r\nc=IN IP4 10.0.0.7\r\nm=audio 4000 RTP/AVP 0\r\n") == ("10.0.0.7", 4000)
    with pytest.raises(ValueError):
        parse_sip(b"\x80\x00 not sip")
    with pytest.raises(ValueError):
        sdp_audio_address("v=0\r\n")


async def test_a_call_streams_paced_audio_hears_the_far_end_and_hangs_up() -> None:
    server = await ScriptedPhone().start()
    try:
        call = SipCall()
        await call.dial(f"sip:+15550100@127.0.0.1:{server.port}")
        played = await call.play(np.concatenate([np.zeros(800, np.int16), tone(0.5)]))
        assert played.voice_started is not None and played.voice_ended is not None
        # 25 voiced frames of 20 ms went out, after the 5 silent ones
        assert played.voice_ended - played.voice_started == pytest.approx(0.48, abs=0.1)
        await asyncio.sleep(0.2)
        echoed = tm.voice_starts(call.heard, played.started, level=300)
        assert echoed is not None and echoed >= played.voice_started
        assert sum(1 for _, rms in call.heard if rms >= 300) >= 20
        assert len(call.sent) >= 30  # silence keeps flowing like a real phone
        await call.hangup()
    finally:
        server.close()
    methods = [r.method for r in server.requests]
    assert methods[:2] == ["INVITE", "ACK"] and methods[-1] == "BYE"
    bye = server.requests[-1]
    assert tag_of(bye.header("To")) == "srv1" and bye.header("Call-ID") == call.call_id
    assert bye.first_line.startswith("BYE sip:srv@127.0.0.1")  # sent to the far end's Contact


async def test_the_far_end_hanging_up_is_answered_and_noticed() -> None:
    server = await ScriptedPhone().start()
    try:
        call = SipCall()
        await call.dial(f"sip:+15550100@127.0.0.1:{server.port}")
        server.send_bye()
        await asyncio.wait_for(call.far_end_hung_up.wait(), 2)
        await asyncio.sleep(0.05)
        assert any(r.status == 200 and r.method == "BYE" for r in server.replies)
        await call.hangup()
        assert [r.method for r in server.requests].count("BYE") == 0  # no second BYE from the caller
    finally:
        server.close()


async def test_audio_queued_or_played_after_the_far_end_hung_up_never_waits() -> None:
    server = await ScriptedPhone().start()
    try:
        call = SipCall()
        await call.dial(f"sip:+15550100@127.0.0.1:{server.port}")
        queued = call.play(np.full(8000 * 5, 3000, dtype=np.int16))  # 5 s: still sending when the BYE comes
        server.send_bye()
        await asyncio.wait_for(call.far_end_hung_up.wait(), 2)
        played = await asyncio.wait_for(queued, 1)
        assert played.ended - played.started < 2
        later = await asyncio.wait_for(call.play(np.full(8000, 3000, dtype=np.int16)), 1)
        assert later.voice_started is None  # nothing of it was sent
        await call.hangup()
    finally:
        server.close()


async def test_a_busy_answer_fails_the_call_and_is_acknowledged() -> None:
    server = await ScriptedPhone(486, "Busy Here").start()
    try:
        call = SipCall()
        with pytest.raises(CallFailed) as failed:
            await call.dial(f"sip:+15550100@127.0.0.1:{server.port}")
        assert failed.value.status == 486
        await asyncio.sleep(0.05)
        assert [r.method for r in server.requests] == ["INVITE", "ACK"]
        await call.hangup()
    finally:
        server.close()


async def test_malformed_packets_are_counted_not_fatal() -> None:
    server = await ScriptedPhone().start()
    try:
        call = SipCall()
        await call.dial(f"sip:+15550100@127.0.0.1:{server.port}")
        rtp_port = call._rtp.get_extra_info("sockname")[1]  # type: ignore[union-attr]
        server.rtp.sendto(b"\x00garbage", ("127.0.0.1", rtp_port))
        server.sip.sendto(b"not sip at all", server.caller_sip)
        await asyncio.sleep(0.1)
        assert call.malformed == 2
        played = await call.play(tone(0.1))
        assert played.voice_started is not None
        await call.hangup()
    finally:
        server.close()
