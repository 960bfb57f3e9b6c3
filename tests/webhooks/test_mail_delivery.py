"""Notification email through the outbox: delivered by the webhook worker, retried when refused."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from voicedock.config import Settings
from voicedock.mail import Mailer
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.webhooks import enqueue_mail, list_deliveries

from ..mailbox import Mailbox, free_port, smtp_server
from ..telephony.harness import wait_for

REPORT = {"message": {"type": "end-of-call-report", "call": {"id": "call_m1"}, "customer": {"number": "+15550142"},
                      "assistant": {"name": "Front desk"}, "duration_seconds": 75.2, "ended_reason": "customer-ended-call",
                      "summary": "The caller booked a table for two.", "analysis": {"structured_data": {"guests": 2}},
                      "recording_url": "/api/v1/calls/call_m1/recording"}}


def mail_row(db: Database) -> list[str]:
    return [db.write_sync(lambda d: enqueue_mail(d, to="owner@example.com", assistant_id=None, call_id="call_m1",
                                                 payload=REPORT))]


def deliveries(db: Database) -> list[dict[str, Any]]:
    return db.read_sync(lambda d: list_deliveries(d, call_id="call_m1"))[0]


async def test_a_refused_send_is_retried_until_the_mail_is_accepted(
    db: Database, box: SecretBox, make_worker: Callable[..., Any], tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mailbox = Mailbox(refuse_first=1, password="s3cret-smtp-pass")
    async with smtp_server(mailbox) as port:
        settings = Settings(data_dir=tmp_path, smtp_url=f"smtp://desk:s3cret-smtp-pass@127.0.0.1:{port}",
                            mail_from="calls@voicedock.test", public_url="https://voice.example.com")
        mail_row(db)
        await make_worker(mailer=Mailer(settings, db, box))
        [mail] = await mailbox.wait(1)
    assert mailbox.refused == 1 and set(mailbox.logins) == {"desk"}
    assert mail["To"] == "owner@example.com" and mail["From"] == "calls@voicedock.test"
    body = mail.get_content()
    assert "+15550142" in mail["Subject"] and "Caller: +15550142" in body and "Duration: 1 min 15 s" in body
    assert "The caller booked a table for two." in body and '"guests": 2' in body
    assert "https://voice.example.com/api/v1/calls/call_m1/recording" in body
    await wait_for(lambda: deliveries(db)[0]["status"] == "succeeded", 5, "the attempt to be recorded")
    [row] = deliveries(db)
    assert [a["status_code"] for a in row["attempts"]] == [451, 250]
    ours = [r for r in caplog.records if r.name.startswith("voicedock")]
    shown = f"{row} {settings!r} " + " ".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert "s3cret-smtp-pass" not in shown


async def test_an_unreachable_server_is_retried_and_the_failure_is_logged_without_credentials(
    db: Database, box: SecretBox, make_worker: Callable[..., Any], tmp_path: Any
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_url=f"smtps://u:hunter2-pass@127.0.0.1:{free_port()}")
    mail_row(db)
    worker = await make_worker(mailer=Mailer(settings, db, box))
    await wait_for(lambda: deliveries(db)[0]["status"] == "failed", 10, "the retries to run out")
    await worker.aclose()
    [row] = deliveries(db)
    assert len(row["attempts"]) == 4 and all(a["error"] for a in row["attempts"])
    assert "hunter2-pass" not in str(row) and row["attempts"][0]["url"].startswith("smtps://127.0.0.1:")


async def test_without_a_mail_transport_the_row_fails_instead_of_hanging(
    db: Database, make_worker: Callable[..., Any]
) -> None:
    mail_row(db)
    await make_worker()
    await wait_for(lambda: deliveries(db)[0]["status"] == "failed", 5, "the row to fail")
    assert deliveries(db)[0]["attempts"][0]["error"] == "this server has no mail transport"
