"""Who answered, decided from the first utterance: its length and the silence after it."""

from __future__ import annotations

from voicedock.voicemail.detector import DetectorSettings, Verdict, VoicemailDetector
from voicedock.voicemail.greeting_end import Ending, GreetingEnd, GreetingEndSettings

FRAME = 0.02


def run(pattern: list[tuple[float, bool]], detector: VoicemailDetector | None = None) -> tuple[Verdict | None, float]:
    """Feed (seconds, is_speech) spans frame by frame; the verdict and when it came."""
    detector = detector or VoicemailDetector()
    for seconds, speech in pattern:
        for _ in range(round(seconds / FRAME)):
            verdict = detector.process(FRAME, speech)
            if verdict is not None:
                return verdict, round(detector.elapsed, 3)
    return None, round(detector.elapsed, 3)


def test_a_short_hello_then_silence_is_a_person_decided_once_they_wait() -> None:
    settings = DetectorSettings()
    verdict, at = run([(0.4, False), (0.5, True), (3.0, False)])
    assert verdict is Verdict.HUMAN
    assert at == round(0.4 + 0.5 + settings.human_silence_seconds, 3)


def test_a_greeting_that_talks_on_through_short_pauses_is_a_machine() -> None:
    settings = DetectorSettings()
    words = [(0.35, True), (0.15, False)] * 12  # pauses between words are far below the person's wait
    verdict, at = run([(0.3, False), *words])
    assert verdict is Verdict.MACHINE
    assert at == round(0.3 + settings.machine_seconds, 3)


def test_a_longer_answer_with_a_pause_is_still_a_person() -> None:
    verdict, _ = run([(0.2, False), (0.4, True), (0.3, False), (0.7, True), (2.0, False)])  # "Yes, ... this is Sam"
    assert verdict is Verdict.HUMAN


def test_nobody_speaking_is_a_person_waiting_and_is_not_kept_waiting() -> None:
    verdict, at = run([(5.0, False)])
    assert verdict is Verdict.HUMAN and at == DetectorSettings().silent_answer_seconds


def test_a_click_does_not_start_an_utterance() -> None:
    detector = VoicemailDetector()
    run([(0.2, False), (0.02, True), (0.1, False)], detector)
    assert detector.speech_started_at is None


def test_the_verdict_is_kept_once_given() -> None:
    detector = VoicemailDetector()
    verdict, _ = run([(0.5, True), (1.0, False)], detector)
    assert verdict is Verdict.HUMAN and detector.process(FRAME, True) is Verdict.HUMAN


def feed(greeting: GreetingEnd, seconds: float, speech: bool, tone: float | None) -> Ending | None:
    for _ in range(round(seconds / FRAME)):
        ending = greeting.process(FRAME, speech, tone)
        if ending is not None:
            return ending
    return None


def test_the_message_starts_as_the_beep_stops() -> None:
    greeting = GreetingEnd()
    assert feed(greeting, 2.0, True, None) is None
    assert feed(greeting, 0.5, True, 1000.0) is None  # the beep, still sounding
    assert feed(greeting, 0.02, False, None) is Ending.BEEP
    assert round(greeting.elapsed, 3) == 2.52


def test_a_tone_too_short_or_wandering_is_not_a_beep() -> None:
    greeting = GreetingEnd()
    feed(greeting, 0.06, True, 700.0)
    for hz in (300.0, 500.0, 700.0, 900.0):  # a sweep of speech-like tonal frames
        greeting.process(FRAME, True, hz)
    assert feed(greeting, 0.5, True, None) is None


def test_without_a_beep_the_greeting_is_over_after_its_silence() -> None:
    settings = GreetingEndSettings()
    greeting = GreetingEnd(settings)
    feed(greeting, 1.0, True, None)
    assert feed(greeting, 0.5, False, None) is None  # a pause between sentences
    assert feed(greeting, 0.3, True, None) is None
    assert feed(greeting, 5.0, False, None) is Ending.SILENCE
    assert round(greeting.elapsed, 3) == round(1.8 + settings.end_silence_seconds, 3)


def test_a_machine_that_never_stops_gets_the_message_at_the_limit() -> None:
    greeting = GreetingEnd(GreetingEndSettings(max_wait_seconds=3.0))
    assert feed(greeting, 10.0, True, None) is Ending.LIMIT
    assert round(greeting.elapsed, 3) == 3.0
