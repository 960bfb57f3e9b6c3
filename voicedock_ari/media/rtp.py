"""RTP packet parsing and packing (RFC 3550, section 5.1).

Kept free of sockets so that malformed input can be tested exhaustively; every failure is an
`RtpError` with a machine `code`, never an `IndexError` or `struct.error` from deep inside.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

RTP_VERSION = 2
HEADER_SIZE = 12
_HEADER = struct.Struct("!BBHII")
_EXT_HEADER = struct.Struct("!HH")


class RtpError(ValueError):
    """A datagram that is not a well-formed RTP packet."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class RtpExtension:
    """The single header extension RFC 3550 allows: a 16-bit profile word and 32-bit-aligned data."""

    profile: int
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet; `padding` is the number of padding octets (0 = none) including the count octet."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    extension: RtpExtension | None = None
    padding: int = 0


def parse(data: bytes) -> RtpPacket:
    """Decode one datagram, raising `RtpError` for anything a sender could get wrong."""
    if len(data) < HEADER_SIZE:
        raise RtpError("too_short", f"RTP packet of {len(data)} bytes is shorter than the 12-byte header")
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
    version = first >> 6
    if version != RTP_VERSION:
        raise RtpError("bad_version", f"RTP version {version}, expected {RTP_VERSION}")
    has_padding = bool(first & 0x20)
    has_extension = bool(first & 0x10)
    csrc_count = first & 0x0F
    offset = HEADER_SIZE + 4 * csrc_count
    if len(data) < offset:
        raise RtpError("truncated_csrc", f"RTP packet announces {csrc_count} CSRCs but is {len(data)} bytes")
    csrcs = struct.unpack_from(f"!{csrc_count}I", data, HEADER_SIZE) if csrc_count else ()
    extension = None
    if has_extension:
        if len(data) < offset + 4:
            raise RtpError("truncated_extension", "RTP extension header is cut off")
        profile, words = _EXT_HEADER.unpack_from(data, offset)
        offset += 4
        end = offset + 4 * words
        if len(data) < end:
            raise RtpError("truncated_extension", f"RTP extension announces {words} words beyond the packet")
        extension = RtpExtension(profile, bytes(data[offset:end]))
        offset = end
    end = len(data)
    padding = 0
    if has_padding:
        padding = data[-1]
        if padding == 0 or padding > end - offset:
            raise RtpError("bad_padding", f"RTP padding count {padding} does not fit the packet")
        end -= padding
    return RtpPacket(
        payload_type=second & 0x7F,
        sequence=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        payload=bytes(data[offset:end]),
        marker=bool(second & 0x80),
        csrcs=tuple(csrcs),
        extension=extension,
        padding=padding,
    )


def pack(packet: RtpPacket) -> bytes:
    """Encode a packet, refusing field values that would silently wrap on the wire."""
    _check_range("payload_type", packet.payload_type, 0x7F)
    _check_range("sequence", packet.sequence, 0xFFFF)
    _check_range("timestamp", packet.timestamp, 0xFFFFFFFF)
    _check_range("ssrc", packet.ssrc, 0xFFFFFFFF)
    if len(packet.csrcs) > 15:
        raise RtpError("too_many_csrcs", f"{len(packet.csrcs)} CSRCs, at most 15 fit")
    for csrc in packet.csrcs:
        _check_range("csrc", csrc, 0xFFFFFFFF)
    _check_range("padding", packet.padding, 0xFF)
    first = (RTP_VERSION << 6) | len(packet.csrcs)
    if packet.padding:
        first |= 0x20
    if packet.extension is not None:
        first |= 0x10
    second = packet.payload_type | (0x80 if packet.marker else 0)
    parts = [_HEADER.pack(first, second, packet.sequence, packet.timestamp, packet.ssrc)]
    if packet.csrcs:
        parts.append(struct.pack(f"!{len(packet.csrcs)}I", *packet.csrcs))
    if packet.extension is not None:
        ext = packet.extension
        _check_range("extension profile", ext.profile, 0xFFFF)
        if len(ext.data) % 4:
            raise RtpError("bad_extension", "RTP extension data must be a multiple of 4 bytes")
        parts.append(_EXT_HEADER.pack(ext.profile, len(ext.data) // 4))
        parts.append(ext.data)
    parts.append(packet.payload)
    if packet.padding:
        parts.append(bytes(packet.padding - 1) + bytes([packet.padding]))
    return b"".join(parts)


def _check_range(name: str, value: int, maximum: int) -> None:
    if not 0 <= value <= maximum:
        raise RtpError("out_of_range", f"RTP {name} {value} is outside 0..{maximum}")
