"""Person or answering machine, from the first seconds of an answered call.

A person answers with a short phrase ("Hello?", "Yes, this is Sam") and then waits for the other
side; a recorded greeting talks on ("You've reached ..., please leave a message after the tone")
with only short pauses. So the first utterance decides: speech that runs on for `machine_seconds`
is a machine; an utterance followed by `human_silence_seconds` of silence is a person, and so is an
answer that stays silent for `silent_answer_seconds` (a person waiting for the caller to speak).
The thresholds come from the dev half of the greeting set (`voicedock_bench.voicemail`); the
figures on its held-apart test half are in docs/telephony.md.

Pure: fed one frame's duration and whether it held speech, on the audio's own clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Verdict(enum.Enum):
    HUMAN = "human"
    MACHINE = "machine"


@dataclass(frozen=True)
class DetectorSettings:
    machine_seconds: float = 2.4
    """An utterance running this long, pauses shorter than `human_silence_seconds` included, is a greeting."""
    human_silence_seconds: float = 0.5
    """Silence this long after an utterance means the speaker is waiting for an answer: a person."""
    silent_answer_seconds: float = 1.5
    """Nobody speaks this long after the answer: a person waiting for the caller; never longer, so a
    person who says nothing is not left waiting."""
    onset_seconds: float = 0.06
    """Speech must last this long to start an utterance (a click or a codec pop does not)."""


@dataclass
class VoicemailDetector:
    """`process(seconds, is_speech)` per frame returns a `Verdict` once, then keeps returning it."""

    settings: DetectorSettings = DetectorSettings()
    elapsed: float = 0.0
    verdict: Verdict | None = None
    _run: float = 0.0  # speech seconds in a row, before the utterance has started
    _start: float | None = None  # when the utterance started
    _silence: float = 0.0  # silence since the utterance's last speech

    def process(self, seconds: float, is_speech: bool) -> Verdict | None:
        if self.verdict is not None:
            return self.verdict
        self.elapsed += seconds
        s = self.settings
        if self._start is None:
            self._run = self._run + seconds if is_speech else 0.0
            if self._run >= s.onset_seconds - 1e-9:
                self._start = self.elapsed - self._run
            elif self.elapsed >= s.silent_answer_seconds - 1e-9:
                self.verdict = Verdict.HUMAN
            return self.verdict
        self._silence = 0.0 if is_speech else self._silence + seconds
        if self._silence >= s.human_silence_seconds - 1e-9:
            self.verdict = Verdict.HUMAN
        elif self.elapsed - self._start >= s.machine_seconds - 1e-9:
            self.verdict = Verdict.MACHINE
        return self.verdict

    @property
    def speech_started_at(self) -> float | None:
        """Seconds after the answer at which the first utterance began (None: no speech yet)."""
        return self._start
