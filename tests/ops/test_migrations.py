"""Upgrades: migrations only go forward, a newer database is refused, and a dry run changes nothing."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server import voicedock
from voicedock.store import Database, migrations

REFUSED = 78
LATEST = migrations.MIGRATIONS[-1][0]


def older_database(path: Path, upto: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database as a release with migrations 1..`upto` left it."""
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:upto])
        db = Database(path)
        db.migrate_sync()
        db.close()


def newer_database(path: Path) -> None:
    """A database a future release has migrated: one migration number this code does not have."""
    db = Database(path)
    db.migrate_sync()
    db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO _migrations VALUES (?, 'from the future', '2030-01-01T00:00:00Z')",
                     (LATEST + 1,))
    conn.close()


def digest(data_dir: Path) -> dict[str, str]:
    """The data directory's files by content; an empty WAL (made by any reader of a WAL database) counts as none."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(data_dir.iterdir())
            if p.is_file() and p.suffix not in (".db-shm", ".pid") and not (p.name.endswith("-wal") and not p.stat().st_size)}


def columns(path: Path, table: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    finally:
        conn.close()


def test_dry_run_prints_the_pending_migrations_and_their_schema_changes_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    older_database(data / "voicedock.db", 3, monkeypatch)
    before = digest(data)

    done = voicedock("db", "migrate", "--dry-run", data_dir=data)

    assert f"would apply {LATEST - 3} migration(s)" in done.stdout
    assert "4  pending end-of-call reports" in done.stdout
    assert "change to: CREATE TABLE \"calls\"" in done.stdout and "pending_report" in done.stdout
    assert digest(data) == before, "a dry run must not write the database or its WAL"
    assert "pending_report" not in columns(data / "voicedock.db", "calls")

    voicedock("db", "migrate", data_dir=data)
    assert "pending_report" in columns(data / "voicedock.db", "calls")
    assert "up to date; nothing would change" in voicedock("db", "migrate", "--dry-run", data_dir=data).stdout


def test_dry_run_on_a_missing_database_does_not_create_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    done = voicedock("db", "migrate", "--dry-run", data_dir=data)
    assert "no database yet" in done.stdout and "1  initial schema" in done.stdout
    assert list(data.iterdir()) == []


def test_migrate_refuses_a_database_from_a_newer_release(tmp_path: Path) -> None:
    from voicedock.store.migrations import DatabaseTooNew

    path = tmp_path / "voicedock.db"
    newer_database(path)
    db = Database(path)
    try:
        with pytest.raises(DatabaseTooNew, match="newer than this VoiceDock"):
            db.migrate_sync()
    finally:
        db.close()


def test_the_server_refuses_to_start_on_a_newer_database_and_leaves_it_untouched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    newer_database(data / "voicedock.db")
    before = digest(data)

    done = subprocess.run([sys.executable, "-m", "voicedock_cli.main", "serve", "--no-telephony", "--port", "0",
                           "--data-dir", str(data)], capture_output=True, text=True, timeout=60)

    assert done.returncode == REFUSED, done.stderr
    assert f"schema version {LATEST + 1}, newer than this VoiceDock knows" in done.stderr
    assert "Traceback" not in done.stderr
    assert digest(data) == before
    for command in (("db", "migrate"), ("db", "migrate", "--dry-run"), ("keys", "create", "--name", "x")):
        refused = voicedock(*command, data_dir=data, check=False)
        assert refused.returncode == REFUSED and "newer than this VoiceDock" in refused.stderr, command
