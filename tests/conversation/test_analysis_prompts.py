"""The analysis plan's own prompts are what the model is asked after the call."""

from __future__ import annotations

import asyncio

from voicedock.assistant import CallAssistant
from voicedock.conversation.analysis import analyse
from voicedock.engines.fakes import FakeLLM

MESSAGES = [{"role": "assistant", "content": "Bright Smile, how can I help?"},
            {"role": "user", "content": "Is the clinic open on Saturday?"}]


def test_the_summary_and_success_prompts_are_the_assistants_own() -> None:
    llm = FakeLLM(json_replies=[{"summary": "The caller asked about Saturday."}, {"success": True}])
    plan = {"system_prompt": "x", "analysis_plan": {
        "summary_prompt": "Write one sentence for the clinic manager.",
        "success_evaluation_plan": {"prompt": "Did the caller learn the Saturday opening hours?"}}}
    result = asyncio.run(analyse(llm, CallAssistant.parse(plan), MESSAGES))
    assert result["success_evaluation"] is True
    summary_ask, success_ask = (" ".join(m["content"] for m in r["messages"]) for r in llm.requests)
    assert summary_ask.startswith("Write one sentence for the clinic manager.")
    assert "Did the caller learn the Saturday opening hours?" in success_ask
