"""Speech to text with faster-whisper (CTranslate2), loaded from a local directory only.

Whisper decodes against a 30 s window. On the CPU only the utterance's part of it is encoded
(`UtteranceWindow`), so a short turn costs a fraction of a long one; transcribing once per
endpointed turn is still cheaper than streaming partial results.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from voicedock.audio import PCM16, as_int16, resample, to_float32
from voicedock.engines.base import EngineError, Transcript
from voicedock.engines.stt_tail import whole_reading
from voicedock.engines.waits import WAITS

WHISPER_RATE = 16000
WINDOW_MARGIN_FRAMES = 100
"""Feature frames (10 ms each) of the window's silence encoded with the utterance: the decoder
finds the end of the speech against them."""
NO_SPEECH_THRESHOLD = 0.8
"""A window whose no-speech probability is above this, decoded with little confidence, is no
speech (faster-whisper's default is 0.6). With the utterance window the probability sits about
0.2 higher than with the full one on speech (up to 0.73 on espeak-ng lines through µ-law) and
0.05-0.1 higher on noise (0.89-0.92 against 0.77-0.86); the pipeline drops transcripts above the
same 0.8."""
log = logging.getLogger(__name__)


class UtteranceWindow:
    """Encodes the utterance, not the 30 s window, and lends the rest of the window from silence.

    faster-whisper pads every window's log-mel features with zeros to 30 s, and the encoder's cost
    is that window's: 0.43 s of the 0.45 s a turn's transcript took on 2 cores (tiny.en, int8).
    Encoding only the features up to the utterance's end plus a margin takes 0.05-0.15 s. Handing
    the decoder that short encoding failed (trained on 30 s windows, it did not find the end: "Bye!"
    became "bye bye bye ..."), so the encoder output is completed to the full window with the
    encoding of an all-silent window, computed once. The decoder then sees speech followed by
    silence, as it was trained; the positions past the utterance barely depend on it. Measured on
    100 dev caller lines through 8 kHz µ-law (docs/models.md): WER 12.9 % against 13.3 % (Piper),
    43.5 % against 48.8 % (espeak-ng); transcript p50 135 ms against 479 ms.
    """

    def __init__(self, encode: Callable[[np.ndarray], Any], n_mels: int, frames: int = 3000,
                 margin: int = WINDOW_MARGIN_FRAMES) -> None:
        self._encode = encode
        self.frames = frames
        self.margin = margin
        self._silence = np.array(encode(np.zeros((n_mels, frames), np.float32)))

    def __call__(self, features: np.ndarray) -> Any:
        window = features if features.ndim == 2 else features[0]
        used = content_frames(window) + self.margin
        used += used % 2  # the encoder's convolution halves the frames
        if window.shape[-1] != self.frames or used >= self.frames:
            return self._encode(features)
        head = np.asarray(self._encode(np.ascontiguousarray(window[:, :used])))
        whole = np.concatenate([head, self._silence[:, head.shape[1]:]], axis=1)
        return _storage(np.ascontiguousarray(whole))


def content_frames(window: np.ndarray) -> int:
    """Frames of a log-mel window before its zero padding (audio, even silence, is never all zero)."""
    spoken = np.flatnonzero(np.any(window != 0, axis=0))
    return int(spoken[-1]) + 1 if len(spoken) else 0


def _storage(array: np.ndarray) -> Any:
    import ctranslate2

    return ctranslate2.StorageView.from_array(array)


class WhisperSTT:
    """One CTranslate2 model shared by all calls; CTranslate2 queues concurrent requests itself,
    but a lock keeps one utterance per model so the configured threads are not oversubscribed."""

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        beam_size: int = 1,
        language: str | None = "en",
        utterance_window: bool = True,
    ) -> None:
        """`utterance_window`: encode only the utterance (`UtteranceWindow`); CPU only, as a GPU
        encodes the whole window in milliseconds and its output does not live in host memory."""
        import ctranslate2
        from faster_whisper import WhisperModel

        path = Path(model_dir)
        if not (path / "model.bin").is_file():
            raise EngineError("model_missing", f"no CTranslate2 Whisper model in {path} (run scripts/install-models)")
        if device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
            log.warning("no CUDA device for CTranslate2; Whisper runs on the CPU with int8")
            device, compute_type = "cpu", "int8"
        self.model = WhisperModel(
            str(path), device=device, compute_type=compute_type, cpu_threads=cpu_threads, local_files_only=True
        )
        if utterance_window and device == "cpu":
            # faster-whisper calls `self.encode(window)` for every window (and language detection).
            self.model.encode = UtteranceWindow(
                self.model.encode, self.model.model.n_mels, self.model.feature_extractor.nb_max_frames)
        self.beam_size = beam_size
        self.language = language
        self._lock = threading.Lock()

    def transcribe_sync(self, pcm16: PCM16, rate: int, language: str | None = None,
                        queued_at: float | None = None, dropped: threading.Event | None = None) -> Transcript:
        """Blocking transcription; use `transcribe` from async code. `language` overrides the model's
        default for one call's assistant (a multilingual model serves every language); `queued_at`
        (perf_counter) is when the request was made, so its wait for a thread and the model is reported.
        `dropped` set while the request waits for the model: nobody wants the words any more (the
        caller went on after a pause), so the model goes to the next request instead."""
        started = time.perf_counter()
        audio = resample(to_float32(pcm16), rate, WHISPER_RATE).astype(np.float32)
        before_lock = time.perf_counter()
        with self._lock:
            WAITS.observe("stt", started - (queued_at or started) + time.perf_counter() - before_lock)
            if dropped is not None and dropped.is_set():
                raise EngineError("stt_dropped", "the transcription was no longer wanted")
            parts, info = self._decode(audio, language)
            text = whole_reading(" ".join(seg.text.strip() for seg in parts).strip(), as_int16(pcm16), rate,
                                 lambda half: self._text(half, rate, language))
        no_speech = max((seg.no_speech_prob for seg in parts), default=1.0)
        return Transcript(
            text=text,
            language=info.language,
            audio_seconds=len(audio) / WHISPER_RATE,
            no_speech_prob=float(no_speech),
            elapsed_seconds=time.perf_counter() - started,
        )

    def _decode(self, audio: np.ndarray, language: str | None) -> tuple[list[Any], Any]:
        segments, info = self.model.transcribe(
            audio,
            beam_size=self.beam_size,
            language=language or self.language,
            condition_on_previous_text=False,
            vad_filter=False,
            without_timestamps=True,
            no_speech_threshold=NO_SPEECH_THRESHOLD,
        )
        return list(segments), info

    def _text(self, pcm16: PCM16, rate: int, language: str | None) -> str:
        """Blocking, under the lock: the words of part of an utterance (`stt_tail.whole_reading`)."""
        audio = resample(to_float32(pcm16), rate, WHISPER_RATE).astype(np.float32)
        return " ".join(seg.text.strip() for seg in self._decode(audio, language)[0]).strip()

    async def transcribe(self, pcm16: PCM16, rate: int, language: str | None = None) -> Transcript:
        dropped = threading.Event()
        try:
            return await asyncio.to_thread(self.transcribe_sync, pcm16, rate, language, time.perf_counter(), dropped)
        except asyncio.CancelledError:
            dropped.set()  # a thread cannot be stopped, but one still waiting for the model need not run
            raise
        except EngineError:
            raise
        except Exception as err:
            raise EngineError("stt_failed", f"transcription failed: {err}") from err
