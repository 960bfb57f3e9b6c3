"""Assistants taking turns on one real llama.cpp model (the ci profile's SmolLM2): a turn of an assistant
whose prompt was evaluated before does not evaluate it again, however many others used the model since,
and answers exactly as it would without the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicedock.engines.base import Message
from voicedock.engines.llm_llama import LlamaLLM

pytestmark = pytest.mark.models

CLINIC: list[Message] = [{"role": "system", "content": "You are the receptionist of Acme Dental. "
                          + "We open at 8 am and close at 5 pm on weekdays. " * 12}]
GARAGE: list[Message] = [{"role": "system", "content": "You are the booking line of Zed Garage. "
                          + "Tyre changes take one hour and cost 40 euros. " * 12}]
QUESTION: Message = {"role": "user", "content": "When do you open tomorrow?"}


def model(path: Path, cache_bytes: int) -> LlamaLLM:
    return LlamaLLM(path, n_ctx=2048, n_threads=2, prompt_cache_bytes=cache_bytes)


async def clinic_turn_after_the_garage(llm: LlamaLLM) -> tuple[str, int, int]:
    """Both prompts prefilled as at call start (the garage last), then a clinic turn: its reply, the
    tokens llama.cpp decoded for it and the clinic prompt's length in tokens."""
    assert llm.heads is not None
    await llm.prefill(CLINIC)
    await llm.prefill(GARAGE)
    head = len(llm.heads.prompt_tokens(llm.llama.create_chat_completion, messages=CLINIC, max_tokens=1))
    before = llm.heads.decoded()
    reply = "".join([chunk.text async for chunk in llm.stream([*CLINIC, QUESTION], max_tokens=6)])
    return reply, llm.heads.decoded() - before, head


async def test_a_switch_back_to_an_assistant_reuses_its_prompt_and_answers_the_same(ci_llm_path: Path) -> None:
    cached = model(ci_llm_path, 64 << 20)
    uncached = model(ci_llm_path, 0)
    try:
        reply, decoded, head = await clinic_turn_after_the_garage(cached)
        plain_reply, plain_decoded, _ = await clinic_turn_after_the_garage(uncached)
    finally:
        cached.close()
        uncached.close()
    assert head > 200
    assert plain_decoded > head, "without the cache the switch must pay the whole prompt"
    assert decoded < 40, f"the clinic's prompt ({head} tokens) was evaluated again: {decoded} tokens decoded"
    assert reply == plain_reply and reply.strip()


async def test_a_changed_prompt_warmed_in_the_background_is_ready_for_the_next_turn(ci_llm_path: Path) -> None:
    llm = model(ci_llm_path, 64 << 20)
    changed: list[Message] = [{"role": "system", "content": CLINIC[0]["content"] + " We open on Sunday too."}]
    try:
        assert llm.heads is not None
        await llm.prefill(GARAGE)
        assert await llm.warm(changed) is True
        await llm.prefill(GARAGE)
        before = llm.heads.decoded()
        async for _ in llm.stream([*changed, QUESTION], max_tokens=4):
            pass
        assert llm.heads.decoded() - before < 40
    finally:
        llm.close()
