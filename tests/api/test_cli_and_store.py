"""The `voicedock` command and the store underneath it."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from pathlib import Path

from tests.server import running_server, voicedock
from voicedock.store import Database
from voicedock.store.migrations import MIGRATIONS


def test_keys_create_prints_the_key_alone_on_the_last_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = voicedock("keys", "create", "--name", "ops", data_dir=data).stdout
    key = out.rstrip("\n").splitlines()[-1]
    assert key.startswith("vd_live_") and " " not in key
    listing = voicedock("keys", "list", data_dir=data).stdout
    assert "ops" in listing and key not in listing
    key_id = next(line.split()[0] for line in listing.splitlines() if line.startswith("key_"))
    assert "Revoked" in voicedock("keys", "revoke", key_id, data_dir=data).stdout
    assert "revoked" in voicedock("keys", "list", data_dir=data).stdout
    missing = voicedock("keys", "revoke", "key_nope", data_dir=data, check=False)
    assert missing.returncode == 1 and "key_nope" in missing.stderr


def test_served_api_accepts_the_cli_key_and_logs_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = voicedock("keys", "create", "--name", "first", data_dir=data).stdout.splitlines()[-1]
    with running_server(data) as (base, log):
        request = urllib.request.Request(base + "/api/v1/account", headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert resp.status == 200 and b'"company_name"' in resp.read()
        docs = urllib.request.urlopen(base + "/docs", timeout=5).read().decode()
        assert "/docs/static/swagger-ui-bundle.js" in docs and "http://" not in docs and "https://" not in docs
        bundle = urllib.request.urlopen(base + "/docs/static/swagger-ui-bundle.js", timeout=5).read()
        assert len(bundle) > 100_000, "the Swagger UI bundle is served from the installed package"
    text = log.read_text()
    assert '"msg": "api listening"' in text
    assert key not in text, "API keys never reach the log"


def test_first_run_prints_how_to_get_a_key(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as (_, log):
        pass
    assert "voicedock keys create --name admin" in log.read_text()


def test_migrations_are_numbered_and_idempotent(tmp_path: Path) -> None:
    versions = [v for v, _, _ in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    db = Database(tmp_path / "x.db")
    try:
        assert db.migrate_sync() == versions
        assert db.migrate_sync() == []
        assert db.read_sync(lambda d: d.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"
    finally:
        db.close()


async def test_writes_run_on_one_thread_off_the_event_loop(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.db")
    await db.migrate()
    loop_thread = threading.get_ident()
    seen = await asyncio.gather(*(db.write(lambda d: threading.get_ident()) for _ in range(20)))
    db.close()
    assert loop_thread not in seen
    assert len(set(seen)) == 1, "all writes go through the single writer"


async def test_a_failed_write_rolls_back(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.db")
    await db.migrate()

    def half_done(d):  # type: ignore[no-untyped-def]
        d["account"].update(d.execute("SELECT id FROM account").fetchone()[0], {"company_name": "Changed"})
        raise RuntimeError("boom")

    try:
        await db.write(half_done)
    except RuntimeError:
        pass
    name = await db.read(lambda d: d.execute("SELECT company_name FROM account").fetchone()[0])
    db.close()
    assert name == "VoiceDock"


def test_spliced_list_items_equal_the_parsed_documents(tmp_path: Path) -> None:
    from voicedock.store.documents import TOOL_TEMPLATES

    db = Database(tmp_path / "x.db")
    db.migrate_sync()
    docs = [{"name": "a", "nested": {"q": 'quote " and \\ slash'}}, {"name": "b"}]
    try:
        for i, doc in enumerate(docs):
            db.write_sync(lambda d, i=i, doc=doc: TOOL_TEMPLATES.insert(d, f"tpl_{i}", doc))
        texts, total = db.read_sync(lambda d: TOOL_TEMPLATES.page_json(d, 10, 0))
        parsed = db.read_sync(lambda d: [TOOL_TEMPLATES.get(d, "tpl_1"), TOOL_TEMPLATES.get(d, "tpl_0")])
    finally:
        db.close()
    assert total == 2
    assert [json.loads(t) for t in texts] == parsed
