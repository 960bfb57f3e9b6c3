"""notification_email is accepted only where a mail would really be sent; Resend gets the summary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from voicedock.config import Settings
from voicedock.mail import Mailer
from voicedock.secrets import SecretBox
from voicedock.store import Database, records
from voicedock.webhooks.outbox import DueEvent

from .conftest import Api, assert_error

MAIL = {"system_prompt": "x", "notification_email": "owner@example.com"}


async def test_notification_email_without_smtp_or_resend_key_says_what_to_configure(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", MAIL)
    assert_error(status, body, 422, "mail_not_configured", "notification_email")
    assert "VOICEDOCK_SMTP_URL" in body["error"]["message"] and "resend" in body["error"]["message"]
    status, created, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    assert status == 201
    status, body, _ = await api.call("PATCH", f"/assistants/{created['assistant']['id']}",
                                     {"notification_email": "owner@example.com"})
    assert_error(status, body, 422, "mail_not_configured", "notification_email")


async def test_notification_email_is_accepted_with_smtp_or_a_resend_key(
    make_client: Callable[..., Any], api_key: str, db: Database, settings: Settings
) -> None:
    with_smtp = Api(await make_client(smtp_url="smtp://127.0.0.1:2525"), api_key)
    status, body, _ = await with_smtp.call("POST", "/assistants", MAIL)
    assert status == 201 and body["assistant"]["notification_email"] == "owner@example.com"
    plain = Api(await make_client(), api_key)
    status, _, _ = await plain.call("POST", "/byok", {"provider": "resend", "api_key": "re_test_123456"})
    assert status in (200, 201)
    status, body, _ = await plain.call("POST", "/assistants", MAIL)
    assert status == 201


async def test_without_smtp_the_summary_goes_to_resend_with_the_byok_key(
    aiohttp_server: Any, aiohttp_client: Any, db: Database, tmp_path: Path
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    async def emails(request: web.Request) -> web.Response:
        seen.append((request.headers["Authorization"], await request.json()))
        return web.json_response({"id": "re_1"})

    app = web.Application()
    app.router.add_post("/emails", emails)
    server = await aiohttp_server(app)
    box = SecretBox(tmp_path / "k")
    db.write_sync(lambda d: records.set_byok(d, box, "resend", "re_live_abcdef", None))
    mailer = Mailer(Settings(data_dir=tmp_path, mail_from="calls@example.com"), db, box,
                    resend_url=str(server.make_url("/emails")))
    payload = {"message": {"call": {"id": "call_r"}, "customer": {"number": "+15550199"}, "summary": "All good."}}
    event = DueEvent("delivery_1", "notification-email", "call_r", None, "mailto:owner@example.com",
                     json.dumps(payload), 0, 0, None)
    client = await aiohttp_client(web.Application())
    outcome = await mailer.send(client.session, event)
    assert outcome.result.ok
    [(auth, sent)] = seen
    assert auth == "Bearer re_live_abcdef" and sent["to"] == ["owner@example.com"]
    assert sent["from"] == "calls@example.com" and "All good." in sent["text"] and "+15550199" in sent["subject"]
