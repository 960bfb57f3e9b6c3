"""Media path for externalMedia: RTP parsing, G.711/slin codecs, jitter buffer, pacing, UDP endpoint."""

from .codec import Pcm, StreamResampler, resample, slin_decode, slin_encode, ulaw_decode, ulaw_encode
from .endpoint import EndpointStats, RtpEndpoint
from .jitter import JitterBuffer, JitterStats
from .pacer import SLIN8, ULAW, PayloadFormat, RtpPacer
from .rtp import RtpError, RtpExtension, RtpPacket, pack, parse

__all__ = [
    "SLIN8",
    "ULAW",
    "EndpointStats",
    "JitterBuffer",
    "JitterStats",
    "PayloadFormat",
    "Pcm",
    "RtpEndpoint",
    "RtpError",
    "RtpExtension",
    "RtpPacer",
    "RtpPacket",
    "StreamResampler",
    "pack",
    "parse",
    "resample",
    "slin_decode",
    "slin_encode",
    "ulaw_decode",
    "ulaw_encode",
]
