"""Whisper serves one utterance at a time: a transcription nobody wants any more (the caller went
on after the pause it was begun at) gives its place to the next request instead of running."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import SimpleNamespace
from typing import Any

import numpy as np

from voicedock.engines.stt_whisper import WhisperSTT


class SlowModel:
    """Stands in for faster-whisper's model: holds the first request until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.ran: list[int] = []

    def transcribe(self, audio: np.ndarray, **_: Any) -> tuple[list[Any], Any]:
        self.ran.append(len(audio))
        self.started.set()
        self.release.wait(5)
        return [SimpleNamespace(text=f"words {len(audio)}", no_speech_prob=0.0)], SimpleNamespace(language="en")


def _stt(model: SlowModel) -> WhisperSTT:
    stt = WhisperSTT.__new__(WhisperSTT)
    stt.model, stt.beam_size, stt.language, stt._lock = model, 1, "en", threading.Lock()
    return stt


async def test_a_cancelled_request_waiting_for_the_model_is_never_run() -> None:
    model = SlowModel()
    stt = _stt(model)
    first = asyncio.ensure_future(stt.transcribe(np.zeros(8000, np.int16), 8000))
    await asyncio.to_thread(model.started.wait, 2)
    unwanted = asyncio.ensure_future(stt.transcribe(np.zeros(16000, np.int16), 8000))
    wanted = asyncio.ensure_future(stt.transcribe(np.zeros(24000, np.int16), 8000))
    await asyncio.sleep(0.05)
    unwanted.cancel()
    with contextlib.suppress(asyncio.CancelledError):  # the cancellation has reached it before the model is free
        await unwanted
    model.release.set()
    assert (await first).text == "words 16000"
    assert (await wanted).text == "words 48000"
    assert model.ran == [16000, 48000]  # the cancelled one's 32000 samples were never transcribed
