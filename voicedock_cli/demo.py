"""`voicedock demo`: a demo assistant and number, so a softphone can call right after `scripts/run`."""

from __future__ import annotations

from typing import Any

from voicedock.config import Settings
from voicedock.ids import new_id
from voicedock.schemas.assistants import AssistantCreate, stored_document
from voicedock.secrets import SecretBox, generate_webhook_secret
from voicedock.store import open_database, records
from voicedock.store.documents import ASSISTANTS

DEMO_NUMBER = "+15550100"
DEMO_ASSISTANT = {
    "name": "Demo assistant",
    "system_prompt": (
        "You answer the phone for Sunrise Bakery, a demo business. Answer in one or two short, friendly "
        "sentences, and only with these facts.\n"
        "- Opening hours: Monday to Saturday from 7 am to 6 pm; closed on Sunday.\n"
        "- Address: 12 Harbour Street.\n"
        "- What we sell: bread, pastries and cakes; cakes are made to order."
    ),
    "first_message": "Hello, this is Sunrise Bakery, a VoiceDock demo. How can I help you?",
}


def ensure_demo(settings: Settings, number: str = DEMO_NUMBER) -> dict[str, Any]:
    """Create the demo assistant and number when the number is missing; returns the number row."""
    db = open_database(settings.database_url, settings.database_path)
    box = SecretBox(settings.secret_key_path)
    try:
        db.migrate_sync()

        def create(d: Any) -> dict[str, Any]:
            existing = records.number_by_phone(d, number)
            if existing is not None:
                return dict(existing)
            doc = stored_document(AssistantCreate.model_validate(DEMO_ASSISTANT))
            ident = new_id("assistant")
            ASSISTANTS.insert(d, ident, doc, webhook_secret_enc=box.encrypt(generate_webhook_secret()))
            return records.create_number(d, {"phone_number": number, "name": "Demo", "assistant_id": ident})

        return db.write_sync(create)
    finally:
        db.close()
