"""A server without telephony and calls a killed server left live: closed where no Asterisk could ever
recover them (none is configured on the host), left for the first telephony server otherwise."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.server import running_server
from tests.telephony.harness import ASSISTANT, add_assistant, call, usage_rows
from tests.webhooks.helpers import Receiver, receiving
from voicedock.assistant import CallAssistant
from voicedock.secrets import SecretBox
from voicedock.store import Database, call_state
from voicedock.store import calls as store_calls
from voicedock.store.call_state import CallRecord

EVENTS = ["status-update", "end-of-call-report"]


def left_in_progress(data_dir: Path, webhook_url: str) -> tuple[str, str]:
    """A call in progress as a killed telephony server leaves it in the store: (call id, last activity)."""
    db = Database(data_dir / "voicedock.db")
    db.migrate_sync()
    try:
        fields = {"webhook_url": webhook_url, "webhook_events": EVENTS}
        assistant_id = add_assistant(db, box=SecretBox(data_dir / "secret.key"), **fields)
        assistant = CallAssistant.parse({**ASSISTANT, **fields})
        record = CallRecord(call_id="call_left_live", direction="inbound", status="ringing", assistant=assistant,
                            assistant_id=assistant_id, caller_phone="+15550199", channel_id="1700000000.1")
        db.write_sync(lambda d: call_state.create(d, record))
        db.write_sync(lambda d: call_state.set_in_progress(d, record))
        db.write_sync(lambda d: call_state.append(d, record, "messages", {"role": "user", "content": "hello"}))
        return record.call_id, str(db.read_sync(lambda d: store_calls.call_row(d, record.call_id))["updated_at"])
    finally:
        db.close()


@asynccontextmanager
async def server_without_telephony(data_dir: Path, asterisk_root: Path) -> AsyncIterator[None]:
    """`voicedock serve --no-telephony` on `data_dir`, on a host whose Asterisk lives at `asterisk_root`."""
    running = running_server(data_dir, env={"VOICEDOCK_ASTERISK_ROOT": str(asterisk_root)})
    await asyncio.to_thread(running.__enter__)
    try:
        yield
    finally:
        await asyncio.to_thread(running.__exit__, None, None, None)


def reports(hooks: Receiver, call_id: str) -> list[str]:
    """Each webhook received for the call: its type, and the status a status-update carries."""
    out = []
    for received in hooks.received:
        message = received.json["message"]
        if message["call"]["id"] == call_id:
            out.append(" ".join(filter(None, [message["type"], message.get("status")])))
    return out


async def until(check: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_with_no_asterisk_configured_a_call_left_live_is_closed_with_its_report(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    hooks = Receiver()
    async with receiving(hooks) as url:
        call_id, last_activity = left_in_progress(data_dir, url)
        async with server_without_telephony(data_dir, tmp_path / "no-asterisk-here"):
            await until(lambda: "end-of-call-report" in reports(hooks, call_id), 10, "the end-of-call-report")
    db = Database(data_dir / "voicedock.db")
    try:
        done = call(db, call_id)
        assert (done["status"], done["ended_reason"]) == ("ended", "service-restarted")
        assert done["ended_at"] == last_activity, "the call ends at its last activity, not at this start"
        assert len(usage_rows(db, call_id)) == 1
        assert db.read_sync(lambda d: store_calls.account(d))["active_calls"] == 0
    finally:
        db.close()
    assert reports(hooks, call_id).count("end-of-call-report") == 1
    assert "status-update ended" in reports(hooks, call_id)


async def test_with_asterisk_configured_a_call_left_live_waits_for_a_telephony_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    root = tmp_path / "asterisk-root"
    (root / "etc" / "asterisk").mkdir(parents=True)
    (root / "etc" / "asterisk" / "voicedock-secrets.env").write_text("VOICEDOCK_ARI_URL=http://127.0.0.1:9\n")
    hooks = Receiver()
    async with receiving(hooks) as url:
        call_id, _ = left_in_progress(data_dir, url)
        async with server_without_telephony(data_dir, root):
            await asyncio.sleep(1.5)
    db = Database(data_dir / "voicedock.db")
    try:
        assert call(db, call_id)["status"] == "in-progress", "a telephony server must still find it to recover"
    finally:
        db.close()
    assert reports(hooks, call_id) == ["status-update in-progress"], "nothing may say it ended"
