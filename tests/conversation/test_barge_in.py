"""Barge-in: the caller's voice pauses the assistant at once; a backchannel, a cough or noise lets it
resume where it stopped, anything else stops it, keeps in the history only what was heard, and is
answered as the caller's turn."""

from __future__ import annotations

from typing import Any

from tests.conversation.harness import CallResult, run_call
from voicedock.conversation.interruption import (
    NOISE_QUIET_SECONDS,
    PAUSE_LIMIT_SECONDS,
    QUIET_SECONDS,
    TALK_LIMIT_SECONDS,
)
from voicedock.conversation.listener import ONSET_SECONDS, PAUSE_SECONDS
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeTurn, FakeWordsTurn
from voicedock.engines.loader import fake_engines

WELCOME = "Welcome to the clinic. We are open every weekday from nine to five. How can I help you today?"
# FakeTTS speaks 0.05 s per character: the sentences last 1.1 s, 2.2 s and 1.25 s.
WELCOME_SECONDS = 1.1 + 2.2 + 1.25
SPEECH_AT = 1.5  # the caller's voice begins here in every script, in the welcome's second sentence
FRAME = 0.02
INTERRUPT = [("silence", SPEECH_AT), ("speak", 1.0), ("silence", 5.0), ("hangup",)]
UH_HUH = [("silence", SPEECH_AT), ("speak", 0.4), ("silence", 6.0), ("hangup",)]


def call(script: list[tuple[Any, ...]], heard: list[str], **assistant: Any) -> CallResult:
    """A call whose greeting is WELCOME; the caller's speech is transcribed as `heard`, in order."""
    return run_call(script, assistant={"first_message": WELCOME, **assistant},
                    engines=fake_engines(stt=FakeSTT(heard), llm=FakeLLM(["Sure, Tuesday it is."])))


def pause_at(result: CallResult) -> float:
    return result.audio.pauses[0][0]


def assert_resumed_whole(result: CallResult) -> None:
    """The welcome played to its end, with nothing dropped or repeated, and no caller turn."""
    assert result.audio.clears == []
    assert all(end < float("inf") for _, end in result.audio.pauses), "the assistant stayed paused"
    assert abs(result.audio.played_seconds - WELCOME_SECONDS) < 0.01
    assert result.recorder.messages("assistant") == [WELCOME]
    assert result.recorder.messages("user") == []
    assert "thinking" not in result.states


def test_the_callers_voice_pauses_the_assistant_within_a_frame() -> None:
    result = call(INTERRUPT, ["Wait, I need Tuesday."])
    onset = SPEECH_AT + ONSET_SECONDS  # the second voiced frame in a row
    assert onset - 1e-6 <= pause_at(result) <= onset + FRAME
    # Nothing more was played while paused: the caller stopped hearing the welcome at the pause.
    heard = result.audio.playout_time(pause_at(result))
    assert abs(heard - pause_at(result)) < 1e-6
    assert result.states[:2] == ["speaking", "paused"]


def test_an_interruption_stops_the_turn_and_answers_the_callers_words() -> None:
    result = call(INTERRUPT, ["Wait, I need Tuesday."])
    (cleared_at, dropped), = result.audio.clears
    assert dropped > 0
    assert cleared_at > pause_at(result)  # decided on the words, after the caller's pause
    assert result.recorder.messages("user") == ["Wait, I need Tuesday."]
    assert result.recorder.messages("assistant")[-1] == "Sure, Tuesday it is."
    assert result.states[:6] == ["speaking", "paused", "caller-speaking", "barge-in", "thinking", "speaking"]


def test_the_history_keeps_only_what_was_heard_up_to_the_pause() -> None:
    result = call(INTERRUPT, ["Wait, I need Tuesday."])
    # Paused at 1.56 s: the first sentence (1.1 s) and a fifth of the second (9 words) were heard.
    heard = "Welcome to the clinic. We"
    interrupted = [m for m in result.recorder.of("message") if m.get("interrupted")]
    assert interrupted == [{"role": "assistant", "content": heard, "interrupted": True}]
    assert {"role": "assistant", "content": heard} in result.session.history
    assert not any(WELCOME == m["content"] for m in result.session.history)


def test_a_backchannel_resumes_the_same_audio_and_is_no_turn() -> None:
    result = call(UH_HUH, ["Uh-huh."])
    assert_resumed_whole(result)
    (start, end), = result.audio.pauses
    assert abs(end - (SPEECH_AT + 0.4 + PAUSE_SECONDS)) <= FRAME  # at the caller's pause, once transcribed
    assert abs(result.audio.play_end - WELCOME_SECONDS) < 0.01  # on the playout clock: no gap, no repeat
    assert "resumed" in result.states and "barge-in" not in result.states


def test_backchannels_in_whispers_spellings_all_resume() -> None:
    for said in ["Mm-hmm.", "Mhm.", "Okay.", "Right.", "Yeah, yeah.", "Sure.", "I see."]:
        assert_resumed_whole(call(UH_HUH, [said]))


def test_words_judged_at_a_comma_interrupt_only_if_the_caller_stops_there() -> None:
    script = [("silence", SPEECH_AT), ("speak", 0.3), ("silence", 0.15), ("speak", 0.4), ("silence", 6.0),
              ("hangup",)]
    result = call(script, ["Wow.", "Uh-huh, okay."])  # the "uh-huh" alone, misheard; then all of it
    assert_resumed_whole(result)


def test_speech_after_a_turn_the_model_ended_at_a_comma_joins_it_and_interrupts() -> None:
    script = [("silence", SPEECH_AT), ("speak", 0.3), ("silence", 0.35), ("speak", 1.0), ("silence", 5.0),
              ("hangup",)]
    # "Wait," is too short to be transcribed (under voice_seconds), so the voice model alone ends it
    stt = FakeSTT(["Wait, I need Tuesday."])
    engines = fake_engines(stt=stt, turn=FakeTurn(), llm=FakeLLM(["Sure, Tuesday it is."]))
    result = run_call(script, assistant={"first_message": WELCOME, "stop_speaking_plan": {"voice_seconds": 0.5}},
                      engines=engines)
    (_, end), = result.audio.pauses  # never resumed over the caller
    (cleared_at, _), = result.audio.clears
    assert end == cleared_at
    assert abs(cleared_at - (SPEECH_AT + 0.3 + 0.35 + 0.16)) <= FRAME  # when the second part is speech
    assert result.recorder.messages("user") == ["Wait, I need Tuesday."]
    assert result.recorder.messages("assistant")[-1] == "Sure, Tuesday it is."


def test_an_interruption_the_words_model_finds_finished_is_answered_without_the_longest_wait() -> None:
    """The voice model is unsure of "Sorry, actually I just need a loaf of bread." (0.01 on Smart
    Turn): the words transcribed to judge the barge-in also decide the end of the turn, as for any
    turn, instead of the longest wait."""
    said = "Sorry, actually I just need a loaf of bread."
    words = FakeWordsTurn({said: 0.6})
    engines = fake_engines(stt=FakeSTT([said], delay=0.1), turn=FakeTurn([0.02], max_wait_seconds=1.5, words=words),
                           llm=FakeLLM(["Sure, one loaf."]))
    result = run_call(INTERRUPT, assistant={"first_message": WELCOME}, engines=engines)
    (cleared_at, _), = result.audio.clears
    # pause checked 0.2 s into the silence, the words there 0.2 s in: cut then, not 1.5 s in
    assert abs(cleared_at - (SPEECH_AT + 1.0 + 0.2)) <= 0.05
    assert words.asked == [said]  # read once, though the turn then keeps the same transcription
    assert result.recorder.messages("user") == [said]
    assert result.recorder.messages("assistant")[-1] == "Sure, one loaf."


def test_a_cough_resumes() -> None:
    for said in ["", "(coughs)", "[BLANK_AUDIO]"]:
        assert_resumed_whole(call(UH_HUH, [said]))


def assert_resumed_untranscribed(seconds: float, quiet: float, **assistant: Any) -> None:
    """`seconds` of voice over the welcome resume it once `quiet` seconds without voice have passed,
    without the caller's words ever being transcribed."""
    stt = FakeSTT(["Stop."])
    script = [("silence", SPEECH_AT), ("speak", seconds), ("silence", 6.0), ("hangup",)]
    result = run_call(script, assistant={"first_message": WELCOME, **assistant}, engines=fake_engines(stt=stt))
    assert_resumed_whole(result)
    (_, end), = result.audio.pauses
    assert abs(end - (SPEECH_AT + seconds + quiet)) <= FRAME
    assert stt.calls == []


def test_a_click_too_short_to_be_speech_resumes_without_transcribing() -> None:
    assert_resumed_untranscribed(0.1, NOISE_QUIET_SECONDS)


def test_a_soft_start_the_vad_flickers_on_is_not_taken_for_noise() -> None:
    script = [("silence", SPEECH_AT), ("speak", 0.08), ("silence", 0.04), ("speak", 0.1), ("silence", 0.04),
              ("speak", 1.0), ("silence", 5.0), ("hangup",)]
    result = call(script, ["Wait, I need Tuesday."])
    (start, end), = result.audio.pauses  # paused once, never resumed in between
    (cleared_at, _), = result.audio.clears
    assert abs(start - (SPEECH_AT + ONSET_SECONDS)) <= FRAME
    assert end == cleared_at
    assert result.recorder.messages("user") == ["Wait, I need Tuesday."]


def test_a_no_interrupts() -> None:
    result = call(UH_HUH, ["No."])
    assert len(result.audio.clears) == 1
    assert result.recorder.messages("user") == ["No."]


def test_talking_past_the_limit_interrupts_whatever_the_words() -> None:
    script = [("silence", SPEECH_AT), ("speak", 3.0), ("silence", 5.0), ("hangup",)]
    result = call(script, ["Okay."])
    (cleared_at, _), = result.audio.clears
    assert abs(cleared_at - (pause_at(result) + TALK_LIMIT_SECONDS)) <= FRAME
    assert "talked-over" in result.states
    assert result.recorder.messages("user") == ["Okay."]


def test_a_pause_whose_words_never_arrive_ends_at_its_limit() -> None:
    stt = FakeSTT(["Wait."], delay=30.0)
    result = run_call(UH_HUH, assistant={"first_message": WELCOME}, engines=fake_engines(stt=stt))
    (cleared_at, _), = result.audio.clears
    assert abs(cleared_at - (SPEECH_AT + 0.4 + PAUSE_LIMIT_SECONDS)) <= FRAME  # counted from the last voice


def test_the_caller_going_on_after_a_backchannel_is_paused_for_again() -> None:
    script = [("silence", SPEECH_AT), ("speak", 0.4), ("silence", 0.25), ("speak", 0.8), ("silence", 5.0),
              ("hangup",)]
    result = call(script, ["Uh-huh.", "Uh-huh. Wait, no, Thursday."])
    first, second = result.audio.pauses
    assert first[1] < second[0]
    assert abs(second[0] - (SPEECH_AT + 0.4 + 0.25 + ONSET_SECONDS)) <= FRAME
    assert len(result.audio.clears) == 1
    assert result.recorder.messages("user") == ["Uh-huh. Wait, no, Thursday."]


def test_num_words_needs_that_many_words_besides_backchannels() -> None:
    plan = {"stop_speaking_plan": {"num_words": 3, "voice_seconds": 0.2}}
    assert_resumed_whole(call(INTERRUPT, ["Okay, Tuesday."], **plan))
    assert_resumed_whole(call(INTERRUPT, ["Uh huh, yeah, right."], **plan))
    long = call(INTERRUPT, ["Wait I need Tuesday."], **plan)
    assert len(long.audio.clears) == 1
    assert long.recorder.messages("user") == ["Wait I need Tuesday."]


def test_speech_shorter_than_voice_seconds_resumes_after_a_silence() -> None:
    assert_resumed_untranscribed(0.3, QUIET_SECONDS, stop_speaking_plan={"voice_seconds": 0.5})


def test_a_short_word_then_a_comma_is_not_resumed_when_the_caller_goes_on() -> None:
    script = [("silence", SPEECH_AT), ("speak", 0.16), ("silence", 0.2), ("speak", 1.0), ("silence", 5.0),
              ("hangup",)]
    result = call(script, ["Wait, I need Tuesday."])
    (_, end), = result.audio.pauses  # "Wait," is 0.16 s of voice, under voice_seconds, and a pause
    (cleared_at, _), = result.audio.clears
    assert end == cleared_at
    assert result.recorder.messages("user") == ["Wait, I need Tuesday."]


# "Yes," [the end-of-turn model ends the turn at the comma] "I'd like a cleaning on Tuesday."
# The caller goes on at 1.85 s: their first voiced frames (the onset) come at 1.91 s, confirmed speech
# at 2.0 s. A reply whose audio begins between the two was neither paused at the onset (nothing
# played yet) nor abandoned at the confirmation (it already played).
GOES_ON = [("silence", 1.0), ("speak", 0.5), ("silence", 0.35), ("speak", 1.2), ("silence", 5.0), ("hangup",)]
REPLY_STARTS = (0.22, 0.25, 0.28)  # seconds of synthesis after the turn ended at 1.7 s: audio at 1.92-1.98 s


def _goes_on(second: str, synthesis: float) -> CallResult:
    engines = fake_engines(stt=FakeSTT(["Yes.", second]), turn=FakeTurn([0.9]), tts=FakeTTS(delay=synthesis),
                           llm=FakeLLM(["Hi there, how can I help you today?", "Sure, Tuesday it is."]))
    return run_call(GOES_ON, assistant={"first_message": None, "start_speaking_plan": {"wait_seconds": 0.0}},
                    engines=engines)


def test_words_that_began_just_before_the_reply_are_paused_for_and_answered() -> None:
    for synthesis in REPLY_STARTS:
        result = _goes_on("I'd like a cleaning on Tuesday.", synthesis)
        assert result.recorder.messages("user") == ["Yes.", "I'd like a cleaning on Tuesday."], synthesis
        assert result.recorder.messages("assistant")[-1] == "Sure, Tuesday it is."
        (paused_at, _), = result.audio.pauses
        assert abs(paused_at - 2.0) <= FRAME  # paused once the caller's voice was confirmed as speech
        assert len(result.audio.clears) == 1


def test_a_backchannel_that_began_just_before_the_reply_resumes_it() -> None:
    for synthesis in REPLY_STARTS:
        result = _goes_on("Uh-huh.", synthesis)
        assert result.recorder.messages("user") == ["Yes."], synthesis
        assert result.recorder.messages("assistant") == ["Hi there, how can I help you today?"]
        assert result.audio.clears == [] and "resumed" in result.states


def test_words_a_said_message_began_over_are_judged_when_the_caller_stops() -> None:
    # the operator's message starts 0.5 s into the caller's sentence: no onset paused it, and the
    # caller's speech was confirmed before it began; their words are judged at the end of their turn
    script = [("silence", 1.0), ("speak", 2.0), ("silence", 5.0), ("hangup",)]
    engines = fake_engines(stt=FakeSTT(["I'd like a cleaning on Tuesday."]), llm=FakeLLM(["Sure, Tuesday it is."]))
    result = run_call(script, assistant={"first_message": None}, engines=engines,
                      commands=[(1.5, {"type": "say", "content": "Your order has shipped. " * 4})])
    assert result.recorder.messages("user") == ["I'd like a cleaning on Tuesday."]
    assert result.recorder.messages("assistant")[-1] == "Sure, Tuesday it is."
    (paused_at, _), = result.audio.pauses
    assert paused_at > 3.0  # when the caller's turn ended


def test_barge_in_cancels_generation_and_synthesis() -> None:
    reply = "First sentence here. " + " ".join(f"Sentence number {i} goes on." for i in range(20))
    llm = FakeLLM([reply, "Okay."], token_delay=0.05)
    tts = FakeTTS()
    script = [("silence", 1.0), ("speak", 0.8), ("silence", 2.5), ("speak", 1.0), ("silence", 5.0), ("hangup",)]
    stt = FakeSTT(["Can I book?", "Stop, stop."])
    result = run_call(script, assistant={"first_message": None}, engines=fake_engines(llm=llm, tts=tts, stt=stt))
    assert llm.closed_early == 1
    assert len(llm.produced) < len(reply.split())
    assert "Sentence number 19 goes on." not in tts.spoken
    assert result.recorder.messages("user") == ["Can I book?", "Stop, stop."]


def test_goodbye_messages_are_neither_paused_nor_interrupted() -> None:
    result = run_call(
        [("silence", 0.5), ("speak", 2.0), ("silence", 8.0)],
        assistant={"first_message": None},
        engines=fake_engines(stt=FakeSTT(["Wait, one more thing."])),
        commands=[(0.1, {"type": "end-call", "message": "We are closing now, goodbye."})],
    )
    assert result.audio.pauses == []
    assert result.audio.clears == []
    assert result.reason == "assistant-ended-call"


def test_a_hang_up_mid_sentence_keeps_what_the_caller_heard() -> None:
    result = run_call([("silence", 1.5), ("hangup",)], assistant={"first_message": WELCOME})
    assert result.recorder.of("message") == [
        {"role": "assistant", "content": "Welcome to the clinic. We", "interrupted": True}]


def test_a_hang_up_while_paused_keeps_what_was_heard_before_the_pause() -> None:
    script = [("silence", SPEECH_AT), ("speak", 0.4), ("hangup",)]
    result = run_call(script, assistant={"first_message": WELCOME},
                      engines=fake_engines(stt=FakeSTT(["Uh-huh."], delay=5.0)))
    assistant = [m for m in result.recorder.of("message") if m["role"] == "assistant"]
    assert assistant == [{"role": "assistant", "content": "Welcome to the clinic. We", "interrupted": True}]
