"""Voice activity detection with WebRTC's GMM detector (webrtcvad-wheels).

Chosen because it is a small, maintained C extension with prebuilt wheels and no model file:
nothing to download, microseconds per frame, safe to call on the event loop.
"""

from __future__ import annotations

import webrtcvad

from voicedock.audio import PCM16, as_int16
from voicedock.engines.base import EngineError

SUPPORTED_RATES = (8000, 16000, 32000, 48000)
FRAME_MS = (10, 20, 30)


class WebRtcVad:
    """`aggressiveness` 0-3: higher rejects more noise as non-speech (telephone lines: 2)."""

    def __init__(self, aggressiveness: int = 2) -> None:
        if not 0 <= aggressiveness <= 3:
            raise EngineError("vad_config", f"aggressiveness must be 0-3, got {aggressiveness}")
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame_pcm16: PCM16, rate: int) -> bool:
        if rate not in SUPPORTED_RATES:
            raise EngineError("vad_rate", f"WebRTC VAD needs one of {SUPPORTED_RATES} Hz, got {rate}")
        samples = as_int16(frame_pcm16)
        if len(samples) * 1000 not in tuple(ms * rate for ms in FRAME_MS):
            raise EngineError("vad_frame", f"frame must be 10, 20 or 30 ms; got {len(samples)} samples at {rate} Hz")
        return bool(self._vad.is_speech(samples.astype("<i2").tobytes(), rate))
