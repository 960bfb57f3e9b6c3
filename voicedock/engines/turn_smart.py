"""End of turn from the caller's voice: Smart Turn v3 (a Whisper-tiny encoder with a small head,
int8 ONNX, 8 MB) on onnxruntime.

A fixed silence cannot tell "I'd like to book… [pause] …a cleaning" from a finished sentence;
this model hears the intonation and the words so far. It is asked at the caller's first short
pause, so a finished sentence ends the turn about 0.2 s after the voice stops instead of after a
fixed wait, and an unfinished one waits up to `max_wait_seconds`. Inference (the log-mel front
end plus the network, 60-100 ms on one busy core) runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from voicedock.audio import PCM16, as_int16, resample, to_float32
from voicedock.engines.base import EngineError, WordsTurnDetector

MODEL_RATE = 16000
WINDOW_SECONDS = 8  # the model hears the last 8 s of the utterance, zero-padded in front


class SmartTurn:
    """Probability that the caller has finished, from the audio of the utterance so far."""

    def __init__(
        self,
        model_path: Path,
        *,
        threshold: float = 0.5,
        check_seconds: tuple[float, ...] = (0.2,),
        max_wait_seconds: float = 2.0,
        mid_phrase_wait_seconds: float = 0.0,
        cpu_threads: int = 1,
        words: WordsTurnDetector | None = None,
    ) -> None:
        if not check_seconds or any(c <= 0 or c >= max_wait_seconds for c in check_seconds):
            raise EngineError("turn_config", "check_seconds must be between 0 and max_wait_seconds")
        import onnxruntime as ort
        from faster_whisper.feature_extractor import FeatureExtractor  # type: ignore[import-untyped]

        options = ort.SessionOptions()
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = cpu_threads
        try:
            self._session = ort.InferenceSession(str(model_path), sess_options=options,
                                                 providers=["CPUExecutionProvider"])
        except Exception as err:
            raise EngineError("turn_load", f"cannot load Smart Turn from {model_path}: {err}") from err
        # Whisper's own log-mel (80 bands, 25 ms windows every 10 ms), as the encoder was trained on.
        self._features = FeatureExtractor(feature_size=80, sampling_rate=MODEL_RATE)
        self.threshold = threshold
        self.check_seconds = tuple(sorted(check_seconds))
        self.max_wait_seconds = max_wait_seconds
        self.mid_phrase_wait_seconds = mid_phrase_wait_seconds  # the endpointer never waits less than the longest wait
        self.words = words

    async def complete_probability(self, pcm16: PCM16, rate: int) -> float:
        return await asyncio.to_thread(self.predict, pcm16, rate)

    def predict(self, pcm16: PCM16, rate: int) -> float:
        """Blocking: the probability that the utterance in `pcm16` is a finished turn."""
        features = log_mel(as_int16(pcm16), rate, self._features)
        try:
            (out,) = self._session.run(None, {"input_features": features[None, :, :]})
        except Exception as err:
            raise EngineError("turn_inference", f"Smart Turn failed: {err}", retryable=True) from err
        return float(np.asarray(out).reshape(-1)[0])


def log_mel(pcm: np.ndarray, rate: int, extractor: object) -> np.ndarray:
    """The model's input: the last 8 s at 16 kHz (silence in front of a shorter utterance),
    scaled to zero mean and unit variance, as 80 x 800 Whisper log-mel frames."""
    audio = to_float32(pcm)
    if rate != MODEL_RATE:
        audio = np.asarray(resample(audio, rate, MODEL_RATE), dtype=np.float32)
    n = WINDOW_SECONDS * MODEL_RATE
    audio = audio[-n:]
    audio = np.pad(audio, (n - len(audio), 0))
    audio = (audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)
    mel = extractor(audio, padding=0)  # type: ignore[operator]
    return np.asarray(mel, dtype=np.float32)
