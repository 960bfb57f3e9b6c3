"""Numbers and SIP trunks in the dashboard, as the API lists them: never a trunk's password."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient

from voicedock.config import Settings
from voicedock.secrets import SecretBox
from voicedock.store import Database, records

from . import seed


async def test_numbers_show_their_assistant_and_trunk_and_trunks_hide_their_password(
        client: TestClient, db: Database, settings: Settings, sign_in_by_link: Callable[[], Awaitable[str]]) -> None:
    await sign_in_by_link()
    assistant = seed.seed_assistant(db, "Front desk")
    box = SecretBox(settings.secret_key_path)
    trunk = db.write_sync(lambda d: records.create_trunk(d, box, {
        "name": "Carrier A", "host": "sip.carrier.example", "port": 5061, "transport": "tls",
        "username": "acct42", "password": "hunter2-very-secret", "register": True}))
    db.write_sync(lambda d: records.create_number(d, {"phone_number": "+15550100", "assistant_id": assistant,
                                                      "sip_trunk_id": trunk["id"]}))
    resp = await client.get("/dashboard/numbers")
    text = await resp.text()
    assert resp.status == 200
    assert "+15550100" in text and f'<a href="/dashboard/assistants/{assistant}">Front desk</a>' in text
    assert "Carrier A" in text and "sip.carrier.example:5061" in text and "acct42" in text
    assert ">set<" in text and "hunter2-very-secret" not in text
