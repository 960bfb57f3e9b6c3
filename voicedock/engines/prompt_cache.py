"""Saved llama.cpp states of evaluated prompt heads, least recently used first out, bounded in bytes.

A `Llama` instance keeps one KV cache, so when assistants take turns on one model each switch
re-evaluates the other's system prompt: 2.5 s for 470 tokens with Qwen 0.5B on 2 cores. A saved
sequence state is small next to that work (about 12 KiB a token for Qwen 0.5B, 28 KiB for 1.5B), so
each evaluated prompt head is kept here and restored when a request starts with it.

Pure: tokens and bytes in, tokens and bytes out; the engine does the llama.cpp calls.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # about 9 heads of 1,000 tokens on Qwen 1.5B, 20 on 0.5B


def max_bytes_from_env() -> int:
    """`VOICEDOCK_PROMPT_CACHE_MB` (MiB per LLM instance; 0 turns the cache off), else the default."""
    raw = os.environ.get("VOICEDOCK_PROMPT_CACHE_MB")
    return max(0, int(float(raw) * 1024 * 1024)) if raw not in (None, "") else DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class SavedPrefix:
    tokens: tuple[int, ...]  # the tokens whose keys and values the state holds, in order
    state: bytes  # llama.cpp's sequence state for them

    @property
    def nbytes(self) -> int:
        return len(self.state) + 4 * len(self.tokens)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens two sequences share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PrefixCache:
    """Least recently used out once the states pass `max_bytes`; 0 keeps nothing."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, ...], SavedPrefix] = OrderedDict()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, saved: SavedPrefix) -> None:
        """Keep `saved`; a state that only holds a head of it is dropped, since this one serves its requests."""
        if not saved.tokens or saved.nbytes > self.max_bytes:
            return
        for key in [k for k in self._entries if saved.tokens[: len(k)] == k]:
            self._drop(key)
        self._entries[saved.tokens] = saved
        self.nbytes += saved.nbytes
        while self.nbytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def best(self, tokens: Sequence[int]) -> tuple[SavedPrefix, int] | None:
        """The state sharing the longest head with `tokens`, and how many tokens that is; marked used."""
        found: tuple[SavedPrefix, int] | None = None
        for saved in self._entries.values():
            shared = common_prefix(saved.tokens, tokens)
            if shared and (found is None or shared > found[1]):
                found = (saved, shared)
        if found is not None:
            self._entries.move_to_end(found[0].tokens)
        return found

    def _drop(self, key: tuple[int, ...]) -> None:
        self.nbytes -= self._entries.pop(key).nbytes
