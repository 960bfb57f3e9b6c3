"""What turns a paused assistant's moment into an interruption: the pure rules of barge-in.

The assistant's audio pauses as soon as the caller's voice begins (`SpeechOnset`); these rules then
say whether the caller took the floor or only said "uh-huh", coughed, or the line crackled. They
read the caller's words and voiced seconds only, so they are tested without audio or a clock.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from voicedock.engines.base import Transcript

from .cues import is_chatter
from .listener import SpeechEnded

# Voice followed by this much silence before it added up to `voice_seconds` was a cough or an "uh":
# the assistant resumes. Measured from the last voiced frame; longer than a comma, since Piper's
# "Wait," is 0.2 s of voice and 0.35 s of pause.
QUIET_SECONDS = 0.5
# The same for voice the endpointer never confirmed as speech (a click, a crackle): the VAD only
# flickers on a word's soft start for a few frames, so the assistant goes on sooner.
NOISE_QUIET_SECONDS = 0.2
# The caller still talking this long after the pause began is taking the floor, whatever the words:
# "okay, I see" lasts under a second.
TALK_LIMIT_SECONDS = 1.5
# The longest wait for the caller's words once they are silent: by then the rule is applied to the
# voiced seconds alone, so a paused assistant never stays silent. A slow transcription costs an
# interruption nothing (its answer needs the words anyway), so this is long: on two busy cores
# tiny.en took 3.2 s for 0.9 s of "uh-huh, okay".
PAUSE_LIMIT_SECONDS = 4.0

# Whisper writes sounds as "(coughs)", "[BLANK_AUDIO]" or "*sigh*": no words.
_SOUNDS = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*")
# Whisper's spellings of a hummed "mm-hmm" ("Mhm.", "Mm-mm.", "Mmm."), which the cue list knows as "hmm".
_HUM = re.compile(r"\b(?:m+-?h*m+|hm+)\b", re.I)
# "No" is among the cue list's short answers, but said over the assistant it objects.
_OBJECTION = re.compile(r"\b(?:no|nope)\b", re.I)


@dataclass
class Hold:
    """The assistant's audio paused on the caller's voice, waiting for what it turns out to be."""

    since: float
    voiced_from: float  # the listener's `voiced_total` when it began: voice since then counts
    confirmed: bool  # the endpointer counts it as speech (until then no voice adds up)
    judging: tuple[int, asyncio.Task[Transcript]] | None = None  # the words up to the caller's pause
    interrupts: bool = False  # those words interrupt, once the caller's turn ends there
    ended: SpeechEnded | None = None  # the caller's turn ended before the words were judged

    def deadline(self, voiced: float, voice_seconds: float, last_voice_at: float) -> float:
        """When the pause must be decided without (more) words, given the `voiced` seconds since it began."""
        if voiced < voice_seconds - 1e-9:  # resumes after a silence, unless the caller goes on
            quiet = QUIET_SECONDS if self.confirmed else NOISE_QUIET_SECONDS
            return min(max(self.since, last_voice_at) + quiet, self.since + TALK_LIMIT_SECONDS)
        if self.judging is None and self.ended is None:  # the caller is talking
            return self.since + max(TALK_LIMIT_SECONDS, voice_seconds)
        return max(self.since, last_voice_at) + PAUSE_LIMIT_SECONDS


def spoken_words(text: str) -> list[str]:
    """The words of a transcript, without the sounds Whisper writes down or punctuation."""
    said = _HUM.sub("hmm", _SOUNDS.sub(" ", text))
    return [w for w in (re.sub(r"[^\w'-]+", "", word).strip("-'") for word in said.split()) if w]


def is_backchannel(words: list[str]) -> bool:
    """"uh-huh", "mm-hmm", "okay", "right", "yeah", "sure", "I see": the caller is listening."""
    said = " ".join(words)
    return bool(words) and is_chatter(said) and not _OBJECTION.search(said)


def interrupts(text: str, voiced: float, voice_seconds: float, num_words: int) -> bool:
    """`stop_speaking_plan`: `voice_seconds` of voice, and words that are not only a backchannel,
    at least `num_words` of them besides backchannel words when `num_words` > 0."""
    if voiced < voice_seconds - 1e-9:
        return False
    words = spoken_words(text)
    if not words or is_backchannel(words):
        return False
    content = [w for w in words if not is_backchannel([w])]
    return len(content) >= max(1, num_words)
