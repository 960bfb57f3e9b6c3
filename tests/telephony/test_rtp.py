"""RTP header parsing/packing: every field survives a round trip, and bad input fails with a code."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicedock_ari.media.rtp import RtpError, RtpExtension, RtpPacket, pack, parse

packets = st.builds(
    RtpPacket,
    payload_type=st.integers(0, 127),
    sequence=st.integers(0, 0xFFFF),
    timestamp=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=400),
    marker=st.booleans(),
    csrcs=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15).map(tuple),
    extension=st.none()
    | st.builds(
        RtpExtension, profile=st.integers(0, 0xFFFF), data=st.binary(max_size=40).map(lambda b: b[: len(b) // 4 * 4])
    ),
    padding=st.integers(0, 255),
)


@given(packets)
def test_pack_then_parse_gives_back_every_field(packet: RtpPacket) -> None:
    assert parse(pack(packet)) == packet


def test_parses_a_hand_built_asterisk_ulaw_packet() -> None:
    header = struct.pack("!BBHII", 0x80, 0x80 | 0, 65535, 4294967295, 0xDEADBEEF)
    packet = parse(header + b"\xff" * 160)
    assert (packet.payload_type, packet.marker, packet.sequence, packet.timestamp, packet.ssrc) == (
        0,
        True,
        65535,
        4294967295,
        0xDEADBEEF,
    )
    assert packet.payload == b"\xff" * 160
    assert pack(packet) == header + b"\xff" * 160


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "too_short"),
        (b"\x80\x00" + bytes(9), "too_short"),
        (bytes([0x40, 0]) + bytes(10), "bad_version"),
        (bytes([0x83, 0]) + bytes(10) + bytes(8), "truncated_csrc"),
        (bytes([0x90, 0]) + bytes(10) + b"\x00\x01", "truncated_extension"),
        (bytes([0x90, 0]) + bytes(10) + b"\x00\x01\x00\x02" + bytes(4), "truncated_extension"),
        (bytes([0xA0, 0]) + bytes(10) + b"\x01\x02\x00", "bad_padding"),
        (bytes([0xA0, 0]) + bytes(10) + b"\x01\x02\x09", "bad_padding"),
    ],
)
def test_malformed_packets_raise_rtp_error_with_code(data: bytes, code: str) -> None:
    with pytest.raises(RtpError) as info:
        parse(data)
    assert info.value.code == code


@given(st.binary(max_size=64))
def test_arbitrary_bytes_never_raise_anything_but_rtp_error(data: bytes) -> None:
    try:
        parse(data)
    except RtpError:
        pass


@pytest.mark.parametrize(
    "packet",
    [
        RtpPacket(payload_type=128, sequence=0, timestamp=0, ssrc=0),
        RtpPacket(payload_type=0, sequence=65536, timestamp=0, ssrc=0),
        RtpPacket(payload_type=0, sequence=0, timestamp=1 << 32, ssrc=0),
        RtpPacket(payload_type=0, sequence=0, timestamp=0, ssrc=0, csrcs=tuple(range(16))),
        RtpPacket(payload_type=0, sequence=0, timestamp=0, ssrc=0, extension=RtpExtension(1, b"abc")),
    ],
)
def test_pack_refuses_values_that_would_wrap(packet: RtpPacket) -> None:
    with pytest.raises(RtpError):
        pack(packet)
