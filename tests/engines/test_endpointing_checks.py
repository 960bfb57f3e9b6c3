"""The endpointer with an end-of-turn model: when it asks, and which answers end a turn (pure, no audio)."""

from __future__ import annotations

from voicedock.engines.endpointing import Endpointer, EndpointEvent

FRAME = 0.02


def _speak(e: Endpointer, seconds: float) -> list[EndpointEvent]:
    return [e.process(FRAME, True) for _ in range(round(seconds / FRAME))]


def _silence(e: Endpointer, seconds: float) -> list[EndpointEvent]:
    return [e.process(FRAME, False) for _ in range(round(seconds / FRAME))]


def test_the_model_is_asked_once_per_check_point_of_each_pause() -> None:
    e = Endpointer(wait_seconds=2.0, check_seconds=(0.2, 0.6))
    _speak(e, 0.5)
    events = _silence(e, 0.8)
    assert [i for i, ev in enumerate(events) if ev is EndpointEvent.PAUSE_CHECK] == [9, 29]
    _speak(e, 0.3)
    assert _silence(e, 0.3).count(EndpointEvent.PAUSE_CHECK) == 1


def test_a_finished_verdict_ends_the_turn_only_in_its_own_pause() -> None:
    e = Endpointer(wait_seconds=2.0, check_seconds=(0.2,))
    _speak(e, 0.5)
    _silence(e, 0.2)
    first = e.pause
    _speak(e, 0.2)  # the caller went on before the answer came
    _silence(e, 0.1)
    assert e.verdict(first, True) is EndpointEvent.NONE and e.in_speech
    assert e.verdict(e.pause, False) is EndpointEvent.NONE and e.in_speech
    assert e.verdict(e.pause, True) is EndpointEvent.SPEECH_ENDED and not e.in_speech


def test_a_pause_held_open_mid_phrase_lasts_the_longer_wait_until_the_caller_speaks_again() -> None:
    e = Endpointer(wait_seconds=1.0, check_seconds=(0.2,), mid_phrase_wait_seconds=2.0)
    _speak(e, 0.5)
    _silence(e, 0.3)
    e.hold_open(e.pause - 1)  # an answer for an older pause changes nothing
    e.hold_open(e.pause)
    assert EndpointEvent.SPEECH_ENDED not in _silence(e, 1.0)  # 1.3 s of silence: past the longest wait
    _speak(e, 0.3)  # the caller went on: the next pause has the usual longest wait again
    events = _silence(e, 1.0)
    assert events.index(EndpointEvent.SPEECH_ENDED) == 49
    e = Endpointer(wait_seconds=1.0, check_seconds=(0.2,), mid_phrase_wait_seconds=2.0)
    _speak(e, 0.5)
    _silence(e, 0.3)
    e.hold_open(e.pause)
    assert _silence(e, 1.7).index(EndpointEvent.SPEECH_ENDED) == 84  # 2.0 s after the last voice


def test_without_a_finished_verdict_the_longest_wait_ends_the_turn() -> None:
    e = Endpointer(wait_seconds=1.5, check_seconds=(0.2,))
    _speak(e, 0.5)
    events = _silence(e, 1.5)
    assert events.index(EndpointEvent.SPEECH_ENDED) == 74


def test_without_check_points_it_never_asks() -> None:
    e = Endpointer(wait_seconds=0.4)
    _speak(e, 0.5)
    assert EndpointEvent.PAUSE_CHECK not in _silence(e, 0.4)
