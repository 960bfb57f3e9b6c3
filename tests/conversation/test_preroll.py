"""A first word the VAD flickers over still reaches the transcription."""

from __future__ import annotations

from tests.conversation.harness import run_call
from voicedock.conversation.base import SAMPLE_RATE
from voicedock.conversation.listener import PREROLL_SECONDS, TURN_PREROLL_SECONDS
from voicedock.engines.fakes import FakeSTT, FakeTurn
from voicedock.engines.loader import fake_engines

# "Perfect, ... thank you!": a short first word, broken voice, then the rest of the sentence.
FLICKER = [("speak", 0.10), ("silence", 0.06), ("speak", 0.06), ("silence", 0.10), ("speak", 0.04),
           ("silence", 0.10), ("speak", 1.0)]


def test_the_audio_transcribed_starts_at_the_first_word_not_where_speech_was_confirmed() -> None:
    stt = FakeSTT(["Perfect, thank you!"])
    run_call([("silence", 1.0), *FLICKER, ("silence", 6.0)], assistant={"first_message": None},
             engines=fake_engines(stt=stt), max_seconds=10)
    spoken = sum(seconds for _, seconds in FLICKER)  # from the first word to the end of the last
    samples, rate = stt.calls[0]
    assert rate == SAMPLE_RATE
    assert samples >= spoken * SAMPLE_RATE, f"{samples / rate:.2f} s transcribed of {spoken:.2f} s said"


def test_the_end_of_turn_model_hears_no_more_of_it_than_before() -> None:
    """Leading silence makes Smart Turn call mid-sentence pauses the end, so the model hears only
    `TURN_PREROLL_SECONDS` of what came before confirmed speech, while STT hears it all."""
    stt, turn = FakeSTT(["Perfect, thank you!"]), FakeTurn([1.0])
    run_call([("silence", 2.0), ("speak", 1.0), ("silence", 6.0)], assistant={"first_message": None},
             engines=fake_engines(stt=stt, turn=turn), max_seconds=12)
    heard_by_model = len(turn.asked[0]) / SAMPLE_RATE
    heard_by_stt = stt.calls[0][0] / SAMPLE_RATE
    assert heard_by_stt >= 1.0 + PREROLL_SECONDS - 0.2, heard_by_stt
    assert heard_by_model <= heard_by_stt - (PREROLL_SECONDS - TURN_PREROLL_SECONDS) + 0.02, (heard_by_model, heard_by_stt)
    assert TURN_PREROLL_SECONDS < PREROLL_SECONDS
