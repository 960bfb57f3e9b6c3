"""Saving an assistant evaluates its call prompt in the background on the real ci model, so its next
call's first request finds the prompt already evaluated; a changed prompt is evaluated again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from voicedock.assistant import CallAssistant
from voicedock.config import Settings
from voicedock.conversation.warming import PromptWarmer, call_head
from voicedock.engines.llm_llama import LlamaLLM
from voicedock.store import Database
from voicedock.store.documents import ASSISTANTS

pytestmark = pytest.mark.models

NOW = datetime(2025, 6, 2, 14, 35)  # one calendar line for the save and the call
PROMPT = "You are the receptionist of Acme Dental. We open at 8 am and close at 5 pm on weekdays."


@pytest.fixture
async def llm(ci_llm_path: Path) -> AsyncIterator[LlamaLLM]:
    engine = LlamaLLM(ci_llm_path, n_ctx=2048, n_threads=2)
    yield engine
    engine.close()


async def tokens_a_call_start_decodes(llm: LlamaLLM, document: dict[str, Any]) -> int:
    """What the call's own prefill at answer time decodes, after another prompt used the model."""
    assert llm.heads is not None
    await llm.prefill([{"role": "system", "content": "You are someone else entirely. " * 30}])
    before = llm.heads.decoded()
    await llm.prefill(call_head(CallAssistant.parse(document), NOW))
    return llm.heads.decoded() - before


async def test_a_saved_assistant_is_warmed_before_its_first_call(
        aiohttp_client: Any, db: Database, settings: Settings, api_key: str, llm: LlamaLLM) -> None:
    warmer = PromptWarmer(llm, head=lambda assistant: call_head(assistant, NOW))
    client = await aiohttp_client(create_app(settings, db=db, prompt_warmer=warmer))
    auth = {"Authorization": f"Bearer {api_key}"}
    body = {"system_prompt": PROMPT, "first_message": "Acme Dental, how can I help?"}
    resp = await client.post("/api/v1/assistants", json=body, headers=auth)
    assert resp.status == 201
    ident = (await resp.json())["assistant"]["id"]
    await warmer.wait()
    assert await tokens_a_call_start_decodes(llm, body) == 0

    changed = {"system_prompt": PROMPT.replace("8 am", "7 am")}
    resp = await client.patch(f"/api/v1/assistants/{ident}", json=changed, headers=auth)
    assert resp.status == 200
    await warmer.wait()
    assert await tokens_a_call_start_decodes(llm, {**body, **changed}) == 0

    cold = {**body, "system_prompt": PROMPT.replace("Acme", "Zenith")}  # never saved, never warmed
    assert await tokens_a_call_start_decodes(llm, cold) > 100
    await warmer.aclose()


async def test_at_start_the_assistants_saved_before_are_warmed(db: Database, llm: LlamaLLM) -> None:
    document = {"name": "Harbour", "is_active": True, "system_prompt": PROMPT.replace("Acme", "Harbour"),
                "first_message": "Harbour Dental, hello."}
    db.write_sync(lambda d: ASSISTANTS.insert(d, "asst_saved_before", document))
    warmer = PromptWarmer(llm, head=lambda assistant: call_head(assistant, NOW))
    warmer.warm_recent(db)
    await warmer.wait()
    assert await tokens_a_call_start_decodes(llm, document) == 0
    await warmer.aclose()
