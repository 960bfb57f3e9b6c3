"""The live view in headless Chromium: a transcript that grows without a reload, and ending a call."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright, expect

from api.app import create_app
from tests.api.fakes import FakeTelephony
from voicedock.config import Settings
from voicedock.store import Database

from . import seed
from .conftest import login_link
from .test_browser import CHROMIUM


async def test_live_transcript_updates_in_place_and_end_call_reaches_the_call(
        settings: Settings, db: Database, tmp_path: Path) -> None:
    telephony = FakeTelephony(db)
    call_id = seed.seed_live_call(db)
    server = TestServer(create_app(settings, db=db, telephony_service=telephony))
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(base + login_link(db))
            await page.get_by_role("link", name="Live").click()
            transcript = page.locator(f"#transcript-{call_id}")
            await expect(transcript).to_contain_text("book a table for two")
            await page.evaluate("() => { window.notReloaded = true; }")
            await asyncio.to_thread(seed.say_in_call, db, call_id, "assistant", "Which day suits you best?")
            await expect(transcript).to_contain_text("Which day suits you best?", timeout=10_000)
            assert await page.evaluate("() => window.notReloaded === true"), "the page reloaded"
            await page.screenshot(path=str(tmp_path / "dashboard-live.png"), full_page=True)
            target = os.environ.get("VOICEDOCK_DASHBOARD_SCREENSHOTS")
            if target:
                shutil.copy(tmp_path / "dashboard-live.png", Path(target) / "dashboard-live.png")

            await page.get_by_label("Goodbye message").fill("Thanks for calling.")
            await page.get_by_role("button", name="End call").click()
            await expect(page.get_by_role("heading", name="Live calls")).to_be_visible()
            assert telephony.commands == [(call_id, {"type": "end-call", "message": "Thanks for calling."})]
            await browser.close()
    finally:
        await server.close()
