"""The PostgreSQL backend: its settings, its SQL translation, migrations and claims shared by several nodes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.store_backends import PostgresServer
from voicedock.config import Settings, SettingsError, redact_database_url
from voicedock.store import open_database
from voicedock.store.migrations import MIGRATIONS
from voicedock.store.pg_adapter import translate
from voicedock.store.postgres import PostgresDatabase
from voicedock.timeutil import utcnow
from voicedock.webhooks import enqueue
from voicedock.webhooks.outbox import claim_due
from voicedock_cli.datadir import EXIT_REFUSED
from voicedock_cli.main import main

CONFIG = {"webhook_url": "http://hooks.test/main", "webhook_events": ["status-update"]}


def test_sqlite_spelling_is_translated_for_postgresql() -> None:
    assert translate("SELECT * FROM [calls] WHERE id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?") == (
        'SELECT * FROM "calls" WHERE id = %s ORDER BY created_at DESC, ctid DESC LIMIT %s')
    assert translate("BEGIN IMMEDIATE") == "BEGIN"
    assert translate("SELECT '100%' WHERE x = ?") == "SELECT '100%%' WHERE x = %s"
    assert translate("""SELECT 'why? [x] rowid', "rowid" FROM t WHERE a = ?""") == (
        """SELECT 'why? [x] rowid', "rowid" FROM t WHERE a = %s""")


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://u:hunter2@db/voicedock", "must be a postgresql:// URL"),
    ("postgresql://u:hunter2@db:port/voicedock", "is not a valid URL"),
    ("postgresql://u:hunter2@db:5432/", "must name the database"),
    ("postgresql:///voicedock", "must name the database server's host"),
])
def test_a_bad_database_url_is_refused_without_its_password(monkeypatch: pytest.MonkeyPatch, url: str,
                                                            says: str) -> None:
    monkeypatch.setenv("VOICEDOCK_DATABASE_URL", url)
    with pytest.raises(SettingsError) as err:
        Settings.from_env()
    assert str(err.value).startswith("VOICEDOCK_DATABASE_URL ") and says in str(err.value)
    assert "hunter2" not in str(err.value)


def test_the_command_exits_refused_on_a_bad_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VOICEDOCK_DATABASE_URL", "postgres://admin:s3cret@/voicedock")
    assert main(["keys", "list", "--data-dir", str(tmp_path)]) == EXIT_REFUSED
    err = capsys.readouterr().err
    assert "VOICEDOCK_DATABASE_URL" in err and "s3cret" not in err


def test_settings_pick_the_backend_and_never_show_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEDOCK_DATABASE_URL", "postgresql://vd:s3cret@db.internal:5432/voicedock")
    monkeypatch.setenv("VOICEDOCK_NODE_ID", "node-2")
    settings = Settings.from_env()
    assert settings.database_url and settings.node_id == "node-2"
    assert settings.database_name == "postgresql://vd:***@db.internal:5432/voicedock"
    assert "s3cret" not in repr(settings)
    assert redact_database_url("postgresql://vd@db/voicedock") == "postgresql://vd@db/voicedock"
    assert redact_database_url("postgresql://vd@db/voicedock?sslmode=require&password=s3cret") == (
        "postgresql://vd@db/voicedock?sslmode=require&password=***")
    monkeypatch.setenv("VOICEDOCK_NODE_ID", "node 2; rm")
    with pytest.raises(SettingsError, match="VOICEDOCK_NODE_ID"):
        Settings.from_env()


def test_without_a_url_the_store_is_the_sqlite_file(tmp_path: Path) -> None:
    db = open_database(None, tmp_path / "voicedock.db")
    try:
        assert db.dialect == "sqlite" and db.migrate_sync() == [n for n, _, _ in MIGRATIONS]
    finally:
        db.close()


@pytest.fixture
def url(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database()


@pytest.fixture
def pg(url: str) -> Iterator[PostgresDatabase]:
    db = PostgresDatabase(url)
    db.migrate_sync()
    yield db
    db.close()


def test_nodes_starting_together_apply_each_migration_once(url: str) -> None:
    dbs = [PostgresDatabase(url) for _ in range(3)]
    applied: list[list[int]] = []
    try:
        threads = [threading.Thread(target=lambda db=db: applied.append(db.migrate_sync())) for db in dbs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(n for one in applied for n in one) == [n for n, _, _ in MIGRATIONS]
        recorded = dbs[0].read_sync(lambda d: [r["version"] for r in d.query("SELECT version FROM _migrations "
                                                                               "ORDER BY version")])
        assert recorded == [n for n, _, _ in MIGRATIONS]
        assert dbs[1].migrate_sync() == []
    finally:
        for db in dbs:
            db.close()


def test_two_nodes_claiming_at_once_never_claim_the_same_event(url: str, pg: PostgresDatabase) -> None:
    pg.write_sync(lambda d: [enqueue(d, event_type="status-update", assistant_config=CONFIG, assistant_id=None,
                                     call_id=f"call_{i}", payload={"message": {"type": "status-update"}})
                             for i in range(200)])
    nodes = [PostgresDatabase(url), PostgresDatabase(url)]
    claimed: list[list[str]] = [[], []]
    barrier = threading.Barrier(2)

    def claimer(i: int) -> None:
        barrier.wait()
        while True:
            due = nodes[i].write_sync(lambda d: claim_due(d, now=utcnow(), limit=7, lease=60.0))
            if not due:
                return
            claimed[i] += [ev.id for ev in due]

    try:
        threads = [threading.Thread(target=claimer, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        for db in nodes:
            db.close()
    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == 200 and claimed[0] and claimed[1]


def test_a_claim_lapses_so_a_dead_node_s_events_are_sent_by_another(pg: PostgresDatabase) -> None:
    [event_id] = pg.write_sync(lambda d: enqueue(d, event_type="status-update", assistant_config=CONFIG,
                                                 assistant_id=None, call_id="call_1", payload={"message": {}}))
    now = utcnow()
    assert [e.id for e in pg.write_sync(lambda d: claim_due(d, now=now, limit=10, lease=60.0))] == [event_id]
    assert pg.write_sync(lambda d: claim_due(d, now=now + timedelta(seconds=30), limit=10, lease=60.0)) == []
    later = pg.write_sync(lambda d: claim_due(d, now=now + timedelta(seconds=61), limit=10, lease=60.0))
    assert [e.id for e in later] == [event_id]


def test_backup_and_restore_point_a_postgresql_store_to_its_own_tools(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VOICEDOCK_DATABASE_URL", "postgresql://vd:s3cret@db.internal/voicedock")
    assert main(["backup", str(tmp_path / "b"), "--data-dir", str(tmp_path)]) == 1
    assert main(["restore", str(tmp_path / "b"), "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("pg_dump") == 2 and "s3cret" not in err and not (tmp_path / "b").exists()


def test_connections_the_server_dropped_are_replaced(postgres_server: PostgresServer, url: str,
                                                     pg: PostgresDatabase) -> None:
    import psycopg

    assert pg.read_sync(lambda d: d.execute("SELECT 1").fetchone()[0]) == 1
    pg.write_sync(lambda d: d.execute("SELECT 1"))
    with psycopg.connect(postgres_server.url("postgres"), autocommit=True) as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = %s", [url.rsplit("/", 1)[1]]).fetchone()
    assert killed is not None and killed[0] >= 2
    assert pg.read_sync(lambda d: d.execute("SELECT 2").fetchone()[0]) == 2
    assert pg.write_sync(lambda d: d.execute("SELECT 3").fetchone()[0]) == 3


def test_sql_reads_the_same_through_the_adapter(pg: PostgresDatabase) -> None:
    def read(d: Any) -> tuple[Any, ...]:
        row = d.execute("SELECT '100%' AS pct, ? AS given, 'a?b' = 'a?b' AS same", ["x%"]).fetchone()
        return row[0], row["given"], row["same"], dict(row), d.execute("SELECT '50%'").fetchone()[0]

    assert pg.read_sync(read) == ("100%", "x%", True, {"pct": "100%", "given": "x%", "same": True}, "50%")
