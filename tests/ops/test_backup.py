"""`voicedock backup` while a server writes, then `voicedock restore` into a new data directory:
the restored server answers with the data that was there, its secrets still decrypt."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.server import running_server, voicedock
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.store import calls as store_calls

BYOK_KEY = "sk-backup-test-0123456789"
UNLIMITED = {"VOICEDOCK_RATE_LIMIT_PER_MINUTE": "1000000"}


def request(base: str, key: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/api/v1" + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
        return json.loads(raw) if resp.headers.get("Content-Type", "").startswith("application/json") else raw


class Writer(threading.Thread):
    """Creates assistants in a loop; `confirmed` holds ids whose 201 arrived, with the time it did."""

    def __init__(self, base: str, key: str) -> None:
        super().__init__(daemon=True)
        self.base, self.key = base, key
        self.confirmed: list[tuple[float, str]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            body = request(self.base, self.key, "POST", "/assistants",
                           {"name": f"assistant {i}", "system_prompt": f"You are number {i}."})
            self.confirmed.append((time.monotonic(), body["assistant"]["id"] if "assistant" in body else body["id"]))
            i += 1


def seed(data: Path) -> tuple[str, str]:
    """An API key and an ended call with a recording, as a server would have left them."""
    key = voicedock("keys", "create", "--name", "admin", data_dir=data).stdout.strip().splitlines()[-1]
    SecretBox(data / "secret.key")  # the server's encryption key, created on first use
    db = Database(data / "voicedock.db")
    try:
        row = db.write_sync(lambda d: store_calls.create_call(
            d, type="inboundPhoneCall", status="ended", recording_url="/api/v1/calls/x/recording"))
    finally:
        db.close()
    (data / "recordings").mkdir()
    (data / "recordings" / f"{row['id']}.wav").write_bytes(b"RIFF" + os.urandom(4000))
    return key, str(row["id"])


def assistant_ids(base: str, key: str) -> set[str]:
    ids: set[str] = set()
    offset = 0
    while True:
        page = request(base, key, "GET", f"/assistants?limit=500&offset={offset}")
        items = page["assistants"] if isinstance(page, dict) else page
        ids |= {a["id"] for a in items}
        if len(items) < 500:
            return ids
        offset += 500


def test_a_backup_taken_under_load_restores_to_a_working_server(tmp_path: Path) -> None:
    data, dest, restored = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    key, call_id = seed(data)
    with running_server(data, env=UNLIMITED) as (base, _log):
        request(base, key, "POST", "/byok", {"provider": "openai", "api_key": BYOK_KEY})
        writer = Writer(base, key)
        writer.start()
        try:
            while len(writer.confirmed) < 30:
                time.sleep(0.02)
            backup_started = time.monotonic()
            done = voicedock("backup", str(dest), data_dir=data)
            while len(writer.confirmed) < 60 + 30:  # keep writing after the backup
                time.sleep(0.02)
        finally:
            writer.stop.set()
            writer.join(10)
        before_backup = {ident for at, ident in writer.confirmed if at < backup_started}
        written = {ident for _, ident in writer.confirmed}

        refused = voicedock("restore", str(dest), "--force", data_dir=data, check=False)
        assert refused.returncode == 1 and "is running on" in refused.stderr and "Stop it first" in refused.stderr
        assert assistant_ids(base, key) == written, "a refused restore must leave the live data alone"

    assert "WARNING" in done.stderr and "secret.key" in done.stderr and "decrypts" in done.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    assert stat.S_IMODE((dest / "secret.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((dest / "voicedock.db").stat().st_mode) == 0o600

    restore = voicedock("restore", str(dest), data_dir=restored)
    assert "restored" in restore.stdout
    with running_server(restored, env=UNLIMITED) as (base, _log):
        in_restore = assistant_ids(base, key)
        assert before_backup <= in_restore <= written, "the backup is one consistent snapshot of what was written"
        assert request(base, key, "GET", f"/calls/{call_id}/recording") == \
            (data / "recordings" / f"{call_id}.wav").read_bytes()
        assert request(base, key, "GET", "/byok")["byok_keys"]["openai"]["last4"] == "6789"
    with sqlite3.connect(restored / "voicedock.db") as conn:
        encrypted = conn.execute("SELECT api_key_enc FROM byok_keys").fetchone()[0]
    assert SecretBox(restored / "secret.key").decrypt(encrypted) == BYOK_KEY


def test_restore_refuses_to_replace_a_database_without_force_and_keeps_the_old_one_aside(tmp_path: Path) -> None:
    data, dest, other = tmp_path / "data", tmp_path / "backup", tmp_path / "other"
    seed(data)
    voicedock("backup", str(dest), data_dir=data)
    seed(other)
    refused = voicedock("restore", str(dest), data_dir=other, check=False)
    assert refused.returncode == 1 and "already holds a database; pass --force" in refused.stderr
    forced = voicedock("restore", str(dest), "--force", data_dir=other)
    aside = next(other.glob("replaced-by-restore-*"))
    assert str(aside) in forced.stdout and (aside / "voicedock.db").is_file() and (aside / "secret.key").is_file()
    assert (other / "secret.key").read_bytes() == (data / "secret.key").read_bytes()
    not_a_backup = voicedock("restore", str(tmp_path), "--force", data_dir=other, check=False)
    assert not_a_backup.returncode == 1 and "is not a VoiceDock backup" in not_a_backup.stderr
