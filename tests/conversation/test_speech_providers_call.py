"""A call's session speaks and listens through its own assistant's speech providers, while calls of
other assistants keep the shared local engines."""

from __future__ import annotations

from voicedock.assistant import CallAssistant
from voicedock.conversation.base import CallInfo
from voicedock.conversation.voice import VoiceSession, voice_session_factory
from voicedock.engines.credentials import static_keys
from voicedock.engines.loader import Engines, fake_engines
from voicedock.engines.speech_fallback import FallbackSTT, FallbackTTS
from voicedock.engines.speech_providers import speech_engines_for
from voicedock.engines.speech_wyoming import WyomingSTT, WyomingTTS

from .harness import FakeAudioPort, Recorder


def session_for(assistant: dict[str, object], call_id: str) -> VoiceSession:
    shared = fake_engines()
    keys = static_keys({})

    def per_call(info: CallInfo, engines: Engines) -> Engines:
        return speech_engines_for(info.assistant, keys, engines, info.call_id)

    factory = voice_session_factory(shared, per_call=per_call)
    info = CallInfo(call_id=call_id, direction="inbound",
                    assistant=CallAssistant.parse({"system_prompt": "x", **assistant}))
    recorder = Recorder()
    session = factory(info, FakeAudioPort([]), recorder, recorder)
    assert isinstance(session, VoiceSession)
    assert session.engines.llm is shared.llm and session.engines.vad is shared.vad
    return session


def test_each_call_gets_the_speech_engines_its_assistant_names() -> None:
    wyoming = session_for({"stt_config": {"provider": "wyoming", "url": "tcp://127.0.0.1:10300"},
                           "tts_config": {"provider": "wyoming", "url": "tcp://127.0.0.1:10200"}}, "call_a")
    assert isinstance(wyoming.engines.stt, FallbackSTT) and isinstance(wyoming.engines.stt.primary, WyomingSTT)
    assert isinstance(wyoming.engines.tts, FallbackTTS) and isinstance(wyoming.engines.tts.primary, WyomingTTS)
    assert wyoming.engines.tts.call_id == "call_a"
    local = session_for({}, "call_b")
    assert not isinstance(local.engines.stt, FallbackSTT) and not isinstance(local.engines.tts, FallbackTTS)
