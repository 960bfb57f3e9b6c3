"""An assistant's notification_email receives the summary of each ended call (fake ARI, real SMTP)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from voicedock.assistant import CallAssistant
from voicedock.mail import Mailer
from voicedock.store import call_state
from voicedock.webhooks import DeliveryWorker, RetryPolicy
from voicedock_ari.ari.events import parse_event
from voicedock_ari.controller import CallController
from voicedock_ari.live_call import LiveCall

from ..mailbox import Mailbox, smtp_server
from .test_controller_fake_ari import FakeAri


async def test_the_call_summary_is_mailed_to_the_notification_address(offline_controller: CallController) -> None:
    ctl = offline_controller

    async def analyser(assistant: Any, messages: list, tool_calls: list) -> dict:
        return {"summary": "Anna wants a table for four on Friday.", "structured_data": {"party_size": 4},
                "success_evaluation": None}

    ctl.analyser = analyser
    ctl.ari = FakeAri(channels=[], bridges=[])  # type: ignore[assignment]
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        settings = replace(ctl.settings, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="calls@voicedock.test",
                           public_url="https://voice.example.com")
        worker = DeliveryWorker(ctl.db, ctl.box, mailer=Mailer(settings, ctl.db, ctl.box), poll_interval=0.05,
                                policy=RetryPolicy(schedule=(0.05,), jitter=0.0))
        await worker.start()
        ctl.worker = worker
        try:
            assistant = CallAssistant.parse({"name": "Bistro line", "system_prompt": "x",
                                             "notification_email": "owner@bistro.example"})
            record = call_state.CallRecord(call_id="call_mail", direction="inbound", status="ringing",
                                           assistant=assistant, caller_phone="+31612345678")
            await ctl.db.write(lambda d: call_state.create(d, record))
            await ctl.db.write(lambda d: call_state.set_in_progress(d, record))
            await ctl.db.write(lambda d: call_state.set_recording(d, record, "/api/v1/calls/call_mail/recording"))
            live = LiveCall(ctl.deps(), record, "chan-mail")
            ctl.register(live)
            live.start(asyncio.sleep(3600))
            await live.message("user", "A table for four on Friday, please.")
            ctl._route(parse_event({"type": "ChannelHangupRequest", "channel": {"id": "chan-mail"}, "cause": 16}))
            [mail] = await mailbox.wait(1)
        finally:
            ctl.worker = None
            await worker.aclose()
    body = mail.get_content()
    assert mail["To"] == "owner@bistro.example" and "+31612345678" in mail["Subject"]
    assert "Bistro line finished a call with +31612345678." in body and "Duration: " in body
    assert "Anna wants a table for four on Friday." in body and '"party_size": 4' in body
    assert "https://voice.example.com/api/v1/calls/call_mail/recording" in body
