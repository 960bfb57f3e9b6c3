"""Turns ended by an end-of-turn model (virtual time, scripted model): a finished sentence is
answered soon after its first short pause, an unfinished one is not cut off, and the longest
wait still ends a turn the model never calls finished."""

from __future__ import annotations

from tests.conversation.harness import run_call
from voicedock.engines.fakes import FakeSTT, FakeTurn, FakeWordsTurn
from voicedock.engines.loader import fake_engines

CALLER = [("silence", 1.0), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
NO_GREETING = {"first_message": None, "start_speaking_plan": {"wait_seconds": 0.0}}


def _thinking_at(result) -> list[float]:
    return [t for t, s in result.session.trace if s == "thinking"]


SENTENCE = "I'd like to book a cleaning."


def test_a_finished_sentence_ends_the_turn_at_the_first_short_pause() -> None:
    turn = FakeTurn([0.9], delay=0.05)
    result = run_call(CALLER, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=FakeSTT([SENTENCE])))
    assert len(turn.asked) == 1
    assert abs(_thinking_at(result)[0] - (2.0 + 0.2 + 0.05)) <= 0.03
    assert result.recorder.messages("user") == [SENTENCE]
    assert 200 <= result.recorder.of("latency")[0]["endpointing_ms"] <= 280


def test_a_greeting_alone_waits_the_longest_wait_for_the_reason_of_the_call() -> None:
    turn = FakeTurn([0.9])  # the voice model calls "Hello." finished at once
    result = run_call(CALLER, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=FakeSTT(["Hello."])))
    assert result.recorder.messages("user") == ["Hello."]
    assert _thinking_at(result)[0] >= 2.0 + turn.max_wait_seconds - 0.03  # not at the 0.2 s check


def test_a_pause_the_model_calls_unfinished_does_not_cut_the_caller_off() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 0.8), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    turn = FakeTurn([0.1, 0.9])
    stt = FakeSTT(["I'd like to book a cleaning for Tuesday."])
    result = run_call(script, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    assert result.recorder.messages("user") == ["I'd like to book a cleaning for Tuesday."]
    assert len(_thinking_at(result)) == 1 and _thinking_at(result)[0] > 3.8
    # one transcription of the whole sentence: the 1.0 s + 0.8 s + 1.0 s, not the first part alone
    assert max(n for n, _ in stt.calls) >= int(2.7 * 8000)


def test_the_longest_wait_ends_a_turn_the_model_never_calls_finished() -> None:
    turn = FakeTurn([0.2], max_wait_seconds=1.5)
    result = run_call(CALLER, assistant=NO_GREETING, engines=fake_engines(turn=turn))
    assert abs(_thinking_at(result)[0] - 3.5) <= 0.06
    assert result.recorder.messages("user") == ["hello"]


def test_a_verdict_that_comes_after_the_caller_went_on_is_dropped() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 0.3), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    turn = FakeTurn([0.9], delay=0.25)  # answers "finished" for the first pause only after speech resumed
    result = run_call(script, assistant=NO_GREETING, engines=fake_engines(turn=turn))
    assert len(_thinking_at(result)) == 1 and _thinking_at(result)[0] > 3.3


def test_wait_seconds_is_the_least_time_before_the_assistant_answers() -> None:
    turn = FakeTurn([0.9])
    assistant = {"first_message": None, "start_speaking_plan": {"wait_seconds": 1.0}}
    result = run_call(CALLER, assistant=assistant, engines=fake_engines(turn=turn, stt=FakeSTT([SENTENCE])))
    assert _thinking_at(result)[0] < 2.5  # the turn ended at the model's word: STT and the LLM start
    assert result.audio.sends[0][0] >= 3.0 - 0.021  # ... but the caller hears nothing before 1.0 s


def test_words_that_stop_mid_phrase_keep_the_turn_open_when_the_model_says_finished() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 0.8), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    turn = FakeTurn([0.9])  # calls every pause the end, the one after "My phone number is" too
    stt = FakeSTT(["My phone number is", "My phone number is five five five, one two three four."])
    result = run_call(script, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    assert result.recorder.messages("user") == ["My phone number is five five five, one two three four."]
    assert len(_thinking_at(result)) == 1 and _thinking_at(result)[0] > 3.8
    assert len(turn.asked) == 2


def test_finished_words_end_the_turn_as_soon_as_the_model_says_so() -> None:
    turn = FakeTurn([0.9], delay=0.05)
    stt = FakeSTT(["What time do you close on Friday?"], delay=0.1)
    result = run_call(CALLER, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    # transcription began at 0.1 s of silence and took 0.1 s; the model answered at 0.25 s
    assert abs(_thinking_at(result)[0] - (2.0 + 0.25)) <= 0.03
    assert len(stt.calls) == 1  # the turn's reply used the transcript begun at the pause


def test_unfinished_words_leave_the_longest_wait_to_end_a_turn_that_does_end_there() -> None:
    turn = FakeTurn([0.9], max_wait_seconds=1.0, mid_phrase_wait_seconds=1.5)
    stt = FakeSTT(["I'm calling on behalf of"])
    result = run_call(CALLER, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    # words that stop mid-phrase wait the longer of the two: 1.5 s after the caller stopped
    assert abs(_thinking_at(result)[0] - 3.5) <= 0.06
    assert result.recorder.messages("user") == ["I'm calling on behalf of"]


def test_a_caller_who_stops_mid_phrase_to_think_longer_than_the_longest_wait_is_not_cut_off() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 1.3), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    words = FakeWordsTurn({"I'm looking for": 0.00001}, default=0.6)
    turn = FakeTurn([0.1], max_wait_seconds=1.0, mid_phrase_wait_seconds=2.0, words=words)
    stt = FakeSTT(["I'm looking for", "I'm looking for someone who can fix a leaking pipe."])
    result = run_call(script, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    assert result.recorder.messages("user") == ["I'm looking for someone who can fix a leaking pipe."]
    assert len(_thinking_at(result)) == 1 and _thinking_at(result)[0] > 4.3


def test_a_pause_the_voice_alone_finds_unfinished_still_ends_at_the_longest_wait() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 1.3), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    turn = FakeTurn([0.1], max_wait_seconds=1.0, mid_phrase_wait_seconds=2.0)  # words that say nothing
    stt = FakeSTT(["I'd like a cleaning.", "Tuesday, if you can."])
    result = run_call(script, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    assert abs(_thinking_at(result)[0] - 3.0) <= 0.06
    assert result.recorder.messages("user")[0] == "I'd like a cleaning."


def test_words_the_words_model_finds_unfinished_keep_the_turn_open() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 0.8), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    words = FakeWordsTurn({"I need to cancel.": 0.0001}, default=0.6)
    turn = FakeTurn([0.9], words=words)  # the voice calls "I need to cancel," finished
    stt = FakeSTT(["I need to cancel.", "I need to cancel my appointment for tomorrow morning."])
    result = run_call(script, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    assert result.recorder.messages("user") == ["I need to cancel my appointment for tomorrow morning."]
    assert words.asked[0] == "I need to cancel."
    assert len(_thinking_at(result)) == 1 and _thinking_at(result)[0] > 3.8


def test_words_the_words_model_finds_finished_end_the_turn_the_voice_is_unsure_of() -> None:
    words = FakeWordsTurn({"Sorry, actually I just need a loaf of bread.": 0.6})
    turn = FakeTurn([0.02], max_wait_seconds=1.5, words=words)
    stt = FakeSTT(["Sorry, actually I just need a loaf of bread."], delay=0.1)
    result = run_call(CALLER, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    # asked at 0.2 s of silence, the words there 0.2 s in: the turn ends then, not at 1.5 s
    assert abs(_thinking_at(result)[0] - (2.0 + 0.2)) <= 0.05


def test_a_short_answer_the_words_model_finds_unlikely_to_end_is_left_to_the_voice() -> None:
    words = FakeWordsTurn({"Tuesday.": 0.008})
    turn = FakeTurn([0.9], delay=0.05, words=words)
    stt = FakeSTT(["Tuesday."], delay=0.1)
    result = run_call(CALLER, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    assert _thinking_at(result)[0] < 2.0 + 0.3  # one word: no sentence the model could judge


def test_where_the_words_model_cannot_tell_the_voice_must_be_surer() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 0.8), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    words = FakeWordsTurn({"I'm looking for it.": 0.13}, default=0.13, unsure_voice_threshold=0.7)
    turn = FakeTurn([0.64, 0.64], words=words)  # over the voice's threshold (0.5), under 0.7
    stt = FakeSTT(["I'm looking for it.", "I'm looking for someone who can fix a leaking pipe."])
    result = run_call(script, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt))
    assert result.recorder.messages("user") == ["I'm looking for someone who can fix a leaking pipe."]
    assert len(_thinking_at(result)) == 1 and _thinking_at(result)[0] > 3.8


def test_a_question_ends_the_turn_from_its_own_lower_bar() -> None:
    """Whole questions score 0.1-0.5 on the words model; one the STT ended with "?" that reaches
    `question_finished_from` ends the turn though the voice is unsure, and one under it waits."""

    def ended_at(text: str, probability: float) -> float:
        words = FakeWordsTurn({text: probability}, question_finished_from=0.3)
        turn = FakeTurn([0.02], max_wait_seconds=1.5, words=words)
        stt = FakeSTT([text], delay=0.1)
        return _thinking_at(run_call(CALLER, assistant=NO_GREETING, engines=fake_engines(turn=turn, stt=stt)))[0]

    assert abs(ended_at("Where can I find your shop?", 0.49) - (2.0 + 0.2)) <= 0.05
    # the same probability for a statement, or a question under the bar: the longest wait
    assert ended_at("I'd like to book a cleaning.", 0.49) > 2.0 + 1.4
    assert ended_at("Could you check it?", 0.09) > 2.0 + 1.4
