"""Local speech and language engines: small protocols, one real and one fake implementation each.

Heavy libraries (faster-whisper, llama-cpp-python, piper) are imported only by the modules that
wrap them, so the core and the fakes stay importable on a machine without the models.
"""

from voicedock.engines.base import (
    LLM,
    STT,
    TTS,
    VAD,
    AudioChunk,
    EngineError,
    LLMChunk,
    Message,
    Tool,
    ToolCall,
    Transcript,
)

__all__ = [
    "LLM",
    "STT",
    "TTS",
    "VAD",
    "AudioChunk",
    "EngineError",
    "LLMChunk",
    "Message",
    "Tool",
    "ToolCall",
    "Transcript",
]
