"""Turn-taking on virtual time: when the assistant starts answering, and what it says first."""

from __future__ import annotations

from tests.conversation.harness import run_call
from voicedock.conversation.turns import LLM_ERROR_APOLOGY
from voicedock.engines.base import EngineError
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS
from voicedock.engines.loader import fake_engines

CALLER = [("silence", 1.0), ("speak", 1.0), ("silence", 6.0), ("hangup",)]


def _reply_started(result) -> float:
    return next(t for t, s in result.session.trace if s == "thinking")


def test_the_turn_ends_wait_seconds_after_the_caller_stops() -> None:
    for wait in (0.4, 1.2):
        result = run_call(CALLER, assistant={"first_message": None, "start_speaking_plan": {"wait_seconds": wait}})
        assert abs(_reply_started(result) - (2.0 + wait)) <= 0.06
        latency = result.recorder.of("latency")[0]
        assert abs(latency["endpointing_ms"] - wait * 1000) <= 60


class LingeringVAD:
    """Like WebRTC VAD's hangover: calls everything speech, even digital silence."""

    def is_speech(self, frame: object, rate: int) -> bool:
        return True


def test_near_silence_ends_the_turn_even_while_the_vad_still_says_speech() -> None:
    result = run_call(CALLER, assistant={"first_message": None}, engines=fake_engines(vad=LingeringVAD()))
    assert result.recorder.messages("user") == ["hello"]
    assert abs(_reply_started(result) - 2.4) <= 0.06


def test_a_turn_ends_even_when_frames_stop_arriving() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("gap", 5.0), ("hangup",)]
    result = run_call(script, assistant={"first_message": None})
    assert result.recorder.messages("user") == ["hello"]
    assert 2.3 <= _reply_started(result) <= 2.6


def test_the_assistant_speaks_first_when_configured() -> None:
    result = run_call([("silence", 3.0), ("hangup",)], assistant={"first_message": "Hi, Acme dental."})
    assert result.recorder.messages() == ["Hi, Acme dental."]
    assert result.audio.sends[0][0] == 0.0


def test_the_assistant_waits_for_the_caller_and_then_answers() -> None:
    llm = FakeLLM(["Good morning, how can I help?"])
    result = run_call(
        CALLER,
        assistant={"first_message": "Hi, Acme dental.", "first_message_mode": "assistant-waits-for-user"},
        engines=fake_engines(llm=llm),
    )
    assert result.audio.sends[0][0] > 2.0
    assert result.recorder.messages() == ["hello", "Good morning, how can I help?"]


def test_the_reply_is_spoken_while_it_is_still_being_generated() -> None:
    llm = FakeLLM(["Sure. I can help with that booking today. Which day suits you best?"], token_delay=0.1)
    tts = FakeTTS()
    result = run_call(CALLER, assistant={"first_message": None}, engines=fake_engines(llm=llm, tts=tts))
    first_audio = result.audio.sends[0][0]
    generation_done = 2.4 + 0.1 * len("Sure. I can help with that booking today. Which day suits you best?".split())
    assert first_audio < generation_done - 0.5
    assert tts.spoken == ["Sure.", "I can help with that booking today.", "Which day suits you best?"]
    assert [t for t, _ in result.audio.sends] == sorted(t for t, _ in result.audio.sends)
    assert result.recorder.messages("assistant") == [
        "Sure. I can help with that booking today. Which day suits you best?"
    ]


def test_every_turn_reports_its_latency() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 4.0), ("speak", 1.0), ("silence", 4.0), ("hangup",)]
    stt = FakeSTT(["I need a cleaning.", "Next week please."], delay=0.5)
    result = run_call(script, assistant={"first_message": None}, engines=fake_engines(stt=stt))
    turns = result.recorder.of("latency")
    assert len(turns) == 2
    for turn in turns:
        assert set(turn) == {"endpointing_ms", "stt_ms", "llm_ttft_ms", "tts_ttfb_ms", "total_ms"}
        # transcription began 0.1 s into the pause, so 0.2 s of its 0.5 s are left after endpointing
        assert abs(turn["stt_ms"] - 200.0) <= 25
        assert turn["total_ms"] >= turn["endpointing_ms"] + turn["stt_ms"]


def test_transcription_starts_at_the_pause_not_after_the_endpointing_wait() -> None:
    stt = FakeSTT(["I need a cleaning."], delay=0.3)
    result = run_call(CALLER, assistant={"first_message": None}, engines=fake_engines(stt=stt))
    assert len(stt.calls) == 1  # only silence followed the pause: that transcript is the turn's
    assert result.recorder.messages("user") == ["I need a cleaning."]
    latency = result.recorder.of("latency")[0]
    assert latency["stt_ms"] <= 20  # done by the time the 0.4 s wait ended
    assert latency["total_ms"] <= 450


def test_speech_after_a_pause_is_transcribed_again_with_everything_said() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 0.2), ("speak", 1.0), ("silence", 4.0), ("hangup",)]
    stt = FakeSTT(["I need", "I need a cleaning."], delay=0.3)
    result = run_call(script, assistant={"first_message": None}, engines=fake_engines(stt=stt))
    assert result.recorder.messages("user") == ["I need a cleaning."]
    assert len(stt.calls) == 2
    assert stt.calls[-1][0] >= 2.0 * 8000  # the whole utterance, both parts


def test_noise_that_transcribes_to_nothing_gets_no_reply() -> None:
    result = run_call(CALLER, assistant={"first_message": None}, engines=fake_engines(stt=FakeSTT([" "])))
    assert result.recorder.messages() == []
    assert result.audio.sends == []


def test_the_caller_hanging_up_ends_the_session_without_a_reason() -> None:
    result = run_call([("silence", 0.5), ("hangup",)])
    assert result.reason is None and not result.timed_out


class BrokenSTT:
    async def transcribe(self, pcm16: object, rate: int) -> object:
        raise EngineError("stt_failed", "decoder crashed")


def test_a_failing_engine_gets_an_apology_not_silence() -> None:
    result = run_call(CALLER, assistant={"first_message": None}, engines=fake_engines(stt=BrokenSTT()))
    assert result.recorder.messages("assistant") == [LLM_ERROR_APOLOGY]
    assert result.session.trace[-1][1] == "media-ended"
