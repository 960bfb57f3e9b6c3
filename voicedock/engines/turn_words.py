"""End of turn from the caller's words: how likely a small language model finds it that the
words so far end a sentence.

Smart Turn hears intonation; a synthetic or telephone voice often gives it little to hear, so it
calls "I need to cancel," finished at the comma and holds "Sorry, actually I just need a loaf of
bread." to the longest wait. The words say what the voice does not: after "I need to cancel" a
language model puts almost no probability on the sentence ending (0.000-0.02 on the false-cut-off
set's sentence heads), after "I need to cancel my appointment for tomorrow morning" a lot
(0.1-0.9). The model is SmolLM2-135M-Instruct (the ci profile's LLM, 93 MB): the words go in as
the caller's message of its chat template, without the punctuation the STT added, and the answer
is the probability of the message ending there (its end token, or a full stop, question or
exclamation mark next). The template's head is evaluated once and kept; a question evaluates only
its own dozen tokens, about 10-30 ms on one core. Inference runs in a worker thread under a lock.
"""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path

import numpy as np

from voicedock.engines.base import EngineError

HEAD = "<|im_start|>system\nYou are a phone receptionist.<|im_end|>\n<|im_start|>user\n"
END_TOKEN = "<|im_end|>"
SENTENCE_ENDS = (".", "?", "!")
_TRAILING = re.compile(r"[\s.?!,;:…-]+$")
MAX_WORDS_TOKENS = 96  # the last words of a long utterance are what tells whether it ended


class WordsTurn:
    """Probability that the caller's words so far are a finished sentence."""

    def __init__(self, model_path: Path, *, unfinished_below: float = 0.05, finished_from: float = 0.5,
                 unsure_voice_threshold: float = 0.0, question_finished_from: float | None = None,
                 n_threads: int = 1) -> None:
        try:
            from llama_cpp import Llama

            self._llm = Llama(model_path=str(model_path), n_ctx=256, n_batch=128, n_threads=n_threads,
                              logits_all=True, verbose=False)
        except Exception as err:
            raise EngineError("turn_load", f"cannot load the words model from {model_path}: {err}") from err
        self.unfinished_below = unfinished_below
        self.finished_from = finished_from
        self.unsure_voice_threshold = unsure_voice_threshold
        self.question_finished_from = finished_from if question_finished_from is None else question_finished_from
        self._lock = threading.Lock()
        self._head = self._llm.tokenize(HEAD.encode(), add_bos=False, special=True)
        ends = [self._llm.tokenize(END_TOKEN.encode(), add_bos=False, special=True)]
        ends += [self._llm.tokenize(mark.encode(), add_bos=False, special=False) for mark in SENTENCE_ENDS]
        if any(len(tokens) != 1 for tokens in ends):
            raise EngineError("turn_load", "the words model's vocabulary has no single tokens for a sentence end")
        self._ends = [tokens[0] for tokens in ends]
        self._llm.eval(self._head)

    async def finished_probability(self, text: str) -> float:
        return await asyncio.to_thread(self.predict, text)

    def predict(self, text: str) -> float:
        """Blocking: the probability that `text` ends here."""
        words = _TRAILING.sub("", text.strip())
        if not words:
            return 0.0
        tokens = self._llm.tokenize(words.encode(), add_bos=False, special=False)[-MAX_WORDS_TOKENS:]
        with self._lock:
            try:
                self._llm.n_tokens = len(self._head)  # keep the evaluated head, drop the last question
                self._llm._ctx.kv_cache_seq_rm(-1, len(self._head), -1)
                self._llm.eval(tokens)
                logits = np.asarray(self._llm.scores[self._llm.n_tokens - 1], dtype=np.float64)
            except Exception as err:
                raise EngineError("turn_inference", f"words model failed: {err}", retryable=True) from err
        logits = logits - logits.max()
        probabilities = np.exp(logits)
        return float(probabilities[self._ends].sum() / probabilities.sum())
