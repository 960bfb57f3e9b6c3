"""An assistant's name and metadata travel in every webhook of its calls, so a receiver can tell
which of its own records a call belongs to."""

from __future__ import annotations

from voicedock.assistant import CallAssistant
from voicedock.webhooks.payloads import call_context, status_update


def test_the_assistants_name_and_metadata_reach_the_receiver() -> None:
    assistant = CallAssistant.parse({"system_prompt": "x", "name": "Front desk", "metadata": {"crm_id": "A-42"}})
    ctx = call_context(call_id="call_1", direction="inbound", status="in-progress", assistant=assistant.document,
                       agent_phone="+31201234567", customer_phone="+31612345678")
    sent = status_update(ctx, "in-progress")["message"]["assistant"]
    assert sent["name"] == "Front desk" and sent["metadata"] == {"crm_id": "A-42"}
    assert "webhook_secret" not in sent
