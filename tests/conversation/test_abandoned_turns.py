"""Turns the assistant never answered still leave the caller's words in the transcript: a hang-up
while it thinks or mid-sentence, words said while it prepared to speak and then talked over."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tests.conversation.harness import run_call
from voicedock.audio import rms
from voicedock.engines.base import Transcript
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS
from voicedock.engines.loader import fake_engines

FRAME = 160


@dataclass
class OneWordPerFifthSecondSTT:
    """Hears one word per 0.2 s of loud audio, so a transcript shows how much of the caller it got."""

    heard: list[int] = field(default_factory=list)

    async def transcribe(self, pcm16: np.ndarray, rate: int) -> Transcript:
        frames = [pcm16[i:i + FRAME] for i in range(0, len(pcm16) - FRAME + 1, FRAME)]
        words = round(sum(1 for f in frames if rms(f) > 500) * FRAME / rate / 0.2)
        self.heard.append(words)
        return Transcript(text=" ".join(["word"] * words), language="en", audio_seconds=len(pcm16) / rate)


def test_a_caller_who_hangs_up_while_the_assistant_thinks_is_in_the_transcript() -> None:
    stt = FakeSTT(["I need to cancel my appointment"], delay=3.0)  # still transcribing at the hang-up
    script = [("silence", 0.5), ("speak", 1.0), ("silence", 1.0), ("hangup",)]
    result = run_call(script, assistant={"first_message": None}, engines=fake_engines(stt=stt))
    assert result.recorder.messages() == ["I need to cancel my appointment"]
    assert result.recorder.of("message")[0]["role"] == "user"


def test_a_caller_cut_off_mid_sentence_is_in_the_transcript() -> None:
    script = [("silence", 0.5), ("speak", 1.0), ("hangup",)]
    result = run_call(script, assistant={"first_message": None},
                      engines=fake_engines(stt=FakeSTT(["I need to cancel my"])))
    assert result.recorder.messages("user") == ["I need to cancel my"]


def test_words_said_before_a_barge_in_are_kept_with_it() -> None:
    """The caller speaks while the greeting is still being synthesised (their turn waits for it),
    then talks over the greeting: the reply and the transcript have both utterances."""
    stt = OneWordPerFifthSecondSTT()
    engines = fake_engines(stt=stt, tts=FakeTTS(delay=2.0), llm=FakeLLM(["Sure."]))  # type: ignore[arg-type]
    script = [("silence", 0.2), ("speak", 0.8), ("silence", 2.0), ("speak", 1.0), ("silence", 3.0), ("hangup",)]
    greeting = "Welcome to the clinic. We are open every weekday from nine to five. How can I help you today?"
    result = run_call(script, assistant={"first_message": greeting}, engines=engines)
    assert "barge-in" in result.states
    said = " ".join(result.recorder.messages("user")).split()
    assert len(said) == 9, f"0.8 s and 1.0 s of speech are 4 + 5 words, the transcript has {len(said)}"


def test_the_caller_s_words_are_stored_before_the_reply_is_written() -> None:
    """A server killed while the assistant thinks keeps what the caller said: it is stored first."""
    llm = FakeLLM(["This reply takes a long time to write."], token_delay=5.0)
    script = [("silence", 0.5), ("speak", 1.0), ("silence", 30.0), ("hangup",)]
    result = run_call(script, assistant={"first_message": None}, engines=fake_engines(llm=llm),
                      stop_when=lambda r: bool(r.messages("user")))
    assert result.recorder.messages() == ["hello"]
    assert result.ended_at < 5.0
