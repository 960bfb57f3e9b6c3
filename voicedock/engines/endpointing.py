"""Decide when the caller has started and finished a turn, from VAD decisions alone.

Pure and clock-free: the caller passes the duration of each chunk, so tests replay a
conversation in microseconds and the same logic works for any frame size.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class EndpointEvent(enum.Enum):
    NONE = "none"
    SPEECH_STARTED = "speech_started"
    SPEECH_ENDED = "speech_ended"
    TIMEOUT = "timeout"
    PAUSE_CHECK = "pause_check"  # ask the end-of-turn model whether this pause ends the turn


def _plan_value(plan: Mapping[str, Any], snake: str, default: float) -> float:
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), snake)
    value = plan.get(snake, plan.get(camel))
    return float(value) if value is not None else default


@dataclass
class Endpointer:
    """Turn detector: speech must last `min_speech_seconds` to count, and `wait_seconds` of
    silence after it ends the turn; with no speech for `timeout_seconds` it reports TIMEOUT.

    With an end-of-turn model, `check_seconds` are the silences at which it is asked
    (PAUSE_CHECK, numbered by `pause`); its answer comes back through `verdict`, and
    `wait_seconds` is then only the longest wait, for when it never says the caller has finished.
    A pause whose words stop mid-phrase (`hold_open`) may last up to `mid_phrase_wait_seconds`:
    a caller who says "I'm looking for" and stops to think is not done after a second.
    """

    wait_seconds: float = 0.4
    min_speech_seconds: float = 0.15
    timeout_seconds: float = 10.0
    max_speech_seconds: float = 30.0
    check_seconds: tuple[float, ...] = ()
    mid_phrase_wait_seconds: float = 0.0

    in_speech: bool = False
    speech_seconds: float = 0.0
    silence_seconds: float = 0.0
    idle_seconds: float = 0.0
    _pending_speech: float = 0.0
    pause: int = 0  # numbers the silences after speech, so a late verdict is never applied to a new one
    _checks_done: int = 0
    _mid_phrase: bool = False  # the words of this pause stop mid-phrase (`hold_open`)

    @classmethod
    def from_start_speaking_plan(cls, plan: Mapping[str, Any] | None, **overrides: float) -> Endpointer:
        """Build from an assistant's `start_speaking_plan` (snake or camelCase keys)."""
        plan = plan or {}
        return cls(
            wait_seconds=_plan_value(plan, "wait_seconds", overrides.get("wait_seconds", 0.4)),
            min_speech_seconds=_plan_value(plan, "min_speech_seconds", overrides.get("min_speech_seconds", 0.15)),
            timeout_seconds=_plan_value(plan, "timeout_seconds", overrides.get("timeout_seconds", 10.0)),
            max_speech_seconds=_plan_value(plan, "max_speech_seconds", overrides.get("max_speech_seconds", 30.0)),
        )

    def reset(self) -> None:
        """Start listening for the next turn."""
        self.in_speech = False
        self.speech_seconds = self.silence_seconds = self.idle_seconds = self._pending_speech = 0.0
        self._checks_done = 0
        self._mid_phrase = False

    def process(self, chunk_seconds: float, is_speech: bool) -> EndpointEvent:
        """Feed one chunk's VAD decision; returns the event it causes, if any."""
        if self.in_speech:
            return self._while_speaking(chunk_seconds, is_speech)
        if is_speech:
            self._pending_speech += chunk_seconds
            if self._pending_speech >= self.min_speech_seconds:
                self.in_speech = True
                self.speech_seconds = self._pending_speech
                self.silence_seconds = 0.0
                return EndpointEvent.SPEECH_STARTED
            return EndpointEvent.NONE
        self._pending_speech = 0.0
        self.idle_seconds += chunk_seconds
        if self.timeout_seconds > 0 and self.idle_seconds >= self.timeout_seconds:
            self.idle_seconds = 0.0
            return EndpointEvent.TIMEOUT
        return EndpointEvent.NONE

    def _while_speaking(self, chunk_seconds: float, is_speech: bool) -> EndpointEvent:
        self.speech_seconds += chunk_seconds
        if is_speech:
            self.silence_seconds = 0.0
            self._checks_done = 0
            self._mid_phrase = False
        else:
            if self.silence_seconds == 0.0:
                self.pause += 1
            self.silence_seconds += chunk_seconds
        longest = max(self.wait_seconds, self.mid_phrase_wait_seconds) if self._mid_phrase else self.wait_seconds
        if self.silence_seconds >= longest or self.speech_seconds >= self.max_speech_seconds:
            self.reset()
            return EndpointEvent.SPEECH_ENDED
        checks = self.check_seconds
        if self._checks_done < len(checks) and self.silence_seconds >= checks[self._checks_done] - 1e-9:
            self._checks_done += 1
            return EndpointEvent.PAUSE_CHECK
        return EndpointEvent.NONE

    def verdict(self, pause: int, complete: bool) -> EndpointEvent:
        """The model's answer for `pause`: the turn ends if it says so and the caller is still
        silent in that same pause; a verdict that arrives after the caller went on is dropped."""
        if complete and self.in_speech and pause == self.pause and self.silence_seconds > 0.0:
            self.reset()
            return EndpointEvent.SPEECH_ENDED
        return EndpointEvent.NONE

    def hold_open(self, pause: int) -> None:
        """The words of `pause` stop mid-phrase: it ends the turn only after `mid_phrase_wait_seconds`
        of silence; the caller's next voice undoes it, and a late answer for an older pause is dropped."""
        if self.in_speech and pause == self.pause and self.silence_seconds > 0.0:
            self._mid_phrase = True


_ENDS_WITH_NUMBER = re.compile(r"\d[\d\s.,:]*$")


def transcription_wait_seconds(text: str, plan: Mapping[str, Any] | None = None) -> float:
    """Extra wait after a transcript, by how it ends: a finished sentence needs little, a trailing
    number (a phone number being read out) or an unfinished phrase needs more."""
    plan = dict(
        (plan or {}).get("transcription_endpointing_plan") or (plan or {}).get("transcriptionEndpointingPlan") or {}
    )
    stripped = text.strip()
    if _ENDS_WITH_NUMBER.search(stripped):
        return _plan_value(plan, "on_number_seconds", 0.5)
    if stripped.endswith((".", "!", "?")):
        return _plan_value(plan, "on_punctuation_seconds", 0.1)
    return _plan_value(plan, "on_no_punctuation_seconds", 1.5)


# Words a finished sentence almost never ends on: articles and possessives, prepositions,
# conjunctions, subject pronouns, fillers. Words that often end an answer ("thank you", "book
# it", "I can", "I think so", "log in") are left out: holding a finished turn costs the longest
# wait, cutting a caller off costs the turn.
_OPEN_ENDINGS = frozenset("""a an the my your our their
to for of with about from by into onto at than as like
and or but because if whether when while although unless until
i we they i'm we're they're i'd we'd i'll we'll
um uh er erm""".split())
_COPULAS = frozenset("is are was were am".split())
# "Yes, it is." ends on a copula after a pronoun; "My number is" does not.
_PRONOUNS = frozenset("it that this there he she they we you i what who here which".split())
_TRAILING = ("...", "…", ",", "-", "–", "—", ";", ":")
_WORD = re.compile(r"[A-Za-z0-9']+")


# The digits a caller is reading out, in the groups they pause between: "555, 441", "SD 04",
# "0 4 7". A time ("10:30") or an ordinal ("12th") is no group of them.
_DIGIT_GROUPS = re.compile(r"(?:^|[^\w:.]|(?<=[A-Z]))((?:\d+[\s,-]+)*\d+)\W*$")
DICTATED_DIGITS = 7  # fewer, read in groups or from a 0, and the number is still being read


def dictating(text: str) -> bool:
    """Whether the words stop partway through a number read out in groups ("My number is 555,
    441", "Sure, SD04."): callers pause between the groups, and a turn ended there books
    nothing and asks for the number again. A whole number ("It's 555-0166."), a time ("at
    10:30") or one count ("for 4") is not."""
    found = _DIGIT_GROUPS.search(text.strip())
    if found is None:
        return False
    groups = re.findall(r"\d+", found.group(1))
    digits = sum(len(g) for g in groups)
    return digits < DICTATED_DIGITS and (len(groups) >= 2 or groups[0].startswith("0"))


def looks_unfinished(text: str) -> bool:
    """Whether a transcript of the caller's words so far stops mid-phrase ("My number is",
    "I'm calling on behalf of", "I've been trying to...", "555, 441"): the end-of-turn model
    hears intonation, these words say the sentence cannot be over. A question mark always counts
    as finished."""
    stripped = text.strip()
    if not stripped or stripped.endswith("?"):
        return False
    if stripped.endswith(_TRAILING) or dictating(stripped):
        return True
    words = _WORD.findall(stripped.lower())
    if not words:
        return False
    last = words[-1]
    if last in _COPULAS:
        return len(words) < 2 or words[-2] not in _PRONOUNS
    return last in _OPEN_ENDINGS


_GREETING = re.compile(r"^\W*(?:(?:oh|yes|yeah|um|uh|well)\W+)?(?:hello|hi|hey|hiya|howdy|good (?:morning|afternoon|"
                       r"evening|day))(?:\W+(?:there|again|yes|hi|hello))*[\s.!,]*$", re.I)


def is_bare_greeting(text: str) -> bool:
    """Only a greeting, not asked ("Hello.", "Hi there,", "Good morning!"): what a caller says
    before the reason for the call. The words model finds "Hello" a finished sentence, so a
    comma's pause after it ended the turn, and the reply to "Hello" talked over "I would like to
    book an appointment". "Hello?" asks whether anyone is there and stays a finished turn."""
    return bool(_GREETING.match(text))


WORDS_MIN = 3  # "No.", "Tuesday.", "At three." are whole answers a language model finds unlikely to end


def _words(text: str) -> int:
    return len(_WORD.findall(text))


@dataclass(frozen=True)
class WordsRule:
    """How a words model's probability that the words so far end a sentence is read: the profile's
    `turn.words` settings (`WordsTurnDetector`). The default reads nothing from it."""

    unfinished_below: float = 0.0
    finished_from: float = 2.0
    unsure_voice_threshold: float = 0.0  # the voice model's threshold where the words model cannot tell
    question_finished_from: float = 2.0  # `finished_from` for words the STT ended with a question mark

    @classmethod
    def of(cls, words: Any) -> WordsRule:
        """The rule a words model (`WordsTurnDetector`) carries in its settings."""
        return cls(words.unfinished_below, words.finished_from, words.unsure_voice_threshold,
                   words.question_finished_from)


def words_verdict(text: str, probability: float | None, rule: WordsRule) -> bool | None:
    """What the words so far say of the end of the turn: False when they stop mid-phrase (by
    `looks_unfinished`, or a words model's `probability` under `unfinished_below` for three words
    or more), True when the model finds the sentence ended (from `finished_from`, or from
    `question_finished_from` for words the STT ended with a question mark), None when they do not
    say and the voice decides.

    A question gets its own, lower bar: whole questions score 0.1-0.5 ("Where can I find your
    shop?" 0.499), while the heads Whisper turns into short questions score under 0.1 ("Could you
    check if" heard "Could you check it?", 0.095) on the false-cut-off set."""
    if looks_unfinished(text):
        return False
    if probability is None:
        return None
    if probability < rule.unfinished_below and _words(text) >= WORDS_MIN:
        return False
    if probability >= rule.finished_from:
        return True
    if text.rstrip().endswith("?") and probability >= rule.question_finished_from:
        return True
    return None


def end_verdict(voice: float, threshold: float, text: str | None, probability: float | None,
                rule: WordsRule = WordsRule()) -> tuple[bool, bool]:
    """Whether the caller has finished at a pause, and whether their words stop mid-phrase: the voice
    model's probability `voice` against `threshold`, overruled by the words so far (`text`, None
    when there is no transcript) as `words_verdict` reads them with the words model's `probability`.

    Where the words model has read three words or more and cannot tell, the voice must reach
    `rule.unsure_voice_threshold` (when that is higher): Whisper completes a cut-off phrase into a plausible
    one ("I'm looking for" heard as "I'm looking for it."), which the words model then finds
    neither finished nor unfinished, while the voice model hears a fall in pitch."""
    if text is None:
        return voice >= threshold, False
    if is_bare_greeting(text):  # the longest wait ends it, unless the caller goes on
        return False, False
    verdict = words_verdict(text, probability, rule)
    if verdict is not None:
        return verdict, not verdict
    unsure = probability is not None and _words(text) >= WORDS_MIN
    return voice >= (max(threshold, rule.unsure_voice_threshold) if unsure else threshold), False
