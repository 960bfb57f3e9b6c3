"""A real call through Asterisk ends and its summary email arrives at a real SMTP server."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.mailbox import Mailbox, smtp_server
from voicedock.mail import Mailer
from voicedock.store import Database
from voicedock.webhooks import DeliveryWorker
from voicedock_ari.controller import CallController

from .harness import add_assistant, add_number, call, short_tone_call

pytestmark = pytest.mark.asterisk


async def test_the_summary_of_a_real_call_is_mailed(controller: CallController, store: Database, tmp_path: Path) -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        settings = dataclasses.replace(controller.settings, smtp_url=f"smtp://127.0.0.1:{port}",
                                       public_url="https://voice.example.com")
        worker = DeliveryWorker(store, controller.box, mailer=Mailer(settings, store, controller.box),
                                poll_interval=0.1)
        await worker.start()
        controller.worker = worker
        try:
            add_number(store, add_assistant(store, name="Front desk", notification_email="owner@example.com"))
            row = await short_tone_call(controller, store, tmp_path)
            [mail] = await mailbox.wait(1, seconds=15)
        finally:
            controller.worker = None
            await worker.aclose()
    ended = call(store, row["id"])
    body = mail.get_content()
    assert mail["To"] == "owner@example.com"
    assert ended["caller_phone"] and f"Caller: {ended['caller_phone']}" in body
    seconds = round(ended["duration_seconds"])
    assert "Front desk finished a call" in body and f"Duration: {seconds} s" in body
    assert f"https://voice.example.com/api/v1/calls/{row['id']}" in body
