"""`voicedock demo`: a demo assistant and number, so a softphone can call right after `scripts/run`."""

from __future__ import annotations

from typing import Any

from voicedock.config import Settings
from voicedock.ids import new_id
from voicedock.schemas.assistants import AssistantCreate, normalise
from voicedock.secrets import SecretBox, generate_webhook_secret
from voicedock.store import Database, records
from voicedock.store.documents import ASSISTANTS

DEMO_NUMBER = "+15550100"
DEMO_ASSISTANT = {
    "name": "Demo assistant",
    "system_prompt": "You are the VoiceDock demo assistant. Be brief and friendly.",
    "first_message": "Hello, this is the VoiceDock demo. How can I help you today?",
}


def ensure_demo(settings: Settings, number: str = DEMO_NUMBER) -> dict[str, Any]:
    """Create the demo assistant and number when the number is missing; returns the number row."""
    db = Database(settings.database_path)
    box = SecretBox(settings.secret_key_path)
    try:
        db.migrate_sync()

        def create(d: Any) -> dict[str, Any]:
            existing = records.number_by_phone(d, number)
            if existing is not None:
                return dict(existing)
            doc = normalise(AssistantCreate.model_validate(DEMO_ASSISTANT).model_dump(
                by_alias=True, exclude={"webhook_secret"}))
            doc["tools"] = doc["llm_config"]["tools"]
            ident = new_id("assistant")
            ASSISTANTS.insert(d, ident, doc, webhook_secret_enc=box.encrypt(generate_webhook_secret()))
            return records.create_number(d, {"phone_number": number, "name": "Demo", "assistant_id": ident})

        return db.write_sync(create)
    finally:
        db.close()
