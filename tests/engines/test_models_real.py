"""The real engines of the `ci` profile, end to end on this machine's CPU."""

import re
import wave
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from voicedock.audio import as_int16, rms, ulaw_decode, ulaw_encode
from voicedock.engines.endpointing import Endpointer, EndpointEvent
from voicedock.engines.loader import Engines
from voicedock.engines.vad_webrtc import WebRtcVad

pytestmark = pytest.mark.models

UTTERANCE = "I would like to book an appointment for next Monday morning."
BOOK_TOOL = {
    "type": "function",
    "function": {
        "name": "book_appointment",
        "description": "Book an appointment for the caller.",
        "parameters": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "date": {"type": "string"},
                "time": {"type": "string"},
                "reason": {"type": "string", "enum": ["cleaning", "check-up", "pain"]},
            },
            "required": ["name", "date", "time", "reason"],
        },
    },
}


async def speak(engines: Engines, text: str) -> np.ndarray:
    return np.concatenate([chunk.pcm16 async for chunk in engines.tts.synthesize(text)])


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


async def test_piper_speaks_audible_8khz_audio_one_chunk_per_sentence(ci_engines):
    chunks = [c async for c in ci_engines.tts.synthesize("Hello. Dr. Jansen charges 3.5 euros for it.")]
    assert [c.text for c in chunks] == ["Hello.", "Dr. Jansen charges 3.5 euros for it."]
    assert all(c.rate == 8000 and c.pcm16.dtype == np.int16 for c in chunks)
    assert all(rms(c.pcm16) > 1000 for c in chunks)
    assert 0.3 < chunks[0].seconds < 2.0


async def test_whisper_understands_piper_speech_after_the_telephone_path(ci_engines, tmp_path: Path):
    phone = ulaw_encode(await speak(ci_engines, UTTERANCE))
    wav_path = tmp_path / "caller.wav"
    with wave.open(str(wav_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(ulaw_decode(phone).astype("<i2").tobytes())
    with wave.open(str(wav_path), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())
    transcript = await ci_engines.stt.transcribe(pcm, 8000)
    assert {"book", "appointment", "monday", "morning"} <= words(transcript.text), transcript.text
    assert 2.0 < transcript.audio_seconds < 8.0


async def test_whisper_hears_a_short_answer_and_no_words_in_line_noise(ci_engines):
    """Only the utterance's part of Whisper's window is encoded (`UtteranceWindow`): a two-word
    answer is still heard, and a burst of noise is still no speech to the pipeline."""
    silence = np.zeros(4000, dtype=np.int16)
    answer = ulaw_decode(ulaw_encode(np.concatenate([silence, await speak(ci_engines, "Yes, tomorrow."), silence])))
    heard = await ci_engines.stt.transcribe(answer, 8000)
    assert {"yes", "tomorrow"} <= words(heard.text) and heard.no_speech_prob < 0.8, heard
    noise = np.random.default_rng(7).normal(0, 3000, 3200).astype(np.int16)
    burst = ulaw_decode(ulaw_encode(np.concatenate([silence, noise, silence])))
    transcript = await ci_engines.stt.transcribe(burst, 8000)
    assert not words(transcript.text) or transcript.no_speech_prob > 0.8, transcript


async def test_vad_and_endpointer_find_the_turn_in_real_speech(ci_engines):
    speech = await speak(ci_engines, "Hello, can you hear me?")
    silence = np.zeros(8000, dtype=np.int16)
    audio = np.concatenate([silence, speech, silence])
    frame = 160
    ep = Endpointer(wait_seconds=0.5, min_speech_seconds=0.1, timeout_seconds=0)
    vad = WebRtcVad(2)  # the ci profile's VAD, fresh: WebRTC VAD adapts to what earlier tests fed it
    events = []
    for i in range(0, len(audio) - frame + 1, frame):
        event = ep.process(0.02, vad.is_speech(audio[i : i + frame], 8000))
        if event is not EndpointEvent.NONE:
            events.append((i / 8000, event))
    assert [e for _, e in events] == [EndpointEvent.SPEECH_STARTED, EndpointEvent.SPEECH_ENDED]
    assert 0.9 < events[0][0] < 1.4
    assert not vad.is_speech(as_int16(silence[:160]), 8000)


async def test_llm_streams_several_tokens(ci_engines):
    messages = [
        {"role": "system", "content": "You are a friendly receptionist."},
        {"role": "user", "content": "Hello, who am I speaking to?"},
    ]
    await ci_engines.llm.prefill(messages[:1])
    chunks = [c async for c in ci_engines.llm.stream(messages, max_tokens=24)]
    texts = [c.text for c in chunks if c.text]
    assert len(texts) >= 5
    assert chunks[-1].finish_reason in ("stop", "length")


async def test_llm_json_output_is_schema_valid(ci_engines):
    schema = BOOK_TOOL["function"]["parameters"]
    messages = [{"role": "user", "content": "My name is Anna, book a cleaning tomorrow at 3 pm. Reply in JSON."}]
    data = await ci_engines.llm.complete_json(messages, schema, max_tokens=96)
    jsonschema.validate(data, schema)


async def test_llm_forced_tool_call_has_valid_arguments(ci_engines):
    messages = [
        {"role": "system", "content": "Book appointments with the tool."},
        {"role": "user", "content": "I'm Piet and my tooth hurts, can I come on Friday at 10?"},
    ]
    chunks = [
        c async for c in ci_engines.llm.stream(messages, [BOOK_TOOL], tool_choice="book_appointment", max_tokens=96)
    ]
    calls = [c.tool_call for c in chunks if c.tool_call]
    assert len(calls) == 1 and calls[0].name == "book_appointment"
    jsonschema.validate(calls[0].arguments, BOOK_TOOL["function"]["parameters"])


async def test_the_sentence_encoder_puts_a_question_nearest_the_line_it_means(ci_engines):
    lines = ["Parking: we have no parking of our own; the public Elm Street garage is two minutes away.",
             "Payment: credit cards and cash; we do not accept checks.",
             "Gift cards are sold at the bar, for $50 or $100."]
    asked = ["Where would I get a voucher for my sister?", "Is there somewhere to leave the car?",
             "Can I pay with a cheque?"]
    vectors = await ci_engines.facts.embed([*lines, *asked])
    assert vectors.shape == (6, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    closeness = vectors[3:] @ vectors[:3].T
    assert list(closeness.argmax(axis=1)) == [2, 0, 1]
    assert closeness.max() < 1.0 and np.allclose(await ci_engines.facts.embed(asked[:1]), vectors[3:4], atol=1e-6)
