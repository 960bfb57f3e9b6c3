"""The saved prompt heads: bounded in bytes, least recently used out, the longest shared head found."""

from __future__ import annotations

import pytest

from voicedock.engines.prompt_cache import DEFAULT_MAX_BYTES, PrefixCache, SavedPrefix, max_bytes_from_env


def saved(tokens: list[int], size: int = 100) -> SavedPrefix:
    return SavedPrefix(tuple(tokens), b"x" * size)


def test_the_head_sharing_most_tokens_with_a_request_is_found() -> None:
    cache = PrefixCache(10_000)
    cache.put(saved([1, 2, 3, 4]))
    cache.put(saved([1, 2, 9]))
    found = cache.best([1, 2, 3, 4, 5, 6])
    assert found is not None and found[0].tokens == (1, 2, 3, 4) and found[1] == 4
    assert cache.best([7, 8]) is None


def test_past_its_bytes_the_least_recently_used_head_goes_first() -> None:
    one, two, three = saved([1, 1], 400), saved([2, 2], 400), saved([3, 3], 400)
    cache = PrefixCache(1000)
    cache.put(one)
    cache.put(two)
    assert cache.best([1, 1, 5]) is not None  # one is now the most recently used
    cache.put(three)
    assert cache.best([2, 2]) is None and cache.best([1, 1]) is not None and cache.best([3, 3]) is not None
    assert cache.nbytes <= 1000 and len(cache) == 2


def test_a_longer_state_of_the_same_head_replaces_the_shorter_and_zero_bytes_keeps_nothing() -> None:
    cache = PrefixCache(10_000)
    cache.put(saved([1, 2]))
    cache.put(saved([1, 2, 3]))
    assert len(cache) == 1 and cache.best([1, 2])[0].tokens == (1, 2, 3)  # type: ignore[index]
    off = PrefixCache(0)
    off.put(saved([1, 2]))
    assert len(off) == 0 and off.nbytes == 0


def test_the_cache_size_is_an_operator_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICEDOCK_PROMPT_CACHE_MB", raising=False)
    assert max_bytes_from_env() == DEFAULT_MAX_BYTES
    monkeypatch.setenv("VOICEDOCK_PROMPT_CACHE_MB", "64")
    assert max_bytes_from_env() == 64 * 1024 * 1024
    monkeypatch.setenv("VOICEDOCK_PROMPT_CACHE_MB", "0")
    assert max_bytes_from_env() == 0
