"""Outbound pacing on a virtual clock: 20 ms frames, seq/timestamp arithmetic, markers, barge-in."""

from __future__ import annotations

import random

from voicedock_ari.media.pacer import SLIN8, ULAW, RtpPacer
from voicedock_ari.media.rtp import parse


def frames(n: int, fmt=ULAW) -> bytes:
    return bytes([1]) * fmt.frame_bytes * n


def run(pacer: RtpPacer, start: float, end: float, step: float = 0.001) -> list[tuple[float, object]]:
    sent = []
    t = start
    while t <= end + 1e-9:
        sent += [(round(t, 3), parse(p)) for p in pacer.due(t)]
        t += step
    return sent


def test_frames_leave_every_20ms_with_seq_plus_one_and_timestamp_plus_160() -> None:
    pacer = RtpPacer(ULAW, ssrc=5, sequence=100, timestamp=1000)
    pacer.enqueue(frames(5))
    sent = run(pacer, 0.0, 0.2)
    assert [t for t, _ in sent] == [0.0, 0.02, 0.04, 0.06, 0.08]
    assert [p.sequence for _, p in sent] == [100, 101, 102, 103, 104]
    assert [p.timestamp for _, p in sent] == [1000, 1160, 1320, 1480, 1640]
    assert {p.ssrc for _, p in sent} == {5}
    assert [p.marker for _, p in sent] == [True, False, False, False, False]
    assert all(p.payload_type == 0 and len(p.payload) == 160 for _, p in sent)


def test_sequence_and_timestamp_wrap() -> None:
    pacer = RtpPacer(ULAW, ssrc=1, sequence=65535, timestamp=(1 << 32) - 160)
    pacer.enqueue(frames(2))
    sent = [parse(p) for p in pacer.due(0.0) + pacer.due(0.02)]
    assert [p.sequence for p in sent] == [65535, 0]
    assert [p.timestamp for p in sent] == [(1 << 32) - 160, 0]


def test_random_start_values_differ_between_streams() -> None:
    a, b = RtpPacer(rng=random.Random(1)), RtpPacer(rng=random.Random(2))
    assert (a.ssrc, a.sequence, a.timestamp) != (b.ssrc, b.sequence, b.timestamp)


def test_new_talkspurt_gets_a_marker_and_timestamp_jumps_over_the_silence() -> None:
    pacer = RtpPacer(ULAW, ssrc=1, sequence=0, timestamp=0)
    pacer.enqueue(frames(1))
    first = parse(pacer.due(0.0)[0])
    assert pacer.due(0.5) == []
    pacer.enqueue(frames(1))
    second = parse(pacer.due(1.0)[0])
    assert first.marker and second.marker
    assert second.sequence == 1
    assert second.timestamp == 8000  # one second of 8 kHz time later


def test_audio_arriving_just_in_time_continues_the_talkspurt() -> None:
    pacer = RtpPacer(ULAW, ssrc=1, sequence=0, timestamp=0)
    pacer.enqueue(frames(1))
    pacer.due(0.0)
    pacer.enqueue(frames(1))
    second = parse(pacer.due(0.021)[0])
    assert not second.marker and second.timestamp == 160


def test_clear_drops_queued_audio_at_once_and_next_audio_starts_a_talkspurt() -> None:
    pacer = RtpPacer(ULAW, ssrc=1, sequence=0, timestamp=0)
    pacer.enqueue(frames(50) + b"\x01" * 10)
    pacer.due(0.0)
    assert pacer.clear() == 50  # 49 whole frames + the partial one
    assert pacer.due(1.0) == [] and pacer.idle
    pacer.enqueue(frames(1))
    assert parse(pacer.due(1.0)[0]).marker
    assert pacer.sent_frames == 2


def test_partial_frame_waits_until_flush_and_is_padded_with_silence() -> None:
    pacer = RtpPacer(ULAW, ssrc=1, sequence=0, timestamp=0)
    pacer.enqueue(b"\x01" * 100)
    assert pacer.due(0.0) == [] and not pacer.idle
    pacer.flush()
    packet = parse(pacer.due(0.0)[0])
    assert packet.payload == b"\x01" * 100 + b"\xff" * 60


def test_slin_frames_are_320_bytes_with_payload_type_10() -> None:
    pacer = RtpPacer(SLIN8, ssrc=1, sequence=0, timestamp=0)
    pacer.enqueue(frames(2, SLIN8))
    sent = [parse(p) for p in pacer.due(0.0) + pacer.due(0.02)]
    assert [(p.payload_type, len(p.payload)) for p in sent] == [(10, 320), (10, 320)]
    assert [p.timestamp for p in sent] == [0, 160]


def test_a_late_sender_gets_a_short_burst_not_the_whole_backlog() -> None:
    pacer = RtpPacer(ULAW, ssrc=1, sequence=0, timestamp=0)
    pacer.enqueue(frames(100))
    pacer.due(0.0)
    burst = pacer.due(1.0)
    assert 1 <= len(burst) <= 4
    assert pacer.next_deadline() is not None and pacer.next_deadline() > 1.0


def test_next_deadline_is_none_when_empty() -> None:
    pacer = RtpPacer()
    assert pacer.next_deadline() is None


def numbered(n: int) -> bytes:
    """n frames whose bytes say their number, so the order they leave in can be read back."""
    return b"".join(bytes([i]) * ULAW.frame_bytes for i in range(n))


def test_a_pause_keeps_the_queue_and_resumes_with_the_next_frame_as_a_new_talkspurt() -> None:
    pacer = RtpPacer(ULAW, ssrc=1, sequence=0, timestamp=0)
    pacer.enqueue(numbered(10))
    before = [parse(p) for t in (0.0, 0.02, 0.04) for p in pacer.due(t)]
    pacer.pause()
    assert pacer.next_deadline() is None
    assert run(pacer, 0.06, 0.5) == []  # nothing is sent while paused
    pacer.enqueue(numbered(2))  # audio synthesized meanwhile waits behind the kept queue
    assert pacer.queued_frames == 9
    pacer.resume()
    after = [p for _, p in run(pacer, 0.5, 0.8)]
    assert [p.payload[0] for p in before + after] == [*range(10), 0, 1]  # nothing lost, nothing repeated
    assert after[0].marker and not any(p.marker for p in after[1:])
    assert after[0].sequence == 3  # no gap in the sequence
    assert after[0].timestamp == 8000 * 0.5  # RTP time ran on through the pause
    assert pacer.sent_frames == 12


def test_clear_ends_a_pause() -> None:
    pacer = RtpPacer(ULAW, ssrc=1, sequence=0, timestamp=0)
    pacer.enqueue(frames(5))
    pacer.pause()
    assert pacer.clear() == 5
    pacer.enqueue(frames(1))
    assert len(pacer.due(1.0)) == 1
