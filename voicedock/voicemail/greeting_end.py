"""When a recorded greeting is over, so the message is left on the recording and not talked over.

Most voicemail systems end their greeting with a beep: a pure tone, unlike speech, whose energy
spreads over many harmonics. A tone that holds one frequency for `min_tone_seconds` is the beep,
and the message starts as soon as it stops. A greeting without a beep is over after
`end_silence_seconds` of silence; and whatever the machine does, the message starts after
`max_wait_seconds`. Pure: fed per 20 ms frame.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from voicedock.audio import SAMPLE_RATE, Pcm

TONE_SHARE = 0.85  # of a frame's energy within ±100 Hz of its peak: a tone (speech stays far below)
TONE_BAND = (500.0, 3000.0)  # voicemail beeps (commonly 700-1400 Hz); below it, voices hold tones too
_WINDOW = np.hanning(160)


def tone_hz(frame: Pcm, floor: float) -> float | None:
    """The frequency of a pure tone filling this frame, or None (speech, noise, silence)."""
    if len(frame) != len(_WINDOW):
        return None
    samples = frame.astype(np.float64)
    if float(np.sqrt(np.mean(samples**2))) < floor:
        return None
    power = np.abs(np.fft.rfft(samples * _WINDOW)) ** 2
    bin_hz = SAMPLE_RATE / len(frame)
    lo, hi = int(TONE_BAND[0] / bin_hz), int(TONE_BAND[1] / bin_hz) + 1
    peak = lo + int(np.argmax(power[lo:hi]))
    share = float(power[max(0, peak - 2): peak + 3].sum() / max(power.sum(), 1e-9))
    return peak * bin_hz if share >= TONE_SHARE else None


class Ending(enum.Enum):
    BEEP = "beep"
    SILENCE = "silence"
    LIMIT = "limit"


@dataclass(frozen=True)
class GreetingEndSettings:
    min_tone_seconds: float = 0.16
    end_silence_seconds: float = 1.5
    max_wait_seconds: float = 30.0


@dataclass
class GreetingEnd:
    """`process(seconds, is_speech, tone)` per frame returns how the greeting ended, once it has."""

    settings: GreetingEndSettings = GreetingEndSettings()
    elapsed: float = 0.0
    ending: Ending | None = None
    _tone: float | None = None
    _tone_run: float = 0.0
    _beep = False
    _silence: float = 0.0

    def process(self, seconds: float, is_speech: bool, tone: float | None) -> Ending | None:
        if self.ending is not None:
            return self.ending
        self.elapsed += seconds
        s = self.settings
        if tone is not None:
            same = self._tone is not None and abs(tone - self._tone) <= 60.0
            self._tone_run = self._tone_run + seconds if same else seconds
            self._tone = tone
            self._beep = self._beep or self._tone_run >= s.min_tone_seconds - 1e-9
        elif self._beep:
            self.ending = Ending.BEEP
            return self.ending
        else:
            self._tone, self._tone_run = None, 0.0
        self._silence = 0.0 if is_speech or tone is not None else self._silence + seconds
        if self._silence >= s.end_silence_seconds - 1e-9:
            self.ending = Ending.SILENCE
        elif self.elapsed >= s.max_wait_seconds - 1e-9:
            self.ending = Ending.LIMIT
        return self.ending
