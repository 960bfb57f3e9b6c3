"""Silence handling, the time limit, and the control commands (say, inject-context, end-call, transfer, dtmf)."""

from __future__ import annotations

from tests.conversation.harness import run_call
from voicedock.conversation.session_control import MAX_DURATION_GOODBYE, SILENCE_GOODBYE, STILL_THERE
from voicedock.engines.fakes import FakeLLM
from voicedock.engines.loader import fake_engines

QUIET = [("silence", 60.0)]


def test_silence_gets_a_prompt_then_the_call_ends() -> None:
    result = run_call(QUIET, assistant={"autonomous_silence_handling": True, "silence_timeout_seconds": 5})
    assert result.recorder.messages("assistant") == ["Hello!", STILL_THERE, SILENCE_GOODBYE]
    prompt_at = [t for t, k, v in result.recorder.events if k == "message" and v["content"] == STILL_THERE][0]
    assert 5.3 <= prompt_at - 1.0 <= 5.4  # 5 s after "Hello!" ended, plus the prompt's own 1 s
    assert result.reason == "silence-timed-out"
    assert result.recorder.of("hangup") == ["silence-timed-out"]


def test_caller_speech_resets_the_silence_count() -> None:
    script = [("silence", 7.0), ("speak", 1.0), ("silence", 30.0)]
    result = run_call(script, assistant={"autonomous_silence_handling": True, "silence_timeout_seconds": 5})
    assert result.recorder.messages("assistant")[:3] == ["Hello!", STILL_THERE, "How can I help you today?"]  # the greeting is not repeated
    assert result.recorder.messages("assistant")[3] == STILL_THERE
    assert result.reason == "silence-timed-out"


def test_without_silence_handling_the_session_just_listens() -> None:
    result = run_call(QUIET, max_seconds=40)
    assert result.recorder.messages("assistant") == ["Hello!"]
    assert result.timed_out


def test_the_time_limit_says_goodbye_before_the_controller_cuts_off() -> None:
    result = run_call([("silence", 100.0)], assistant={"max_duration_seconds": 30})
    assert result.recorder.messages("assistant")[-1] == MAX_DURATION_GOODBYE
    assert result.reason == "exceeded-max-duration"
    assert result.ended_at < 30.0


def test_say_speaks_verbatim_and_can_end_the_call() -> None:
    result = run_call(
        QUIET,
        commands=[
            (2.0, {"type": "say", "content": "Your order has shipped."}),
            (5.0, {"type": "say", "content": "Bye now.", "end_after": True}),
        ],
    )
    assert result.recorder.messages("assistant") == ["Hello!", "Your order has shipped.", "Bye now."]
    assert result.reason == "assistant-ended-call"
    assert [r for _, r in result.command_replies] == ["speaking", "speaking, then ending the call"]


def test_inject_context_adds_a_system_message_and_may_trigger_a_reply() -> None:
    llm = FakeLLM(["Your table is ready."])
    result = run_call(
        QUIET,
        engines=fake_engines(llm=llm),
        commands=[
            (2.0, {"type": "inject-context", "content": "The table is ready."}),
            (3.0, {"type": "inject-context", "content": "Tell the caller.", "trigger_response": True}),
        ],
        max_seconds=10,
    )
    assert result.recorder.messages("system") == ["The table is ready.", "Tell the caller."]
    assert result.recorder.messages("assistant") == ["Hello!", "Your table is ready."]
    last_request = llm.requests[-1]["messages"]
    assert [m["content"] for m in last_request[-2:]] == ["The table is ready.", "Tell the caller."]


def test_end_call_stops_speech_speaks_the_message_and_hangs_up() -> None:
    long_first = "This is a very long welcome message that goes on and on for a good while."
    result = run_call(
        QUIET, assistant={"first_message": long_first}, commands=[(1.0, {"type": "end-call", "message": "Goodbye."})]
    )
    assert result.audio.clears and result.audio.clears[0][0] == 1.0
    assert result.recorder.messages("assistant")[-1] == "Goodbye."
    assert result.recorder.of("hangup") == ["assistant-ended-call"]
    assert result.reason == "assistant-ended-call"


def test_end_call_without_a_message_hangs_up_at_once() -> None:
    result = run_call(QUIET, commands=[(2.0, {"type": "end-call"})])
    assert result.recorder.of("hangup") == ["assistant-ended-call"]
    assert result.ended_at == 2.0


def test_transfer_speaks_then_transfers() -> None:
    result = run_call(
        QUIET, commands=[(2.0, {"type": "transfer", "destination": "+31201234567", "message": "Connecting you."})]
    )
    assert result.recorder.messages("assistant")[-1] == "Connecting you."
    assert result.recorder.of("transfer") == ["+31201234567"]
    assert result.reason == "transferred"


def test_dtmf_is_noted_in_the_history() -> None:
    result = run_call(QUIET, commands=[(1.0, {"type": "dtmf", "digit": "5"})], max_seconds=5, report_dtmf=True)
    assert {"role": "user", "content": "(the caller pressed 5 on the keypad)"} in result.session.history
    assert result.recorder.messages("dtmf") == ["5"]
    quiet = run_call(QUIET, commands=[(1.0, {"type": "dtmf", "digit": "5"})], max_seconds=5)
    assert quiet.recorder.messages("dtmf") == []


def test_a_command_after_the_call_ended_gets_no_reply_from_a_gone_session() -> None:
    result = run_call([("silence", 1.0), ("hangup",)], commands=[(3.0, {"type": "say", "content": "late"})])
    assert [r for _, r in result.command_replies] == []
    assert "late" not in result.recorder.messages()
