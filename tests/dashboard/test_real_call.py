"""A call placed through the real Asterisk shows up in the dashboard, in headless Chromium."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright, expect

from api.app import create_app
from tests.server import voicedock
from tests.telephony.audio import tone
from tests.telephony.conftest import asterisk, call_settings, controller, store  # noqa: F401  (shared fixtures)
from tests.telephony.harness import add_assistant, add_number, call, short_tone_call, wait_for
from voicedock.config import Settings
from voicedock.conversation.base import AudioPort, CallActions, CallEvents, CallInfo
from voicedock.store import Database
from voicedock_ari.controller import CallController

from .test_browser import CHROMIUM

pytestmark = pytest.mark.asterisk
GREETING = "Hello, you reached the dashboard line."


class GreetingSession:
    """Says one line (and a tone for the recording), then listens until the caller hangs up."""

    def __init__(self, info: CallInfo, audio: AudioPort, events: CallEvents, actions: CallActions) -> None:
        self.audio = audio
        self.events = events

    async def run(self) -> str | None:
        self.audio.send_pcm(tone(1000.0, 1.0))
        self.audio.flush()
        await self.events.message("assistant", GREETING)
        while await self.audio.read() is not None:
            pass
        return None

    async def command(self, command: Any) -> str:
        return "ignored"


async def test_a_real_call_is_found_in_the_dashboard_with_transcript_and_recording(
        controller: CallController, store: Database, call_settings: Settings, tmp_path: Path) -> None:  # noqa: F811
    controller.session_factory = GreetingSession
    add_number(store, add_assistant(store, recording_enabled=True))
    ended = await short_tone_call(controller, store, tmp_path)
    done = await wait_for(lambda: (c := call(store, ended["id"]))["recording_url"] and c, 10, "the recording")

    server = TestServer(create_app(call_settings, db=store))
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        made = await asyncio.to_thread(voicedock, "dashboard", "link", "--base-url", base,
                                       data_dir=call_settings.data_dir)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = await browser.new_page()
            await page.goto(made.stdout.strip().splitlines()[-1])
            first = page.locator("table.calls tbody tr").first
            await expect(first).to_contain_text(done["id"])
            await expect(first).to_contain_text("inbound")
            await expect(first).to_contain_text(done["ended_reason"])
            await page.get_by_role("link", name=done["id"]).click()
            await expect(page.locator("ol.transcript")).to_contain_text(GREETING)
            await page.wait_for_function("() => document.querySelector('audio#recording').readyState >= 1")
            seconds = await page.locator("audio#recording").evaluate("a => a.duration")
            assert abs(seconds - done["duration_seconds"]) < 1.5  # the call's own recording
            await browser.close()
    finally:
        await server.close()
