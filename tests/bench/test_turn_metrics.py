"""The turn benchmark's measurements: audio start and stop at the caller, word error rate."""

from __future__ import annotations

import pytest

from voicedock_bench import turn_metrics as tm


def frames(pattern: str, start: float = 0.0, loud: float = 2000.0) -> list[tuple[float, float]]:
    """One 20 ms frame per character: '#' loud, '.' silent."""
    return [(start + i * 0.02, loud if c == "#" else 0.0) for i, c in enumerate(pattern)]


def test_voice_starts_at_the_first_of_two_loud_frames_after_the_given_time() -> None:
    heard = frames("##.....#.##..")
    assert tm.voice_starts(heard, after=0.0, level=300) == pytest.approx(0.0)
    assert tm.voice_starts(heard, after=0.05, level=300) == pytest.approx(0.18)  # the lone click at 0.14 is skipped
    assert tm.voice_starts(heard, after=0.25, level=300) is None


def test_voice_stops_needs_the_whole_quiet_stretch() -> None:
    heard = frames("####....####" + "." * 60)
    # a 80 ms pause is not the end; the audio ends after the second burst
    assert tm.voice_stops(heard, after=0.0, level=300, quiet=0.5) == pytest.approx(0.24)
    assert tm.voice_stops(frames("####...."), after=0.0, level=300, quiet=0.5) is None


def test_pause_time_runs_from_the_callers_onset_to_the_assistants_last_frame_before_silence() -> None:
    heard = frames("#" * 30 + "." * 40 + "#" * 10)  # speaking until 0.6 s, paused, then resumed
    assert tm.pause_time(heard, onset=0.56, level=300) == pytest.approx(0.04)
    assert tm.pause_time(heard, onset=1.0, level=300) is None  # it was not speaking then
    assert tm.pause_time(heard, onset=0.7, level=300) is None  # nor in the 60 ms before


def test_words_normalise_case_punctuation_and_small_numbers() -> None:
    assert tm.words("We open at Seven, on Saturday!") == ["we", "open", "at", "7", "on", "saturday"]
    assert tm.words("Sorry, actually, I'm fine - thanks.") == ["sorry", "actually", "i'm", "fine", "thanks"]


def test_word_errors_count_substitutions_deletions_and_insertions() -> None:
    assert tm.word_errors("do you make birthday cakes", "do you make birthday cakes") == (0, 5)
    assert tm.word_errors("do you make birthday cakes", "do you make my cake") == (2, 5)
    assert tm.word_errors("where is the shop", "where is shop") == (1, 4)
    assert tm.word_errors("where is the shop", "so where is the shop then") == (2, 4)


def test_wer_is_over_all_reference_words() -> None:
    assert tm.wer([("a b c d", "a b c d"), ("e f", "e x")]) == pytest.approx(1 / 6)
    assert tm.wer([]) is None


def test_summary_percentiles() -> None:
    figures = tm.summary([100.0, 200.0, 300.0, 400.0, 1000.0])
    assert figures["n"] == 5 and figures["p50"] == 300.0 and figures["max"] == 1000.0
    assert 400.0 < figures["p95"] < 1000.0
    assert tm.summary([])["p50"] is None
