"""Media path for externalMedia: RTP parsing, jitter buffer, pacing, UDP endpoint.

The G.711/slin codecs it speaks live in `voicedock.audio`, shared with the engines.
"""

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
    "RtpEndpoint",
    "RtpError",
    "RtpExtension",
    "RtpPacer",
    "RtpPacket",
    "pack",
    "parse",
]
