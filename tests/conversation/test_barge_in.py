"""Barge-in: the caller talks over the assistant, which stops at once and remembers only what was heard."""

from __future__ import annotations

from tests.conversation.harness import run_call
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS
from voicedock.engines.loader import fake_engines

WELCOME = "Welcome to the clinic. We are open every weekday from nine to five. How can I help you today?"
# FakeTTS speaks 0.05 s per character: the sentences last 1.1 s, 2.2 s and 1.25 s.
INTERRUPT = [("silence", 1.5), ("speak", 1.0), ("silence", 5.0), ("hangup",)]


def test_caller_speech_stops_the_assistant_within_150_ms() -> None:
    result = run_call(INTERRUPT, assistant={"first_message": WELCOME, "stop_speaking_plan": {"voice_seconds": 0.2}})
    cleared_at, dropped = result.audio.clears[0]
    assert cleared_at - (1.5 + 0.2) <= 0.15
    assert dropped > 0
    welcome = [b - a for a, b in result.audio.segments if a < 1.7]
    assert sum(welcome) < 1.9  # the rest of the welcome was never played


def test_the_history_keeps_only_what_the_caller_heard() -> None:
    result = run_call(INTERRUPT, assistant={"first_message": WELCOME})
    interrupted = [m for m in result.recorder.of("message") if m.get("interrupted")]
    assert interrupted == [{"role": "assistant", "content": "Welcome to the clinic. We are", "interrupted": True}]
    assert {"role": "assistant", "content": "Welcome to the clinic. We are"} in result.session.history
    assert not any(WELCOME == m["content"] for m in result.session.history)


def test_states_follow_speaking_barge_in_listening_and_answering() -> None:
    result = run_call(INTERRUPT, assistant={"first_message": WELCOME})
    assert result.states[:5] == ["speaking", "caller-speaking", "barge-in", "thinking", "speaking"]
    assert result.recorder.messages("user") == ["hello"]


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


def test_short_backchannel_does_not_interrupt() -> None:
    script = [("silence", 1.5), ("speak", 0.16), ("silence", 6.0), ("hangup",)]
    result = run_call(script, assistant={"first_message": WELCOME, "stop_speaking_plan": {"voice_seconds": 0.5}})
    assert result.audio.clears == []
    assert result.recorder.messages("assistant") == [WELCOME]


def test_num_words_ignores_fewer_words_and_stops_for_enough() -> None:
    plan = {"first_message": WELCOME, "stop_speaking_plan": {"num_words": 3, "voice_seconds": 0.2}}
    short = run_call(INTERRUPT, assistant=plan, engines=fake_engines(stt=FakeSTT(["uh huh"])))
    assert short.audio.clears == []
    assert short.recorder.messages("user") == []
    long = run_call(INTERRUPT, assistant=plan, engines=fake_engines(stt=FakeSTT(["wait I need Tuesday"])))
    assert len(long.audio.clears) == 1
    assert long.recorder.messages("user") == ["wait I need Tuesday"]


def test_goodbye_messages_cannot_be_interrupted() -> None:
    result = run_call(
        [("silence", 0.5), ("speak", 2.0), ("silence", 8.0)],
        assistant={"first_message": None},
        commands=[(0.1, {"type": "end-call", "message": "We are closing now, goodbye."})],
    )
    assert result.audio.clears == []
    assert result.reason == "assistant-ended-call"


def test_a_hang_up_mid_sentence_keeps_what_the_caller_heard() -> None:
    result = run_call([("silence", 1.5), ("hangup",)], assistant={"first_message": WELCOME})
    assert result.recorder.of("message") == [
        {"role": "assistant", "content": "Welcome to the clinic. We", "interrupted": True}]
