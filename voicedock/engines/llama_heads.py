"""Prompt heads on one llama.cpp context: which tokens a request starts with, saving and restoring
their evaluated state, and evaluating a head in chunks that a waiting turn can interrupt.

Everything here runs on the engine's one worker thread, the only thread that touches the `Llama`.
llama-cpp-python's own `save_state`/`LlamaRAMCache` copy its logits array on every save and load
(n_batch x n_vocab floats, 311 MB for Qwen's 152k vocabulary), so the sequence's KV state is saved
through the C API instead; it is all the next decode needs, since a request always has tokens
after the head and their decode makes fresh logits.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import Any

from .prompt_cache import PrefixCache, SavedPrefix, common_prefix

SEQUENCE = 0  # llama-cpp-python decodes every request as sequence 0


class _Captured(Exception):
    def __init__(self, tokens: list[int]) -> None:
        super().__init__("prompt tokens captured")
        self.tokens = tokens


class Interrupted(Exception):
    """A background evaluation gave way to a live turn; the part already evaluated is kept in the cache."""


class LlamaHeads:
    """Hooks `llama.generate`, where llama-cpp-python hands over the exact prompt tokens after its chat
    template, so that a request whose head was saved starts from that state instead of evaluating it."""

    def __init__(self, llama: Any, cache: PrefixCache) -> None:
        self.llama = llama
        self.cache = cache
        self.restored = 0  # requests that started from a saved state
        self._capturing = False
        original = llama.generate

        def generate(tokens: Sequence[int], *args: Any, **kwargs: Any) -> Any:
            tokens = list(tokens)
            if self._capturing:
                raise _Captured(tokens)
            self.restore_best(tokens)
            return original(tokens, *args, **kwargs)

        llama.generate = generate

    def prompt_tokens(self, create: Callable[..., Any], **kwargs: Any) -> list[int]:
        """The tokens `create(**kwargs)` would evaluate, without evaluating any."""
        self._capturing = True
        try:
            create(**kwargs)
        except _Captured as captured:
            return captured.tokens
        finally:
            self._capturing = False
        raise RuntimeError("the completion never reached generate()")

    def live_tokens(self) -> list[int]:
        return [int(t) for t in self.llama.input_ids[: self.llama.n_tokens]]

    def restore_best(self, tokens: Sequence[int]) -> bool:
        """Load the saved state sharing the most tokens with `tokens`, if it beats what the context holds."""
        found = self.cache.best(tokens)
        if found is None or found[1] <= common_prefix(self.live_tokens(), tokens):
            return False
        self.restore(found[0])
        self.restored += 1
        return True

    def save(self) -> SavedPrefix:
        ctx = self.llama._ctx.ctx
        size = int(self._lib().llama_state_seq_get_size(ctx, SEQUENCE))
        buffer = (ctypes.c_uint8 * size)()
        written = int(self._lib().llama_state_seq_get_data(ctx, buffer, size, SEQUENCE))
        return SavedPrefix(tuple(self.live_tokens()), bytes(buffer)[:written])

    def restore(self, saved: SavedPrefix) -> None:
        llama = self.llama
        llama._ctx.kv_cache_seq_rm(-1, 0, -1)
        buffer = (ctypes.c_uint8 * len(saved.state)).from_buffer_copy(saved.state)
        if not self._lib().llama_state_seq_set_data(llama._ctx.ctx, buffer, len(saved.state), SEQUENCE):
            llama.n_tokens = 0
            raise RuntimeError("llama.cpp refused a saved prompt state")
        llama.input_ids[: len(saved.tokens)] = saved.tokens
        llama.n_tokens = len(saved.tokens)
        llama._requires_eval = True  # the logits are not restored: the next request decodes first

    def evaluate(self, tokens: Sequence[int], chunk: int, give_way: Callable[[], bool]) -> None:
        """Bring the context to exactly `tokens` (from a saved state where one helps), `chunk` tokens a
        decode, and keep the result; raises `Interrupted` between chunks once `give_way()` is true."""
        llama = self.llama
        self.restore_best(tokens)
        start = common_prefix(self.live_tokens(), tokens)
        llama._ctx.kv_cache_seq_rm(-1, start, -1)
        llama.n_tokens = start
        for begin in range(start, len(tokens), chunk):
            if give_way():
                if llama.n_tokens:
                    self.cache.put(self.save())
                raise Interrupted
            llama.eval(list(tokens[begin:begin + chunk]))
        self.cache.put(self.save())

    def decoded(self) -> int:
        """Tokens llama.cpp has decoded in this context so far: its own count, prompt and generated."""
        data = self._lib().llama_perf_context(self.llama._ctx.ctx)
        return int(data.n_p_eval) + int(data.n_eval)

    @staticmethod
    def _lib() -> Any:
        import llama_cpp

        return llama_cpp
