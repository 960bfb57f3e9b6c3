"""The dashboard in real headless Chromium (Debian's package, driven by Playwright) against a real server.

Screenshots go to the test's temporary directory, or to $VOICEDOCK_DASHBOARD_SCREENSHOTS (e.g. docs/).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.server import running_server, voicedock
from voicedock.secrets import generate_api_key
from voicedock.store import Database, records

from . import seed

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A server with one full call among 30 others, and an admin key."""
    data = tmp_path_factory.mktemp("dash") / "data"
    db = Database(data / "voicedock.db")
    db.migrate_sync()
    key = generate_api_key()
    try:
        db.write_sync(lambda d: records.create_api_key(d, "browser", key))
        assistant = seed.seed_assistant(db)
        seed.seed_calls(db, 30, assistant)
        call_id = seed.seed_full_call(db, data, assistant)
    finally:
        db.close()
    with running_server(data) as (base, _):
        yield {"base": base, "data": str(data), "key": key, "call": call_id}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def shot(page: Page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    target = os.environ.get("VOICEDOCK_DASHBOARD_SCREENSHOTS")
    if target:
        shutil.copy(tmp_path / name, Path(target) / name)


def link(server: dict[str, str]) -> str:
    done = voicedock("dashboard", "link", "--base-url", server["base"], data_dir=Path(server["data"]))
    return done.stdout.strip().splitlines()[-1]


def test_sign_in_by_link_then_open_a_call(page: Page, server: dict[str, str], tmp_path: Path) -> None:
    page.goto(link(server))
    assert page.url == server["base"] + "/dashboard"
    expect(page.get_by_role("heading", name="Calls")).to_be_visible()
    expect(page.get_by_text("31 calls")).to_be_visible()
    first_row = page.locator("table.calls tbody tr").first
    expect(first_row).to_contain_text(server["call"])
    expect(first_row).to_contain_text("customer-ended-call")
    shot(page, "dashboard-calls.png", tmp_path)

    page.get_by_role("link", name=server["call"]).click()
    expect(page.get_by_role("heading", name=f"Call {server['call']}")).to_be_visible()
    transcript = page.locator("ol.transcript")
    expect(transcript).to_contain_text("I'd like to book a table for two tomorrow at seven.")
    expect(transcript.locator("li.tool")).to_contain_text('book_table({"party_size": 2, "time": "19:00"})')
    expect(transcript).to_contain_text("interrupted by the caller")
    expect(page.locator("#latency-chart")).to_be_visible()
    expect(page.locator("#latency-chart rect")).to_have_count(10)
    expect(page.locator("#summary")).to_have_text("The caller booked a table for two for tomorrow at 7 pm.")

    audio = page.locator("audio#recording")
    page.wait_for_function("() => document.querySelector('audio#recording').readyState >= 1", timeout=10_000)
    assert abs(audio.evaluate("a => a.duration") - 2.0) < 0.05  # the browser decoded the 2-second WAV
    audio.evaluate("a => { a.muted = true; return a.play(); }")
    page.wait_for_function("() => document.querySelector('audio#recording').currentTime > 0", timeout=10_000)
    shot(page, "dashboard-call.png", tmp_path)


def test_sign_in_with_an_api_key(page: Page, server: dict[str, str], tmp_path: Path) -> None:
    page.goto(server["base"] + "/dashboard")
    assert page.url.endswith("/dashboard/sign-in")
    page.get_by_label("API key").fill(generate_api_key())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That API key is not valid.")
    shot(page, "dashboard-sign-in.png", tmp_path)
    page.get_by_label("API key").fill(server["key"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Calls")).to_be_visible()
    assert "vd_live_" not in page.url and "vd_live_" not in page.content()


def test_a_used_expired_or_bad_link_is_refused(page: Page, server: dict[str, str]) -> None:
    url = link(server)
    page.goto(url)
    expect(page.get_by_role("heading", name="Calls")).to_be_visible()
    page.context.clear_cookies()
    page.goto(url)
    expect(page.get_by_role("heading", name="Link not valid")).to_be_visible()
    page.goto(url.split("token=")[0] + "token=made-up")
    expect(page.get_by_role("heading", name="Link not valid")).to_be_visible()
    page.goto(server["base"] + "/dashboard")
    assert page.url.endswith("/dashboard/sign-in")


def test_a_post_without_the_csrf_token_is_rejected(page: Page, server: dict[str, str]) -> None:
    page.goto(link(server))
    status = page.evaluate("fetch('/dashboard/sign-out', {method: 'POST'}).then(r => r.status)")
    assert status == 403
    page.reload()
    expect(page.get_by_role("heading", name="Calls")).to_be_visible()  # still signed in
    page.get_by_role("button", name="Sign out").click()
    assert page.url.endswith("/dashboard/sign-in")
    page.goto(server["base"] + "/dashboard")
    assert page.url.endswith("/dashboard/sign-in")


def test_editing_an_assistant_shows_a_bad_field_next_to_it(page: Page, server: dict[str, str],
                                                           tmp_path: Path) -> None:
    page.goto(link(server))
    page.get_by_role("link", name="Assistants").click()
    page.get_by_role("link", name="Booking line").click()
    duration = page.get_by_label("Max duration seconds")
    duration.fill("5")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#err-max_duration_seconds")
    expect(error).to_contain_text("greater than or equal to 10")
    expect(duration).to_have_attribute("aria-invalid", "true")
    expect(duration).to_have_value("5")
    shot(page, "dashboard-assistant.png", tmp_path)
    page.get_by_label("Max duration seconds").fill("600")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("Max duration seconds")).to_have_value("600")


def test_creating_a_number_through_the_form(page: Page, server: dict[str, str], tmp_path: Path) -> None:
    page.goto(link(server))
    page.get_by_role("link", name="Numbers").click()
    page.get_by_role("link", name="New number").click()
    page.get_by_label("Phone number").fill("5550199")
    page.get_by_label("Assistant ID").select_option(label="Booking line")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#err-phone_number")).to_contain_text("phone_number")
    expect(page.get_by_label("Phone number")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Phone number").fill("+15550199")
    page.get_by_label("Name").fill("Front desk line")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    row = page.locator("table.numbers tbody tr", has_text="+15550199")
    expect(row).to_contain_text("Front desk line")
    expect(row.get_by_role("link", name="Booking line")).to_be_visible()
    shot(page, "dashboard-numbers.png", tmp_path)


def test_health_and_usage(page: Page, server: dict[str, str], tmp_path: Path) -> None:
    page.goto(link(server))
    page.get_by_role("link", name="Health").click()
    expect(page.locator("#health-status")).to_have_text("ok")
    expect(page.locator("#usage-chart rect")).to_have_count(1)  # today's 24 seconds
    expect(page.locator("#usage-minutes")).to_have_text("0.4")
    shot(page, "dashboard-health.png", tmp_path)


def test_the_keyboard_reaches_the_content_first(page: Page, server: dict[str, str]) -> None:
    page.goto(link(server))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
