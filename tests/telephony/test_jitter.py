"""Jitter buffer: releases in sequence order, survives wrap-around, counts every kind of bad packet."""

from __future__ import annotations

from voicedock_ari.media.jitter import JitterBuffer, seq_delta
from voicedock_ari.media.rtp import RtpPacket


def pkt(seq: int, ssrc: int = 1) -> RtpPacket:
    return RtpPacket(payload_type=0, sequence=seq % 65536, timestamp=seq * 160 % (1 << 32), ssrc=ssrc, payload=b"x")


def seqs(packets: list[RtpPacket]) -> list[int]:
    return [p.sequence for p in packets]


def test_seq_delta_wraps_around_16_bits() -> None:
    assert seq_delta(0, 65535) == 1
    assert seq_delta(65535, 0) == -1
    assert seq_delta(10, 5) == 5


def test_in_order_packets_come_out_immediately() -> None:
    buf = JitterBuffer()
    out = []
    for s in range(5):
        buf.push(pkt(s), now=0)
        out += buf.pop_ready(now=0)
    assert seqs(out) == [0, 1, 2, 3, 4]
    assert buf.stats.delivered == 5 and buf.stats.lost == 0


def test_reordered_packets_are_put_back_in_order() -> None:
    buf = JitterBuffer(depth=3)
    out = []
    for s in [0, 2, 1, 3]:
        buf.push(pkt(s), now=0)
        out += buf.pop_ready(now=0)
    assert seqs(out) == [0, 1, 2, 3]
    assert buf.stats.lost == 0


def test_order_holds_across_the_sequence_wrap() -> None:
    buf = JitterBuffer(depth=3)
    out = []
    for s in [65534, 0, 65535, 1]:
        buf.push(pkt(s), now=0)
        out += buf.pop_ready(now=0)
    assert seqs(out) == [65534, 65535, 0, 1]


def test_gap_is_declared_lost_once_depth_packets_wait() -> None:
    buf = JitterBuffer(depth=3, max_wait=10)
    for s in [0, 2, 3]:
        buf.push(pkt(s), now=0)
    assert seqs(buf.pop_ready(now=0)) == [0]
    buf.push(pkt(4), now=0)
    assert seqs(buf.pop_ready(now=0)) == [2, 3, 4]
    assert buf.stats.lost == 1


def test_gap_is_declared_lost_after_max_wait_even_when_the_stream_stops() -> None:
    buf = JitterBuffer(depth=10, max_wait=0.06)
    buf.push(pkt(0), now=0.0)
    buf.push(pkt(2), now=0.02)
    assert seqs(buf.pop_ready(now=0.02)) == [0]
    assert buf.next_deadline() == 0.02 + 0.06
    assert buf.pop_ready(now=0.05) == []
    assert seqs(buf.pop_ready(now=0.09)) == [2]
    assert buf.stats.lost == 1


def test_late_packet_after_its_gap_was_skipped_is_counted_late() -> None:
    buf = JitterBuffer(depth=2)
    for s in [0, 2, 3]:
        buf.push(pkt(s), now=0)
        buf.pop_ready(now=0)
    buf.push(pkt(1), now=0)
    assert buf.pop_ready(now=0) == []
    assert buf.stats.late == 1


def test_duplicates_are_dropped_and_counted_whether_pending_or_played() -> None:
    buf = JitterBuffer(depth=5)
    buf.push(pkt(0), now=0)
    buf.pop_ready(now=0)
    buf.push(pkt(0), now=0)
    buf.push(pkt(2), now=0)
    buf.push(pkt(2), now=0)
    assert buf.stats.duplicate == 2
    assert buf.stats.late == 0


def test_first_ssrc_locks_and_others_are_dropped() -> None:
    buf = JitterBuffer()
    buf.push(pkt(0, ssrc=7), now=0)
    buf.push(pkt(1, ssrc=8), now=0)
    buf.push(pkt(1, ssrc=7), now=0)
    assert seqs(buf.pop_ready(now=0)) == [0, 1]
    assert buf.stats.wrong_ssrc == 1 and buf.ssrc == 7


def test_a_sequence_jump_resyncs_instead_of_stalling() -> None:
    buf = JitterBuffer(depth=3)
    buf.push(pkt(0), now=0)
    buf.pop_ready(now=0)
    buf.push(pkt(30000), now=0)
    assert seqs(buf.pop_ready(now=0)) == [30000]
    assert buf.stats.resyncs == 1


def test_drain_releases_everything_in_order() -> None:
    buf = JitterBuffer(depth=10, max_wait=10)
    for s in [0, 3, 2]:
        buf.push(pkt(s), now=0)
    assert seqs(buf.drain()) == [0, 2, 3]


def test_malformed_count_is_kept_with_the_rest() -> None:
    buf = JitterBuffer()
    buf.note_malformed()
    assert buf.stats.malformed == 1
